package io.clickstream.etl.session;

import io.clickstream.etl.codec.LongText;
import io.clickstream.etl.codec.ScratchOutput;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.apache.flink.core.memory.DataInputDeserializer;
import org.apache.flink.core.memory.DataOutputSerializer;

/**
 * One user's recent sessions, as kept in Redis: for each its id, number, start, end, event count, and which events
 * it holds with their index (so that a replayed event gets exactly the answer it got the first time). Stored as a
 * small versioned binary blob: a new job version must read what an old one wrote.
 */
public final class UserHistory {
    /** Format of {@link #toBytes()}; bump it and keep reading the old one when the layout changes. */
    static final byte FORMAT = 3;
    /**
     * Formats of the per-user hash's fields ({@link #headerField}; a session's field: a format-3 record, whose
     * remembered events are, from session field format 2 on, only the last {@link #CHUNK}-event chunk's, the full
     * chunks being fields of their own).
     */
    static final byte HEADER_FORMAT = 1;

    /**
     * Session field format 4: only what the session's next event may change (times, counts, the last chunk's
     * remembered events, exit, sources); what its entry fixed (number, origin, entry URL, referrer, geo, device) is
     * in a field of its own ({@link #ENTRY_FIELD}), written when the session starts and when an earlier event
     * becomes its entry — so a batch does not write the entry's hundred-odd bytes again for each event. Formats 1 to
     * 3 held both in the session field; such a session is written again in the current format with its entry field
     * when it changes. Format 5 is format 4 whose remembered entries may carry the {@link #LATE} mark.
     */
    static final byte SESSION_FIELD_FORMAT = 5;

    /**
     * Session field format 4: as 5, but its remembered entries' indexes never carry the {@link #LATE} mark. A version
     * that reads only format 4 refuses format 5 rather than read a marked index as a negative number.
     */
    static final byte SESSION_FIELD_FORMAT_UNMARKED = 4;

    /**
     * Session field format 3: each remembered event's key holds the position tag of where it was read in its lower
     * 16 bits (format 2 and before: the whole key, no tag; read with tag 0, "not known", and written again, tagged,
     * with all their chunks when their session changes).
     */
    static final byte SESSION_FIELD_FORMAT_TAGGED = 3;

    static final byte ENTRY_FIELD_FORMAT = 1;

    static final byte SESSION_FIELD_FORMAT_CHUNKED_UNTAGGED = 2;
    /**
     * The top bit of a remembered entry's index: the event came late and its arrival changed rows stored before it
     * (older layouts never set it; indexes stay far below it).
     */
    static final int LATE = 0x8000_0000;
    /** The part of a remembered entry's first 8 bytes that is the event's key; the rest is its position tag. */
    static final long KEY_MASK = ~0xFFFFL;
    /** Session field format 1: all remembered events in the session's field, rewritten whole whenever one is added. */
    static final byte SESSION_FIELD_FORMAT_INLINE = 1;
    /**
     * Remembered events per chunk field. A live session gains events a few at a time; were its events one value, every
     * batch would rewrite all of them (kilobytes for a long session, the write growing with the session's square);
     * full chunks never change, so a batch writes the session's summary and at most this many events.
     */
    static final int CHUNK = 64;
    /** Names of a session's fields in the per-user hash: its record, and its full chunks of remembered events. */
    public static final String SESSION_FIELD = "s:";

    public static final String CHUNK_FIELD = "e:";
    /** The field of what a session's entry fixed (session field format 4 on). */
    public static final String ENTRY_FIELD = "i:";

    final List<Session> sessions = new ArrayList<>();
    int lastNumber;

    /** A user's session; its row is made from it by {@link SessionRows#row}. */
    public static final class Session {
        /** Derived from the user and the time of the session's earliest event: an earlier late event renames it. */
        String id;
        /** Its place among the user's sessions: a late event's session before it, or a merge, renumbers it. */
        int number;
        /** The time the id derives from (the earliest event); format 1 did not store it: its start then. */
        long origin;

