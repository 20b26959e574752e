package io.clickstream.etl.funnel;

import io.clickstream.etl.codec.ScratchOutput;
import io.clickstream.etl.codec.VarInts;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.flink.core.memory.DataInputDeserializer;
import org.apache.flink.core.memory.DataOutputSerializer;

/**
 * The funnel progress of one session, stored in Redis under the session id. Besides each funnel's progress it
 * remembers the tags it gave, by the event's index in the session, and the highest index it processed: an event at
 * or below that index is a replay and gets its recorded tags back instead of being evaluated again.
 */
public final class SessionFunnels {
    /**
     * Format 2: numbers as varints and each funnel id once, tags naming their funnel by its place in that list —
     * the field is written with each batch a session gets events, and format 1 spent 8 bytes on every number and
     * repeated the funnel's id in each tag. Format 1 is still read.
     */
    private static final byte FORMAT_UNFLAGGED = 2;

    /**
     * Format 3: format 2 after a byte of flags, whose lowest bit says the session's stored rows are tagged by the
     * corrections ({@link #correctedByRows}).
     */
    private static final byte FORMAT = 3;

    private static final byte FORMAT_FIXED_WIDTH = 1;

    /** Progress in one funnel under one version of its definition. */
    static final class Progress {
        final long versionTime;
        final long versionOffset;
        /** Highest step reached (1-based; 0 none). */
        int level;
        /** Sequential: starts[k] = start time of the latest chain that reached step k+1 (-1 none). Strict: starts[0]. */
        final long[] starts;
        /** Strict: the level of the chain ending at the previous event (0 none). */
        int chain;

        Progress(long versionTime, long versionOffset, int steps) {
            this.versionTime = versionTime;
            this.versionOffset = versionOffset;
            this.starts = new long[steps];
            java.util.Arrays.fill(starts, -1L);
        }
    }

    /** A tag of a stored event: the funnel it advanced and the step it reached. */
    public record Tag(String funnelId, int step) {}

    int maxIndex = -1;
    /**
     * A late event changed the session: its progress here followed the events in the order they came, not in time
     * order, so the tags of its stored rows are computed again from the rows themselves, in time order, with each
     * batch it gets (a correction).
     */
    private boolean correctedByRows;

    final Map<String, Progress> funnels = new TreeMap<>();
    final Map<Integer, List<Tag>> tags = new TreeMap<>();

    public List<Tag> tagsAt(int index) {
        return tags.getOrDefault(index, List.of());
    }

    public int maxIndex() {
        return maxIndex;
    }

    /** Whether the tags of the session's stored rows are computed from the rows, as a late event made it. */
    public boolean correctedByRows() {
        return correctedByRows;
    }

    /** A late event changed the session: from now on its rows are tagged from the rows themselves. */
    public void markCorrectedByRows() {
        correctedByRows = true;
    }

    public byte[] toBytes() {
        return encode(false, 0);
    }

    /** {@link #toBytes} after 8 bytes of {@code stamp} (how a stored field carries its write time), in one array. */
    public byte[] toBytesAfter(long stamp) {
        return encode(true, stamp);
    }

