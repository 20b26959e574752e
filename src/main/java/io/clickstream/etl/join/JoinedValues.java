package io.clickstream.etl.join;

import io.clickstream.etl.codec.LongText;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import org.apache.flink.core.memory.DataInputDeserializer;
import org.apache.flink.core.memory.DataOutputSerializer;

/**
 * The values a rule's source gave for one key, each with its event time, stored in Redis. A receiving event takes
 * the latest version at or before its own time, so reprocessing it gives the same values even when the source has
 * sent newer ones since. Kept: every version a reprocessed event within the horizon (the session history, where
 * replays and restores reprocess) may need — the one in effect at the horizon and all after it; a count cap only
 * bounds a key whose source changes it hundreds of times within the horizon.
 */
final class JoinedValues {
    private static final byte FORMAT = 1;
    /** The stored count is one unsigned byte. */
    static final int MAX_VERSIONS = 255;

    record Version(long time, String eventId, List<String> names, List<String> values) {}

    private static final Comparator<Version> ORDER =
            Comparator.comparingLong(Version::time).thenComparing(Version::eventId);

    final List<Version> versions = new ArrayList<>();

    /**
     * Adds a version (no change if the same event is already there) and drops those no event within
     * {@code horizonMs} of the newest can need; returns whether anything changed.
     */
    boolean add(Version v, long horizonMs) {
        for (Version old : versions) {
            if (old.time() == v.time() && old.eventId().equals(v.eventId())) {
                return false;
            }
        }
        versions.add(v);
        versions.sort(ORDER);
        long horizon = versions.get(versions.size() - 1).time() - horizonMs;
        while (versions.size() > 1 && versions.get(1).time() <= horizon) {
            versions.remove(0); // superseded before the horizon
        }
        while (versions.size() > MAX_VERSIONS) {
            versions.remove(0);
        }
        return true;
    }

    /** The latest version at or before {@code time}, or null. */
    Version at(long time) {
        Version found = null;
        for (Version v : versions) {
            if (v.time() <= time) {
                found = v;
            }
        }
        return found;
    }

    byte[] toBytes() {
        DataOutputSerializer out = new DataOutputSerializer(256);
        try {
            out.writeByte(FORMAT);
            out.writeByte(versions.size());
            for (Version v : versions) {
                out.writeLong(v.time());
                out.writeUTF(v.eventId());
                out.writeShort(v.names().size());
                for (int i = 0; i < v.names().size(); i++) {
                    out.writeUTF(v.names().get(i));
                    LongText.write(out, v.values().get(i));
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.getCopyOfBuffer();
    }

    static JoinedValues fromBytes(byte[] bytes) {
        JoinedValues j = new JoinedValues();
        if (bytes == null) {
            return j;
        }
        DataInputDeserializer in = new DataInputDeserializer(bytes);
        try {
            if (in.readByte() != FORMAT) {
                throw new IllegalArgumentException("unknown joined-values format");
            }
            int n = in.readUnsignedByte();
            for (int k = 0; k < n; k++) {
                long time = in.readLong();
                String id = in.readUTF();
                int fields = in.readUnsignedShort();
                List<String> names = new ArrayList<>(fields);
                List<String> values = new ArrayList<>(fields);
                for (int i = 0; i < fields; i++) {
                    names.add(in.readUTF());
                    values.add(LongText.read(in));
                }
                j.versions.add(new Version(time, id, names, values));
            }
            if (in.available() > 0) {
                throw new IllegalArgumentException("joined values have trailing bytes");
            }
        } catch (IOException e) {
            throw new IllegalArgumentException("joined values are truncated or damaged", e);
        }
        return j;
    }
}