        long start;
        long end;
        int count;
        /**
         * The remembered events as (key, index) entries of 12 bytes, in the order they were added: the stored form
         * itself, so writing a session back is one copy whatever its size (re-encoding a map made every batch cost
         * as much as the whole session), and adding an event appends 12 bytes.
         */
        private byte[] entries;

        private int entryCount;
        /** Key to index, built only for a session looked into often (a replay); a scan serves the others. */
        private Map<Long, Integer> indexByEvent;

        private int lookups;
        /** Whether the session changed since it was read or last {@link #stored}. */
        private boolean changed = true;
        /** Full chunks of remembered events the per-user hash holds as fields of their own. */
        private int storedChunks;
        /** Whether the per-user hash holds the entry field as the session has it now. */
        private boolean entryStored;
        /**
         * The names of its fields, made once: written on most batches, they are kept in the record's set of stored
         * fields, where a name made anew would be hashed and compared char by char each time.
         */
        private String fieldName;

        private String entryFieldName;
        // Summary for the sessions table (format 2 on).
        int pageViews;
        String entryUrl = "";
        String exitUrl = "";
        String referrer = "";
        /**
         * The entry's IP and user agent, kept only by sessions written before format 3, whose rows still need a geo
         * and device lookup; empty for the others.
         */
        String entryIp = "";

        String entryUserAgent = "";
        final Set<String> sources = new TreeSet<>();
        /** Geo and device of the session's entry (format 3 on), taken from its event: no second lookup. */
        boolean entryGeo;

        String countryCode = "";
        String country = "";
        String region = "";
        String city = "";
        boolean entryDevice;
        String browser = "";
        String os = "";
        String deviceType = "";
        boolean bot;

        /** The session's id, the key of its row. */
        public String id() {
            return id;
        }

        /** The time of its latest event. */
        public long end() {
            return end;
        }

        /** A new session, without events yet. */
        Session(String id, int number, long origin, long start, long end, int count) {
            this(id, number, origin, start, end, count, new byte[12 * 8], 0);
        }

        private Session(
                String id, int number, long origin, long start, long end, int count, byte[] entries, int entryCount) {
            this.id = id;
            this.number = number;
            this.origin = origin;
            this.start = start;
            this.end = end;
            this.count = count;
            this.entries = entries;
            this.entryCount = entryCount;
        }

        /** The entry remembering the event with this key, or -1 if the session does not remember it. */
        int find(long key) {
            long k = key & KEY_MASK;
            if (indexByEvent == null && ++lookups > 8) {
                indexByEvent = new HashMap<>(Math.max(4, entryCount * 2));
                ByteBuffer in = ByteBuffer.wrap(entries);
                for (int i = 0; i < entryCount; i++) {
                    indexByEvent.put(in.getLong(12 * i) & KEY_MASK, i);
                }
            }
            if (indexByEvent != null) {
                Integer i = indexByEvent.get(k);
                return i == null ? -1 : i;
            }
            ByteBuffer in = ByteBuffer.wrap(entries);
            for (int i = 0; i < entryCount; i++) {
                if ((in.getLong(12 * i) & KEY_MASK) == k) {
                    return i;
                }
            }
            return -1;
        }

        /** The index the event of entry {@code i} got in the session. */
        int index(int i) {
            return ByteBuffer.wrap(entries).getInt(12 * i + 8) & ~LATE;
        }

        /**
         * Whether the event of entry {@code i} came late and changed stored rows: read again (a replay after a
         * restore, when Redis already held it), it asks for those corrections again, as they may have been lost.
         */
        boolean late(int i) {
            return (ByteBuffer.wrap(entries).getInt(12 * i + 8) & LATE) != 0;
        }

        /** The raw key-and-tag of entry {@code i}. */
        long keyAndTag(int i) {
            return ByteBuffer.wrap(entries).getLong(12 * i);
        }

