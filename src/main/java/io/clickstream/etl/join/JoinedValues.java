package io.clickstream.etl.join;

import io.clickstream.etl.codec.LongText;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;
import org.apache.flink.core.memory.DataInputDeserializer;
import org.apache.flink.core.memory.DataOutputSerializer;

/**
 * The values a rule's source gave for one key, each with its event time, stored in Redis one hash field per version
 * ({@link Version#field}): a batch writes the versions it added and deletes those it dropped, never the whole list. A
 * receiving event takes the latest version at or before its own time, so reprocessing it gives the same values even
 * when the source has sent newer ones since. Kept: every version a reprocessed event within the horizon (the session
 * history, where replays and restores reprocess) may need — the one in effect at the horizon and all after it; a
 * version that repeats the values its giver gave just before adds nothing and is not stored. Each version knows the
 * user who gave it and when that input was published, so an erasure can take it out.
 *
 * <p>The layout before this one kept all versions in one value ({@link #fromOlderBytes}); such values are read, and
 * written again in this layout.
 */
public final class JoinedValues {
    private static final byte OLDER_FORMAT = 1;
    private static final byte VERSION_FORMAT = 2;
    /** Bounds a key whose source changes its values thousands of times within the horizon. */
    static final int MAX_VERSIONS = 10_000;

    /** One version; {@code giver} and {@code recordTime} are empty / Long.MIN_VALUE for versions of the older layout. */
    public record Version(
            long time, String eventId, List<String> names, List<String> values, String giver, long recordTime) {
        /** The hash field it is stored under. */
        public String field() {
            return time + ":" + eventId;
        }

        boolean sameValuesAs(Version o) {
            return giver.equals(o.giver) && names.equals(o.names) && values.equals(o.values);
        }
    }

    private static final Comparator<Version> ORDER =
            Comparator.comparingLong(Version::time).thenComparing(Version::eventId);

    private final List<Version> versions = new ArrayList<>();
    private final Map<String, Version> added = new LinkedHashMap<>();
    private final Set<String> removed = new LinkedHashSet<>();
    /** Read from the one-value layout: every version is written once in this one. */
    private boolean older;

    JoinedValues() {}

    /** The versions of one key as stored, by field. @throws IllegalArgumentException for a value it cannot read */
    public static JoinedValues fromFields(Map<String, byte[]> fields) {
        JoinedValues j = new JoinedValues();
        fields.forEach((field, value) -> j.versions.add(decode(field, value)));
        j.versions.sort(ORDER);
        return j;
    }

    /** The one-value layout before this one (null: no values). */
    public static JoinedValues fromOlderBytes(byte[] bytes) {
        JoinedValues j = new JoinedValues();
        if (bytes == null) {
            return j;
        }
        DataInputDeserializer in = new DataInputDeserializer(bytes);
        try {
            if (in.readByte() != OLDER_FORMAT) {
                throw new IllegalArgumentException("unknown joined-values format");
            }
            int n = in.readUnsignedByte();
            for (int k = 0; k < n; k++) {
                long time = in.readLong();
                String id = in.readUTF();
                j.versions.add(readValues(in, time, id, "", Long.MIN_VALUE));
            }
            if (in.available() > 0) {
                throw new IllegalArgumentException("joined values have trailing bytes");
            }
        } catch (IOException e) {
            throw new IllegalArgumentException("joined values are truncated or damaged", e);
        }
        j.versions.sort(ORDER);
        j.older = !j.versions.isEmpty();
        return j;
    }

    public List<Version> versions() {
        return versions;
    }

    public boolean isEmpty() {
        return versions.isEmpty();
    }

