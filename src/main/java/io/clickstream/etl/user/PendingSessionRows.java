package io.clickstream.etl.user;

import io.clickstream.etl.session.SessionRow;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

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
    private static final class Pending {
        SessionRow row;
        final long sinceMs;

        Pending(SessionRow row, long sinceMs) {
            this.row = row;
            this.sinceMs = sinceMs;
        }

        SessionRow row() {
            return row;
        }

        long sinceMs() {
            return sinceMs;
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

    /** The session's latest state; it waits from the first time it was put since its last row (processing time). */
    void put(SessionRow row, long nowMs) {
        Pending before = rows.get(row.sessionId); // one look-up: most puts update a waiting row
        if (before == null) {
            rows.put(row.sessionId, new Pending(row, nowMs));
        } else {
            before.row = row;
        }
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
            long closesAt = p.row().end + gapMs;
            long waited = nowMs - p.sinceMs();
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

    /** Drops the rows {@code drop} selects (an erased user's, from before the erasure). */
    void removeIf(java.util.function.Predicate<SessionRow> drop) {
        rows.values().removeIf(p -> drop.test(p.row()));
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