        /** Adds {@code by} to every remembered index (an earlier event came before all of them). */
        void shiftIndexes(int by) {
            ByteBuffer b = ByteBuffer.wrap(entries);
            for (int i = 0; i < entryCount; i++) {
                int v = b.getInt(12 * i + 8);
                b.putInt(12 * i + 8, (v & LATE) | ((v & ~LATE) + by));
            }
            rewriteAll();
        }

        /**
         * Takes the id an earlier event gives it: the fields under the old id are forgotten (the header changes), so
         * everything is written again under the new one.
         */
        void rename(String newId, long newOrigin) {
            id = newId;
            origin = newOrigin;
            fieldName = null;
            entryFieldName = null;
            rewriteAll();
        }

        /** Everything of the session, chunks and entry too, is written with the next write. */
        void rewriteAll() {
            storedChunks = 0;
            entryChanged();
        }

        /** Sets its number (its entry field holds it). */
        void renumber(int n) {
            if (n != number) {
                number = n;
                entryChanged();
            }
        }

        /** The position tag of entry {@code i} (0: not known). */
        int tag(int i) {
            return (int) (ByteBuffer.wrap(entries).getLong(12 * i) & 0xFFFF);
        }

        /** The index the event with this key got, or null if the session does not remember it. */
        Integer indexOf(long key) {
            int i = find(key);
            return i < 0 ? null : index(i);
        }

        /** Entries of a layout without position tags: keys cut to {@link #KEY_MASK}, tag 0 (not known). */
        void untagged() {
            ByteBuffer b = ByteBuffer.wrap(entries);
            for (int i = 0; i < entryCount; i++) {
                b.putLong(12 * i, b.getLong(12 * i) & KEY_MASK);
            }
        }

        /** Marks the session changed: the next write stores it. Anything that changes a field calls it. */
        void changed() {
            changed = true;
        }

        /** Marks what the entry fixed (number, origin, entry URL, referrer, geo, device) changed. */
        void entryChanged() {
            changed = true;
            entryStored = false;
        }

        void remember(long key, int tag, int index) {
            remember((key & KEY_MASK) | (tag & 0xFFFF), index);
        }

        /** Remembers an entry as {@link #keyAndTag} gives it, with its index and {@link #LATE} flag. */
        void remember(long keyAndTag, int indexAndFlag) {
            changed();
            if (12 * (entryCount + 1) > entries.length) {
                entries = Arrays.copyOf(entries, Math.max(12 * 8, entries.length * 2));
            }
            ByteBuffer.wrap(entries).putLong(12 * entryCount, keyAndTag).putInt(12 * entryCount + 8, indexAndFlag);
            if (indexByEvent != null) {
                indexByEvent.put(keyAndTag & KEY_MASK, entryCount);
            }
            entryCount++;
        }

        /** How many events the session remembers by key. */
        int remembered() {
            return entryCount;
        }
    }

    /** Forgets the sessions that ended before {@code before}, except those in {@code keep}. */
    void trim(long before, Collection<Session> keep) {
        for (int i = sessions.size() - 1; i >= 0; i--) { // no predicate made per batch; few sessions, seldom one goes
            Session s = sessions.get(i);
            if (s.end < before && !keep.contains(s)) {
                sessions.remove(i);
            }
        }
    }

    public int sessionCount() {
        return sessions.size();
    }