    /**
     * Adds a version (no change if the same event is already there, or if it repeats its giver's values just
     * before it) and drops those no event within {@code horizonMs} of the newest can need; returns whether anything
     * changed.
     */
    boolean add(Version v, long horizonMs) {
        // From the newest: a version mostly comes after those stored (and the same (time, event id) is the same field).
        int at = versions.size();
        while (at > 0 && ORDER.compare(versions.get(at - 1), v) > 0) {
            at--;
        }
        if (at > 0 && ORDER.compare(versions.get(at - 1), v) == 0) {
            return false;
        }
        if (at > 0 && versions.get(at - 1).sameValuesAs(v)) {
            return false;
        }
        versions.add(at, v);
        added.put(v.field(), v);
        removed.remove(v.field());
        long horizon = versions.get(versions.size() - 1).time() - horizonMs;
        while (versions.size() > 1 && versions.get(1).time() <= horizon) {
            drop(0); // superseded before the horizon
        }
        while (versions.size() > MAX_VERSIONS) {
            drop(0);
        }
        return true;
    }

    private void drop(int i) {
        Version gone = versions.remove(i);
        if (added.remove(gone.field()) == null) {
            removed.add(gone.field());
        }
    }

    /** The latest version at or before {@code time} that {@code skip} does not leave out, or null. */
    Version at(long time, Predicate<Version> skip) {
        // From the newest: a receiving event mostly comes after the versions it may take, so one or two are looked at.
        for (int i = versions.size() - 1; i >= 0; i--) {
            Version v = versions.get(i);
            if (v.time() <= time && !skip.test(v)) {
                return v;
            }
        }
        return null;
    }

    /** Whether a write has something to do. */
    public boolean changed() {
        return older || !added.isEmpty() || !removed.isEmpty();
    }

    /** The fields to set: those added since the last write (all of them after the older layout). */
    public Map<String, byte[]> addedFields() {
        Map<String, byte[]> out = new LinkedHashMap<>();
        for (Version v : older ? versions : added.values()) {
            out.put(v.field(), encode(v));
        }
        return out;
    }

    /** The fields to delete. */
    public Collection<String> removedFields() {
        return removed;
    }

    /** Every field, to write the values whole. */
    public Map<String, byte[]> allFields() {
        Map<String, byte[]> out = new LinkedHashMap<>();
        versions.forEach(v -> out.put(v.field(), encode(v)));
        return out;
    }

    /** Whether the values were read from the one-value layout (their key there can go). */
    public boolean fromOlderLayout() {
        return older;
    }

    /** Notes that the changes are stored. */
    public void written() {
        added.clear();
        removed.clear();
        older = false;
    }

    public static byte[] encode(Version v) {
        DataOutputSerializer out = new DataOutputSerializer(64);
        try {
            out.writeByte(VERSION_FORMAT);
            out.writeLong(v.recordTime());
            out.writeUTF(v.giver());
            out.writeShort(v.names().size());
            for (int i = 0; i < v.names().size(); i++) {
                out.writeUTF(v.names().get(i));
                LongText.write(out, v.values().get(i));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.getCopyOfBuffer();
    }

    /** One stored version. @throws IllegalArgumentException when the field or the value cannot be read */
    public static Version decode(String field, byte[] value) {
        int colon = field.indexOf(':');
        long time;
        try {
            time = Long.parseLong(field.substring(0, Math.max(colon, 0)));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("field '" + field + "' is not a version of joined values");
        }
        DataInputDeserializer in = new DataInputDeserializer(value);
        try {
            if (in.readByte() != VERSION_FORMAT) {
                throw new IllegalArgumentException("unknown joined-values format (written by a newer version?)");
            }
            long recordTime = in.readLong();
            String giver = in.readUTF();
            Version v = readValues(in, time, field.substring(colon + 1), giver, recordTime);
            if (in.available() > 0) {
                throw new IllegalArgumentException("a joined-values version has trailing bytes");
            }
            return v;
        } catch (IOException e) {
            throw new IllegalArgumentException("a joined-values version is truncated or damaged", e);
        }
    }

    private static Version readValues(DataInputDeserializer in, long time, String id, String giver, long recordTime)
            throws IOException {
        int fields = in.readUnsignedShort();
        List<String> names = new ArrayList<>(fields);
        List<String> values = new ArrayList<>(fields);
        for (int i = 0; i < fields; i++) {
            names.add(in.readUTF());
            values.add(LongText.read(in));
        }
        return new Version(time, id, names, values, giver, recordTime);
    }
}
