package io.clickstream.etl.user;

import io.clickstream.etl.funnel.SessionFunnels;
import io.clickstream.etl.join.JoinedValues;
import io.clickstream.etl.redis.HashStore;
import io.clickstream.etl.session.UserHistory;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * One user's state in the per-user step, kept in one Redis hash: a header ({@code h}), a field per session
 * ({@code s:<session id>}, with its full chunks of remembered events in {@code e:<session id>:<n>}), the funnel progress of a session ({@code f:<session id>}) and the values of each join
 * rule keyed by user, one field per version ({@code j:<rule>:<version>}; {@code j:<rule>} held all of them before). It knows which fields it changed since they were read or written, so a batch
 * writes those and deletes the fields of the sessions it forgot — not the user's whole state.
 *
 * <p>Funnel progress and joined values carry the time they were written (8 bytes before the value), so that
 * funnel.state-ttl and join.state-ttl keep their meaning inside the one key, whose own TTL is the longest of the three.
 *
 * <p>The newest record time of the inputs it holds ({@link HashStore#RECORD_TIME}) tells a record from before a user's
 * erasure from one the user started afresh after it. A record that is not (or no longer) in Redis is written whole,
 * replacing whatever the key holds; a record read from Redis writes its changes only into a hash that still exists.
 */
final class UserRecord {
    static final String HEADER = "h";
    static final String FUNNEL = "f:";
    static final String JOIN = "j:";

    final UserHistory history;
    /** Funnel progress as read (stamp removed), by session id; decoded when the session gets events. */
    private final Map<String, byte[]> funnelBytes = new HashMap<>();

    private final Map<String, SessionFunnels> funnels = new HashMap<>();
    private final Set<String> changedFunnels = new HashSet<>();
    /** Funnel progress field names by session id, made once (see {@code UserHistory.Session}'s field names). */
    private final Map<String, String> funnelFields = new HashMap<>();
    /** Joined values by rule name. */
    private final Map<String, JoinedValues> joins = new HashMap<>();
    /** Rules whose values were read from their one field of the earlier layout, deleted with the next write. */
    private final Set<String> olderJoinFields = new HashSet<>();

    private final Set<String> changedJoins = new HashSet<>();
    /** The fields the hash holds now, and the header as it holds it. */
    private final Set<String> storedFields = new HashSet<>();

    private byte[] storedHeader;
    /** Fields to delete with the next write: expired progress or values, and forgotten sessions' fields. */
    private final Set<String> obsolete = new HashSet<>();
    /** From the layout before the hash: everything is written once, whether it changed or not. */
    private boolean older;
    /** Not in Redis as it is here (a new user, or a key that vanished behind the cache): the next write is whole. */
    private boolean whole;

    private long recordTime = Long.MIN_VALUE;
    private long storedRecordTime = Long.MIN_VALUE;

    private UserRecord(UserHistory history) {
        this.history = history;
    }

    static UserRecord empty() {
        UserRecord r = new UserRecord(new UserHistory());
        r.whole = true;
        return r;
    }

    /**
     * Reads a user's hash; progress and values older than their TTL at {@code nowMs} are left out (and deleted with
     * the next write).
     *
     * @throws IllegalArgumentException for fields this version cannot read
     */
    static UserRecord fromFields(Map<String, byte[]> fields, long nowMs, long funnelTtlMs, long joinTtlMs) {
        UserRecord r = new UserRecord(UserHistory.fromFields(fields.get(HEADER), fields));
        r.storedFields.addAll(fields.keySet());
        r.storedHeader = fields.get(HEADER);
        Set<String> known = new HashSet<>(r.history.sessionIds());
        Map<String, Map<String, byte[]>> versions = new HashMap<>();
        fields.forEach((name, value) -> {
            String ofSession = UserHistory.sessionOf(name);
            if (ofSession != null) {
                if (!known.contains(ofSession)) {
                    r.obsolete.add(name);
                }
            } else if (name.startsWith(FUNNEL)) {
                String session = name.substring(FUNNEL.length());
                if (!known.contains(session) || expired(name, value, nowMs, funnelTtlMs)) {
                    r.obsolete.add(name);
                } else {
                    r.funnelBytes.put(session, unstamped(value));
                }
            } else if (name.startsWith(JOIN)) {
                String rest = name.substring(JOIN.length());
                int colon = rest.indexOf(':');
                if (expired(name, value, nowMs, joinTtlMs)) {
                    r.obsolete.add(name);
                } else if (colon < 0) {
                    r.joins.put(rest, JoinedValues.fromOlderBytes(unstamped(value)));
                    r.olderJoinFields.add(rest);
                    r.changedJoins.add(rest); // moves into one field per version
                } else {
                    versions.computeIfAbsent(rest.substring(0, colon), k -> new LinkedHashMap<>())
                            .put(rest.substring(colon + 1), unstamped(value));
                }
            } else if (name.equals(HashStore.RECORD_TIME)) {
                try {
                    r.recordTime = Long.parseLong(new String(value, java.nio.charset.StandardCharsets.US_ASCII));
                } catch (NumberFormatException e) {
                    throw new IllegalArgumentException("field '" + name + "' is not a time");
                }
                r.storedRecordTime = r.recordTime;
            } else if (!name.equals(HEADER)) {
                throw new IllegalArgumentException("unknown field '" + name + "' (written by a newer version?)");
            }
        });
        versions.forEach((rule, byField) -> {
            if (r.joins.containsKey(rule)) {
                throw new IllegalArgumentException("rule " + rule + " has values in both layouts");
            }
            r.joins.put(rule, JoinedValues.fromFields(byField));
        });
        return r;
    }

    /**
     * A user whose state is still in the layout before the hash: the history (read from its value), the funnel progress of its
     * sessions (by session id) and the joined values (by rule name). Written whole with the next batch.
     */
    static UserRecord fromOlderLayout(UserHistory history, Map<String, byte[]> funnels, Map<String, byte[]> joins) {
        UserRecord r = new UserRecord(history);
        r.older = true;
        r.whole = true;
        funnels.forEach((session, bytes) -> {
            if (bytes != null) {
                r.funnelBytes.put(session, bytes);
                r.changedFunnels.add(session);
            }
        });
        joins.forEach((rule, bytes) -> {
            if (bytes != null) {
                r.joins.put(rule, JoinedValues.fromOlderBytes(bytes));
                r.changedJoins.add(rule);
            }
        });
        return r;
    }

    /** The funnel progress of a session (empty when it has none). */
    SessionFunnels funnels(String session) {
        SessionFunnels f = funnels.get(session);
        if (f == null) {
            f = SessionFunnels.fromBytes(funnelBytes.remove(session));
            funnels.put(session, f);
        }
        return f;
    }

    void funnelsChanged(String session) {
        changedFunnels.add(session);
    }

    /** A session got a new id (an earlier event came): its funnel progress goes with it. */
    void sessionRenamed(String from, String to) {
        SessionFunnels f = funnels.remove(from);
        byte[] bytes = funnelBytes.remove(from);
        if (f != null) {
            funnels.put(to, f);
        } else if (bytes != null) {
            funnelBytes.put(to, bytes);
        } else {
            return;
        }
        changedFunnels.add(to);
    }

    /** The joined values by rule name, as stored; the joins add to it. */
    Map<String, JoinedValues> joins() {
        return joins;
    }

    void joinsChanged(Set<String> rules) {
        changedJoins.addAll(rules);
    }

    /** The newest record time (Kafka timestamp) of the inputs this record holds; Long.MIN_VALUE: unknown. */
    long recordTime() {
        return recordTime;
    }

    /** Notes an input published at {@code time} applied to this record. */
    void applied(long time) {
        recordTime = Math.max(recordTime, time);
    }

    /** Its key vanished from Redis while this record was cached: the next write puts all of it back. */
    void rewriteWhole() {
        whole = true;
    }

    /** What the next write must set and delete; empty when nothing changed. */
    HashStore.Changes changes(long nowMs) {
        if (whole) {
            return wholeChanges(nowMs);
        }
        Map<String, byte[]> set = new LinkedHashMap<>();
        byte[] header = history.headerFieldUnless(storedHeader);
        // Sessions are only forgotten (and added) when the header changes: otherwise nothing needs deleting.
        boolean sessionsChanged = header != null;
        if (sessionsChanged) {
            set.put(HEADER, header);
        }
        history.changedSessionFields(false, set);
        if (!changedFunnels.isEmpty()) {
            for (String session : changedFunnels) {
                if (history.hasSession(session)) {
                    set.put(funnelFields.computeIfAbsent(session, id -> FUNNEL + id), funnelField(session, nowMs));
                }
            }
        }
        List<String> delete = new ArrayList<>();
        if (!changedJoins.isEmpty()) {
            for (String rule : changedJoins) {
                JoinedValues jv = joins.get(rule);
                jv.addedFields()
                        .forEach((version, bytes) -> set.put(JOIN + rule + ":" + version, stamped(nowMs, bytes)));
                for (String version : jv.removedFields()) {
                    if (storedFields.contains(JOIN + rule + ":" + version)) {
                        delete.add(JOIN + rule + ":" + version);
                    }
                }
                if (olderJoinFields.contains(rule)) {
                    delete.add(JOIN + rule);
                }
            }
        }
        if (recordTime != storedRecordTime && !set.isEmpty()) {
            set.put(HashStore.RECORD_TIME, recordTimeField());
        }
        if (!obsolete.isEmpty()) { // rarely: no iterator per user and batch
            for (String field : obsolete) {
                if (!set.containsKey(field) && storedFields.contains(field)) {
                    delete.add(field);
                }
            }
        }
        if (sessionsChanged) {
            for (String field : storedFields) {
                String session =
                        field.startsWith(FUNNEL) ? field.substring(FUNNEL.length()) : UserHistory.sessionOf(field);
                if (session != null && !history.hasSession(session) && !obsolete.contains(field)) {
                    delete.add(field); // a session the history forgot, and its progress
                }
            }
        }
        return new HashStore.Changes(set, delete);
    }

    /** Every field of the record, to replace the key's hash. */
    private HashStore.Changes wholeChanges(long nowMs) {
        Map<String, byte[]> set = new LinkedHashMap<>();
        set.put(HEADER, history.headerField());
        set.putAll(history.changedSessionFields(true));
        Set<String> live = new HashSet<>(history.sessionIds());
        Set<String> withProgress = new HashSet<>(funnels.keySet());
        withProgress.addAll(funnelBytes.keySet());
        for (String session : withProgress) {
            byte[] field = live.contains(session) ? funnelField(session, nowMs) : null;
            if (field != null) {
                set.put(FUNNEL + session, field);
            }
        }
        joins.forEach((rule, jv) -> jv.allFields()
                .forEach((version, bytes) -> set.put(JOIN + rule + ":" + version, stamped(nowMs, bytes))));
        set.put(HashStore.RECORD_TIME, recordTimeField());
        return new HashStore.Changes(set, List.of(), HashStore.Mode.REPLACE);
    }

    /** A session's funnel progress as stored (decoded or as read), or null when it has none. */
    private byte[] funnelField(String session, long nowMs) {
        SessionFunnels f = funnels.get(session);
        if (f != null) {
            return f.toBytesAfter(nowMs);
        }
        byte[] bytes = funnelBytes.get(session);
        return bytes == null ? null : stamped(nowMs, bytes);
    }

    private byte[] recordTimeField() {
        return Long.toString(recordTime).getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    }

    /** Notes that {@code changes} are stored now. */
    void written(HashStore.Changes changes) {
        history.stored();
        if (changes.whole()) {
            storedFields.clear();
        }
        storedFields.addAll(changes.set().keySet());
        changes.delete().forEach(storedFields::remove);
        byte[] header = changes.set().get(HEADER);
        if (header != null) {
            storedHeader = header;
            Set<String> live = new HashSet<>(history.sessionIds());
            funnels.keySet().retainAll(live);
            funnelBytes.keySet().retainAll(live);
            funnelFields.keySet().retainAll(live);
        }
        obsolete.clear();
        changedFunnels.clear();
        changedJoins.forEach(rule -> joins.get(rule).written());
        changedJoins.clear();
        olderJoinFields.clear();
        older = false;
        whole = false;
        if (changes.set().containsKey(HashStore.RECORD_TIME)) {
            storedRecordTime = recordTime;
        }
    }

    private static boolean expired(String name, byte[] value, long nowMs, long ttlMs) {
        if (value.length < 8) {
            throw new IllegalArgumentException("field '" + name + "' is shorter than its time stamp");
        }
        return ByteBuffer.wrap(value).getLong() < nowMs - ttlMs;
    }

    private static byte[] unstamped(byte[] value) {
        return Arrays.copyOfRange(value, 8, value.length);
    }

    private static byte[] stamped(long nowMs, byte[] value) {
        return ByteBuffer.allocate(8 + value.length).putLong(nowMs).put(value).array();
    }
}
