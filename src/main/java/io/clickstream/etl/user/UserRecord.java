package io.clickstream.etl.user;

import io.clickstream.etl.funnel.SessionFunnels;
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
 * rule keyed by user ({@code j:<rule>}). It knows which fields it changed since they were read or written, so a batch
 * writes those and deletes the fields of the sessions it forgot — not the user's whole state.
 *
 * <p>Funnel progress and joined values carry the time they were written (8 bytes before the value), so that
 * funnel.state-ttl and join.state-ttl keep their meaning inside the one key, whose own TTL is the longest of the three.
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
    /** Joined values by rule name (a {@code JoinedValues} encoding). */
    private final Map<String, byte[]> joins = new HashMap<>();

    private final Set<String> changedJoins = new HashSet<>();
    /** The fields the hash holds now, and the header as it holds it. */
    private final Set<String> storedFields = new HashSet<>();

    private byte[] storedHeader;
    /** Fields to delete with the next write: expired progress or values, and forgotten sessions' fields. */
    private final Set<String> obsolete = new HashSet<>();
    /** From the layout before the hash: everything is written once, whether it changed or not. */
    private boolean older;

    private UserRecord(UserHistory history) {
        this.history = history;
    }

    static UserRecord empty() {
        return new UserRecord(new UserHistory());
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
                if (expired(name, value, nowMs, joinTtlMs)) {
                    r.obsolete.add(name);
                } else {
                    r.joins.put(name.substring(JOIN.length()), unstamped(value));
                }
            } else if (!name.equals(HEADER)) {
                throw new IllegalArgumentException("unknown field '" + name + "' (written by a newer version?)");
            }
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
        funnels.forEach((session, bytes) -> {
            if (bytes != null) {
                r.funnelBytes.put(session, bytes);
                r.changedFunnels.add(session);
            }
        });
        joins.forEach((rule, bytes) -> {
            if (bytes != null) {
                r.joins.put(rule, bytes);
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

    /** The joined values by rule name, as stored. */
    Map<String, byte[]> joins() {
        return joins;
    }

    void joinsChanged(Map<String, byte[]> changed) {
        joins.putAll(changed);
        changedJoins.addAll(changed.keySet());
    }

    /** What the next write must set and delete; empty when nothing changed. */
    HashStore.Changes changes(long nowMs) {
        Map<String, byte[]> set = new LinkedHashMap<>();
        byte[] header = history.headerField();
        // Sessions are only forgotten (and added) when the header changes: otherwise nothing needs deleting.
        boolean sessionsChanged = older || !Arrays.equals(header, storedHeader);
        if (sessionsChanged) {
            set.put(HEADER, header);
        }
        set.putAll(history.changedSessionFields(older));
        Set<String> live =
                sessionsChanged || !changedFunnels.isEmpty() ? new HashSet<>(history.sessionIds()) : Set.of();
        for (String session : changedFunnels) {
            if (live.contains(session)) {
                SessionFunnels f = funnels.get(session);
                set.put(FUNNEL + session, stamped(nowMs, f != null ? f.toBytes() : funnelBytes.get(session)));
            }
        }
        for (String rule : changedJoins) {
            set.put(JOIN + rule, stamped(nowMs, joins.get(rule)));
        }
        List<String> delete = new ArrayList<>();
        for (String field : obsolete) {
            if (!set.containsKey(field) && storedFields.contains(field)) {
                delete.add(field);
            }
        }
        if (sessionsChanged) {
            for (String field : storedFields) {
                String session =
                        field.startsWith(FUNNEL) ? field.substring(FUNNEL.length()) : UserHistory.sessionOf(field);
                if (session != null && !live.contains(session) && !obsolete.contains(field)) {
                    delete.add(field); // a session the history forgot, and its progress
                }
            }
        }
        return new HashStore.Changes(set, delete);
    }

    /** Notes that {@code changes} are stored now. */
    void written(HashStore.Changes changes) {
        history.stored();
        storedFields.addAll(changes.set().keySet());
        changes.delete().forEach(storedFields::remove);
        byte[] header = changes.set().get(HEADER);
        if (header != null) {
            storedHeader = header;
            Set<String> live = new HashSet<>(history.sessionIds());
            funnels.keySet().retainAll(live);
            funnelBytes.keySet().retainAll(live);
        }
        obsolete.clear();
        changedFunnels.clear();
        changedJoins.clear();
        older = false;
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