    private byte[] encode(boolean stamped, long stamp) {
        DataOutputSerializer out = ScratchOutput.get();
        try {
            if (stamped) {
                out.writeLong(stamp);
            }
            out.writeByte(FORMAT);
            out.writeByte(correctedByRows ? 1 : 0);
            VarInts.write(out, maxIndex);
            List<String> ids = new ArrayList<>(funnels.keySet());
            for (List<Tag> at : tags.values()) {
                for (Tag t : at) {
                    if (!ids.contains(t.funnelId())) { // a funnel removed since: rare
                        ids.add(t.funnelId());
                    }
                }
            }
            VarInts.write(out, ids.size());
            for (String id : ids) {
                out.writeUTF(id);
            }
            VarInts.write(out, funnels.size()); // the first ids' progress, in order
            for (Progress p : funnels.values()) {
                VarInts.write(out, p.versionTime);
                VarInts.write(out, p.versionOffset);
                out.writeByte(p.level);
                out.writeByte(p.chain);
                out.writeByte(p.starts.length);
                for (long start : p.starts) {
                    VarInts.write(out, start);
                }
            }
            VarInts.write(out, tags.size());
            int previous = -1;
            for (Map.Entry<Integer, List<Tag>> e : tags.entrySet()) {
                VarInts.write(out, e.getKey() - previous); // ascending: small steps
                previous = e.getKey();
                out.writeByte(e.getValue().size());
                for (Tag t : e.getValue()) {
                    VarInts.write(out, ids.indexOf(t.funnelId()));
                    out.writeByte(t.step());
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.getCopyOfBuffer();
    }

    /** Reads {@link #toBytes}; null gives an empty state; anything else unreadable throws IllegalArgumentException. */
    public static SessionFunnels fromBytes(byte[] bytes) {
        SessionFunnels s = new SessionFunnels();
        if (bytes == null) {
            return s;
        }
        DataInputDeserializer in = new DataInputDeserializer(bytes);
        try {
            byte format = in.readByte();
            if (format == FORMAT) {
                int flags = in.readUnsignedByte();
                if (flags > 1) {
                    throw new IllegalArgumentException("funnel state has unknown flags " + flags);
                }
                s.correctedByRows = flags == 1;
                readVarIntFormat(in, s);
            } else if (format == FORMAT_UNFLAGGED) {
                readVarIntFormat(in, s);
            } else if (format == FORMAT_FIXED_WIDTH) {
                readFixedWidthFormat(in, s);
            } else {
                throw new IllegalArgumentException("unknown funnel state format " + format);
            }
            if (in.available() > 0) {
                throw new IllegalArgumentException("funnel state has " + in.available() + " trailing bytes");
            }
        } catch (IOException e) {
            throw new IllegalArgumentException("funnel state is truncated or damaged", e);
        }
        return s;
    }

    private static void readVarIntFormat(DataInputDeserializer in, SessionFunnels s) throws IOException {
        s.maxIndex = VarInts.readInt(in, -1, Integer.MAX_VALUE);
        int n = VarInts.readInt(in, 0, in.available());
        List<String> ids = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            ids.add(in.readUTF());
        }
        int withProgress = VarInts.readInt(in, 0, n);
        for (int i = 0; i < withProgress; i++) {
            s.funnels.put(ids.get(i), readProgress(in, VarInts::read));
        }
        int t = VarInts.readInt(in, 0, in.available());
        int index = -1;
        for (int i = 0; i < t; i++) {
            index += VarInts.readInt(in, 1, Integer.MAX_VALUE);
            int count = in.readUnsignedByte();
            List<Tag> list = new ArrayList<>(count);
            for (int k = 0; k < count; k++) {
                list.add(new Tag(ids.get(VarInts.readInt(in, 0, n - 1)), in.readUnsignedByte()));
            }
            s.tags.put(index, list);
        }
    }

    /** How a format writes its numbers. */
    private interface Numbers {
        long read(DataInputDeserializer in) throws IOException;
    }

    /** One funnel's progress: version time and offset, level, chain, and the chains' starts. */
    private static Progress readProgress(DataInputDeserializer in, Numbers numbers) throws IOException {
        long time = numbers.read(in);
        long offset = numbers.read(in);
        int level = in.readUnsignedByte();
        int chain = in.readUnsignedByte();
        Progress p = new Progress(time, offset, in.readUnsignedByte());
        p.level = level;
        p.chain = chain;
        for (int k = 0; k < p.starts.length; k++) {
            p.starts[k] = numbers.read(in);
        }
        return p;
    }

    private static void readFixedWidthFormat(DataInputDeserializer in, SessionFunnels s) throws IOException {
        s.maxIndex = in.readInt();
        int n = in.readUnsignedShort();
        for (int i = 0; i < n; i++) {
            String id = in.readUTF();
            s.funnels.put(id, readProgress(in, DataInputDeserializer::readLong));
        }
        int t = in.readInt();
        for (int i = 0; i < t; i++) {
            int index = in.readInt();
            int count = in.readUnsignedByte();
            List<Tag> list = new ArrayList<>(count);
            for (int k = 0; k < count; k++) {
                list.add(new Tag(in.readUTF(), in.readUnsignedByte()));
            }
            s.tags.put(index, list);
        }
    }

    @Override
    public String toString() {
        Map<String, Integer> levels = new LinkedHashMap<>();
        funnels.forEach((k, v) -> levels.put(k, v.level));
        return "SessionFunnels{maxIndex=" + maxIndex + (correctedByRows ? ", corrected by rows" : "") + ", levels="
                + levels + ", tags=" + tags + "}";
    }
}