    public byte[] toBytes() {
        int size = 16;
        for (Session s : sessions) {
            size += 256 + 12 * s.remembered();
        }
        DataOutputSerializer out = new DataOutputSerializer(size);
        try {
            out.writeByte(FORMAT);
            out.writeInt(lastNumber);
            out.writeInt(sessions.size());
            for (Session s : sessions) {
                writeSession(out, s, 0);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.getCopyOfBuffer();
    }

    /**
     * One session's record, as {@link #toBytes()} lays it out in format 3 and a session field holds it: all its
     * remembered events from {@code fromEntry} on (the events before it are in chunk fields).
     */
    private static void writeSession(DataOutputSerializer out, Session s, int fromEntry) throws IOException {
        out.writeUTF(s.id);
        out.writeInt(s.number);
        writeTimesAndEvents(out, s, fromEntry);
        out.writeLong(s.origin);
        out.writeInt(s.pageViews);
        LongText.write(out, s.entryUrl);
        LongText.write(out, s.exitUrl);
        LongText.write(out, s.referrer);
        LongText.write(out, s.entryIp);
        LongText.write(out, s.entryUserAgent);
        writeSources(out, s);
        writeEntryLookups(out, s);
    }

    /** Start, end, event count and the remembered events from {@code fromEntry} on (both session field layouts). */
    private static void writeTimesAndEvents(DataOutputSerializer out, Session s, int fromEntry) throws IOException {
        out.writeLong(s.start);
        out.writeLong(s.end);
        out.writeInt(s.count);
        out.writeInt(s.entryCount);
        out.write(s.entries, 12 * fromEntry, 12 * (s.entryCount - fromEntry));
    }

    private static void writeSources(DataOutputSerializer out, Session s) throws IOException {
        out.writeInt(s.sources.size());
        for (String source : s.sources) {
            LongText.write(out, source);
        }
    }

    // The per-user hash (one field per session, one for the header): a batch writes what it changed, not the user's
    // whole history. Each field starts with its own format byte, so fields written by different versions can mix.

    /** The header field: the last session number and the sessions' ids in their order. */
    public byte[] headerField() {
        return headerFieldUnless(null);
    }

    /** The header field, or null when it equals {@code stored} (compared without a copy: most batches keep it). */
    public byte[] headerFieldUnless(byte[] stored) {
        DataOutputSerializer out = ScratchOutput.get();
        try {
            out.writeByte(HEADER_FORMAT);
            out.writeInt(lastNumber);
            out.writeInt(sessions.size());
            for (Session s : sessions) {
                out.writeUTF(s.id);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return ScratchOutput.holds(out, stored) ? null : out.getCopyOfBuffer();
    }

    /** Whether the history holds a session with this id (a user has few: a scan). */
    public boolean hasSession(String id) {
        for (Session s : sessions) {
            if (s.id.equals(id)) {
                return true;
            }
        }
        return false;
    }

    /** The correction of the session with this id as it stands now (its tags left as stored), or null if none. */
    public SessionCorrection correction(String userId, String sessionId) {
        for (Session s : sessions) {
            if (s.id.equals(sessionId)) {
                return SessionCorrection.of(userId, s);
            }
        }
        return null;
    }

    /** The time of the user's newest remembered event; Long.MIN_VALUE when there is none. */
    public long newestTime() {
        long newest = Long.MIN_VALUE;
        for (Session s : sessions) {
            newest = Math.max(newest, s.end);
        }
        return newest;
    }

    /** The ids of the sessions that have events within {@code [start, end]} by their bounds. */
    public List<String> sessionIdsWithin(long start, long end) {
        List<String> ids = new ArrayList<>(2);
        for (Session s : sessions) {
            if (s.start <= end && s.end >= start) {
                ids.add(s.id);
            }
        }
        return ids;
    }

    /** The ids of the sessions, in order. */
    public List<String> sessionIds() {
        List<String> ids = new ArrayList<>(sessions.size());
        sessions.forEach(s -> ids.add(s.id));
        return ids;
    }

    /**
     * The fields of the sessions changed since they were read or last {@link #stored}, by field name: a changed
     * session's record, and the chunks of remembered events it filled since; with {@code all}, every session's record
     * and all of its chunks (a record written whole: a user from the older one-value layout, a key that vanished).
     */
    public Map<String, byte[]> changedSessionFields(boolean all) {
        Map<String, byte[]> out = new LinkedHashMap<>();
        changedSessionFields(all, out);
        return out;
    }

    /** {@link #changedSessionFields(boolean)}, put into {@code out}. */
    public void changedSessionFields(boolean all, Map<String, byte[]> out) {
        for (Session s : sessions) {
            if (all || s.changed) {
                int full = s.entryCount / CHUNK;
                if (s.fieldName == null) {
                    s.fieldName = SESSION_FIELD + s.id;
                    s.entryFieldName = ENTRY_FIELD + s.id;
                }
                out.put(s.fieldName, sessionField(s, full * CHUNK));
                if (all || !s.entryStored) {
                    out.put(s.entryFieldName, entryField(s));
                }
                for (int k = all ? 0 : s.storedChunks; k < full; k++) {
                    out.put(chunkField(s.id, k), Arrays.copyOfRange(s.entries, 12 * CHUNK * k, 12 * CHUNK * (k + 1)));
                }
            }
        }
    }

    /** Notes that the fields {@link #changedSessionFields} gave are stored now. */
    public void stored() {
        for (Session s : sessions) {
            s.changed = false;
            s.entryStored = true;
            s.storedChunks = s.entryCount / CHUNK;
        }
    }

    private static String chunkField(String session, int k) {
        return CHUNK_FIELD + session + ":" + k;
    }

    /** The session a field of the per-user hash belongs to (its record or a chunk of it), or null for other fields. */
    public static String sessionOf(String field) {
        if (field.startsWith(SESSION_FIELD)) {
            return field.substring(SESSION_FIELD.length());
        }
        if (field.startsWith(ENTRY_FIELD)) {
            return field.substring(ENTRY_FIELD.length());
        }
        int colon = field.lastIndexOf(':');
        return field.startsWith(CHUNK_FIELD) && colon > CHUNK_FIELD.length()
                ? field.substring(CHUNK_FIELD.length(), colon)
                : null;
    }

    /** A session's field in format 4: what its next event may change, with its remembered events from {@code fromEntry}. */
    private static byte[] sessionField(Session s, int fromEntry) {
        DataOutputSerializer out = ScratchOutput.get();
        try {
            out.writeByte(SESSION_FIELD_FORMAT);
            writeTimesAndEvents(out, s, fromEntry);
            out.writeInt(s.pageViews);
            LongText.write(out, s.exitUrl);
            writeSources(out, s);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.getCopyOfBuffer();
    }

    /** A session's entry field: what its entry fixed. */
    private static byte[] entryField(Session s) {
        DataOutputSerializer out = ScratchOutput.get();
        try {
            out.writeByte(ENTRY_FIELD_FORMAT);
            out.writeInt(s.number);
            out.writeLong(s.origin);
            LongText.write(out, s.entryUrl);
            LongText.write(out, s.referrer);
            LongText.write(out, s.entryIp);
            LongText.write(out, s.entryUserAgent);
            writeEntryLookups(out, s);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.getCopyOfBuffer();
    }

    private static void writeEntryLookups(DataOutputSerializer out, Session s) throws IOException {
        out.writeByte((s.entryGeo ? 1 : 0) | (s.entryDevice ? 2 : 0));
        if (s.entryGeo) {
            LongText.write(out, s.countryCode);
            LongText.write(out, s.country);
            LongText.write(out, s.region);
            LongText.write(out, s.city);
        }
        if (s.entryDevice) {
            LongText.write(out, s.browser);
            LongText.write(out, s.os);
            LongText.write(out, s.deviceType);
            out.writeBoolean(s.bot);
        }
    }

    private static void readEntryLookups(DataInputDeserializer in, Session s) throws IOException {
        int flags = in.readByte();
        if ((flags & ~3) != 0) {
            throw new IOException("bad entry flags " + flags);
        }
        s.entryGeo = (flags & 1) != 0;
        s.entryDevice = (flags & 2) != 0;
        if (s.entryGeo) {
            s.countryCode = LongText.read(in);
            s.country = LongText.read(in);
            s.region = LongText.read(in);
            s.city = LongText.read(in);
        }
        if (s.entryDevice) {
            s.browser = LongText.read(in);
            s.os = LongText.read(in);
            s.deviceType = LongText.read(in);
            s.bot = in.readBoolean();
        }
    }

    /**
     * Reads a user's hash: the header and the sessions' fields (the hash's fields by name; others are ignored here).
     * A session the header names without its record or one of its chunks is a damaged record (they are written in
     * one script call); a field the header does not name is left over.
     */
    public static UserHistory fromFields(byte[] header, Map<String, byte[]> fields) {
        UserHistory h = new UserHistory();
        if (header == null) {
            if (fields.keySet().stream().anyMatch(f -> sessionOf(f) != null)) {
                throw new IllegalArgumentException("damaged session history: sessions without a header");
            }
            return h;
        }
        try {
            DataInputDeserializer in = new DataInputDeserializer(header);
            byte format = in.readByte();
            if (format != HEADER_FORMAT) {
                throw new IllegalArgumentException("unknown session header format " + format);
            }
            h.lastNumber = in.readInt();
            int n = in.readInt();
            if (n < 0 || n > in.available() / 2) {
                throw new IOException("bad number of sessions " + n);
            }
            for (int i = 0; i < n; i++) {
                String id = in.readUTF();
                byte[] field = fields.get(SESSION_FIELD + id);
                if (field == null || field.length == 0) {
                    throw new IOException("session " + id + " is named in the header but has no field");
                }
                Chunks chunks = k -> {
                    byte[] chunk = fields.get(chunkField(id, k));
                    if (chunk == null || chunk.length != 12 * CHUNK) {
                        throw new IOException("session " + id + ": chunk " + k + " of its remembered events is "
                                + (chunk == null ? "missing" : chunk.length + " bytes long"));
                    }
                    return chunk;
                };
                DataInputDeserializer sin = new DataInputDeserializer(field, 1, field.length - 1);
                Session s;
                if (field[0] == SESSION_FIELD_FORMAT || field[0] == SESSION_FIELD_FORMAT_UNMARKED) {
                    s = readSessionField(id, sin, chunks, entryOf(id, fields.get(ENTRY_FIELD + id)));
                    s.entryStored = true;
                } else if (field[0] == SESSION_FIELD_FORMAT_TAGGED
                        || field[0] == SESSION_FIELD_FORMAT_CHUNKED_UNTAGGED
                        || field[0] == SESSION_FIELD_FORMAT_INLINE) {
                    s = readSession(sin, FORMAT, field[0] == SESSION_FIELD_FORMAT_INLINE ? null : chunks);
                } else {
                    throw new IllegalArgumentException(
                            "unknown session field format " + field[0] + " of session " + id);
                }
                s.changed = false;
                if (field[0] >= SESSION_FIELD_FORMAT_TAGGED) {
                    s.storedChunks = s.entryCount / CHUNK;
                } else {
                    s.untagged(); // its chunks are written again, tagged, when the session changes
                    s.storedChunks = 0;
                }
                if (sin.available() != 0) {
                    throw new IOException("session " + id + ": " + sin.available() + " bytes after its record");
                }
                h.sessions.add(s);
            }
        } catch (IOException e) {
            throw new IllegalArgumentException("damaged session history: " + e.getMessage(), e);
        }
        return h;
    }

    /** Reads what {@link #toBytes()} wrote (this format or the older one); null or empty input is a user without history. */
    public static UserHistory fromBytes(byte[] data) {
        UserHistory h = new UserHistory();
        if (data == null || data.length == 0) {
            return h;
        }
        DataInputDeserializer in = new DataInputDeserializer(data);
        try {
            byte format = in.readByte();
            if (format < 1 || format > FORMAT) {
                throw new IllegalArgumentException("unknown session history format " + format);
            }
            h.lastNumber = in.readInt();
            int n = in.readInt();
            for (int i = 0; i < n; i++) {
                Session s = readSession(in, format, null);
                s.changed = false;
                s.untagged();
                h.sessions.add(s);
            }
        } catch (IOException e) {
            throw new IllegalArgumentException("damaged session history: " + e.getMessage(), e);
        }
        return h;
    }
    /** The full chunks of a session's remembered events, stored as fields of their own. */
    private interface Chunks {
        byte[] chunk(int k) throws IOException;
    }

    /** A session's entry field, past its format byte (checked). */
    private static DataInputDeserializer entryOf(String id, byte[] field) throws IOException {
        if (field == null || field.length == 0) {
            throw new IOException("session " + id + " has no entry field");
        }
        if (field[0] != ENTRY_FIELD_FORMAT) {
            throw new IllegalArgumentException("unknown session entry field format " + field[0] + " of session " + id);
        }
        return new DataInputDeserializer(field, 1, field.length - 1);
    }

    /** A session from its field in format 4 and its entry field. */
    private static Session readSessionField(
            String id, DataInputDeserializer in, Chunks chunks, DataInputDeserializer entry) throws IOException {
        long start = in.readLong();
        long end = in.readLong();
        int count = in.readInt();
        int keys = in.readInt();
        byte[] entries = readEntries(in, keys, chunks);
        Session s = new Session(id, entry.readInt(), entry.readLong(), start, end, count, entries, keys);
        s.pageViews = in.readInt();
        s.exitUrl = LongText.read(in);
        for (int k = in.readInt(); k > 0; k--) {
            s.sources.add(LongText.read(in));
        }
        s.entryUrl = LongText.read(entry);
        s.referrer = LongText.read(entry);
        s.entryIp = LongText.read(entry);
        s.entryUserAgent = LongText.read(entry);
        readEntryLookups(entry, s);
        if (entry.available() != 0) {
            throw new IOException("session " + id + ": " + entry.available() + " bytes after its entry");
        }
        return s;
    }

    /** Remembered events: the full chunks' from {@code chunks} (null: all inline), the rest from {@code in}. */
    private static byte[] readEntries(DataInputDeserializer in, int keys, Chunks chunks) throws IOException {
        int full = chunks == null ? 0 : keys / CHUNK;
        if (keys < 0 || keys - full * CHUNK > in.available() / 12) {
            throw new IOException("bad number of remembered events " + keys);
        }
        byte[] entries = new byte[12 * keys];
        for (int k = 0; k < full; k++) {
            System.arraycopy(chunks.chunk(k), 0, entries, 12 * CHUNK * k, 12 * CHUNK);
        }
        in.readFully(entries, 12 * CHUNK * full, 12 * (keys - CHUNK * full));
        return entries;
    }

    /** One session's record in {@code format}; with {@code chunks}, the record holds only its last chunk's events. */
    private static Session readSession(DataInputDeserializer in, byte format, Chunks chunks) throws IOException {
        String id = in.readUTF();
        int number = in.readInt();
        long start = in.readLong();
        long end = in.readLong();
        int count = in.readInt();
        int keys = in.readInt();
        byte[] entries = readEntries(in, keys, chunks);
        Session s = new Session(id, number, format >= 2 ? in.readLong() : start, start, end, count, entries, keys);
        if (format >= 2) {
            s.pageViews = in.readInt();
            s.entryUrl = LongText.read(in);
            s.exitUrl = LongText.read(in);
            s.referrer = LongText.read(in);
            s.entryIp = LongText.read(in);
            s.entryUserAgent = LongText.read(in);
            for (int k = in.readInt(); k > 0; k--) {
                s.sources.add(LongText.read(in));
            }
        }
        if (format >= 3) {
            readEntryLookups(in, s);
        }
        return s;
    }
}
