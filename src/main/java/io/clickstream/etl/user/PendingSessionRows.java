package io.clickstream.etl.user;

import io.clickstream.etl.session.SessionRow;
import io.clickstream.etl.session.SessionRows;
import io.clickstream.etl.session.UserHistory;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BiPredicate;

/**
 * The rows of the sessions touched since their last row was written, and when each is due. A row is written when its
 * session can have ended (the watermark passed its end plus the gap: after a catch-up's sessions are done, not at
 * every update interval while they are being replayed), after it waited {@code intervalMs} while the session may
 * still be going on (its end plus the gap lies ahead of the wall clock: live sessions are updated every interval),
 * or after it waited {@code maxWaitMs}; everything when the input is quiet, at the end of input, before every
 * checkpoint barrier (which commits the offsets of their events) and when more than {@code maxRows} wait. A catch-up
 * thus writes about one row per session and checkpoint instead of one per session and interval.
 */
final class PendingSessionRows {
    /**
     * A session waiting for its row: the row is made from the session when it is written (a session is touched by
     * most batches of its user, its row written once per checkpoint or interval), or a row restored from the state
     * of an earlier release.
     */
    private static final class Pending {
        String user;
        UserHistory.Session session;
        SessionRow restored;
        long recordTime;
        final long sinceMs;

        Pending(long sinceMs) {
            this.sinceMs = sinceMs;
        }

        long end() {
            return session != null ? session.end() : restored.end;
        }

        String user() {
            return session != null ? user : restored.userId;
        }

        long recordTime() {
            return session != null ? recordTime : restored.recordTime;
        }

        SessionRow row() {
            if (session == null) {
                return restored;
            }
            SessionRow row = SessionRows.row(user, session);
            row.recordTime = recordTime;
            return row;
        }
    }

    private final long gapMs;
    private final long intervalMs;
    private final long maxWaitMs;
    private final int maxRows;
    private final Map<String, Pending> rows = new LinkedHashMap<>();

    PendingSessionRows(long gapMs, long intervalMs, long maxWaitMs, int maxRows) {
        this.gapMs = gapMs;
        this.intervalMs = intervalMs;
        this.maxWaitMs = maxWaitMs;
        this.maxRows = maxRows;
    }

    /**
     * The user's session changed, by events up to {@code recordTime} (publish time); its row waits from the first time
     * it was put since its last row (processing time {@code nowMs}), and is made from the session as it is then.
     */
    void put(String user, UserHistory.Session session, long recordTime, long nowMs) {
        Pending p = rows.get(session.id()); // one look-up: most puts update a waiting row
        if (p == null) {
            p = new Pending(nowMs);
            rows.put(session.id(), p);
        }
        p.user = user;
        p.session = session;
        p.restored = null;
        p.recordTime = recordTime;
    }

    /** A row restored from the state of an earlier release, which held rows across checkpoints. */
    void putRestored(SessionRow row, long nowMs) {
        Pending p = rows.get(row.sessionId);
        if (p == null) {
            p = new Pending(nowMs);
            rows.put(row.sessionId, p);
        }
        p.user = null;
        p.session = null;
        p.restored = row;
    }

    /**
     * Takes the rows due at {@code watermark}, the wall clock {@code wallClockMs} (to which the sessions' event times
     * compare) and the processing time {@code nowMs} (of the waits); all of them with {@code all} or when too many wait.
     */
    List<SessionRow> takeDue(long watermark, long wallClockMs, long nowMs, boolean all) {
        boolean everything = all || rows.size() > maxRows;
        List<SessionRow> out = new ArrayList<>();
        for (Iterator<Pending> it = rows.values().iterator(); it.hasNext(); ) {
            Pending p = it.next();
            long closesAt = p.end() + gapMs;
            long waited = nowMs - p.sinceMs;
            if (everything
                    || closesAt <= watermark
                    || (closesAt > wallClockMs && waited >= intervalMs)
                    || waited >= maxWaitMs) {
                out.add(p.row());
                it.remove();
            }
        }
        return out;
    }

    /** Drops the rows {@code drop} selects by user and record time (an erased user's, from before the erasure). */
    void removeIf(BiPredicate<String, Long> drop) {
        rows.values().removeIf(p -> drop.test(p.user(), p.recordTime()));
    }

    /** Whether more rows wait than should be held. */
    boolean overfull() {
        return rows.size() > maxRows;
    }

    /** What waits (nothing at a checkpoint since the rows leave before its barrier). */
    Collection<SessionRow> all() {
        List<SessionRow> out = new ArrayList<>(rows.size());
        rows.values().forEach(p -> out.add(p.row()));
        return out;
    }

    int size() {
        return rows.size();
    }
}
