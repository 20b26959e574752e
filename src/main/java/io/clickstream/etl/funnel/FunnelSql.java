package io.clickstream.etl.funnel;

import static io.clickstream.etl.clickhouse.ClickHouseSql.literal;

import java.time.LocalDate;
import java.util.List;
import java.util.StringJoiner;

/**
 * The retroactive side of funnels: the SQL that computes a definition's levels per session over the events
 * already stored, and the SQL that reads the levels the stream tagged, both as "level, sessions" rows. The
 * two use the same semantics as {@link FunnelTracker} (first matching step, inclusive window from the chain's
 * start): sequential mode is ClickHouse's windowFunnel; strict mode, which 18.16's windowFunnel lacks, is
 * written out over each session's time-ordered array of steps. Runs on 18.16 and current ClickHouse.
 */
public final class FunnelSql {
    /**
     * ClickHouse 18.16's windowFunnel keeps times in 32-bit signed integers and adds the window to them in 32 bits
     * unsigned: times are milliseconds from their session's first event, so any range works for sessions shorter
     * than 24.8 days (2^31 ms), and the window is cut to that length, which within such a session changes nothing.
     */
    static final long MAX_WINDOW_MS = Integer.MAX_VALUE;

    private FunnelSql() {}

    static String number(double d) {
        return d == Math.rint(d) && Math.abs(d) < 1e15 ? String.valueOf((long) d) : String.valueOf(d);
    }

    /** multiIf(step 1 matches, 1, step 2 matches, 2, ..., 0): the first matching step, as the stream counts it. */
    static String stepExpression(FunnelDefinition d) {
        StringJoiner j = new StringJoiner(", ", "multiIf(", ", 0)");
        List<FunnelDefinition.Step> steps = d.steps();
        for (int i = 0; i < steps.size(); i++) {
            j.add(stepCondition(steps.get(i))).add(String.valueOf(i + 1));
        }
        return j.toString();
    }

    private static String stepCondition(FunnelDefinition.Step s) {
        StringJoiner and = new StringJoiner(" AND ", "(", ")");
        if (s.eventType() != null) {
            and.add("event_type = " + literal(s.eventType()));
        }
        s.conditions().forEach(c -> and.add(c.sql()));
        return and.toString();
    }

    static void checkRange(LocalDate from, LocalDate to) {
        if (to.isBefore(from)) {
            throw new IllegalArgumentException("--to " + to + " is before --from " + from);
        }
    }

    /**
     * Each session's level under {@code d}, computed from the stored events whose day (UTC) is in [from, to],
     * as rows "level \t sessions" (every session in the range, level 0 included). Replayed duplicates count once;
     * the current rows (FINAL): an event a late one moved to another session counts in that one only.
     */
    public static String retroactive(FunnelDefinition d, String table, LocalDate from, LocalDate to) {
        checkRange(from, to);
        String stored =
                "SELECT session_id, event_id, any(ms) AS ms, any(session_index) AS idx, any(step) AS step FROM ("
                        + "SELECT session_id, event_id, session_index, toUInt64(ts) * 1000 + ts_ms AS ms, "
                        + stepExpression(d) + " AS step FROM " + table
                        + " FINAL WHERE dt >= toDate('" + from + "') AND dt <= toDate('" + to + "')"
                        + ") GROUP BY session_id, event_id";
        // Each event's time from its session's first event (see MAX_WINDOW_MS).
        String events = "SELECT session_id, toUInt32(e.1 - first) AS t, e.2 AS idx, e.3 AS step FROM ("
                + "SELECT session_id, groupArray((ms, idx, step)) AS es, min(ms) AS first FROM (" + stored
                + ") GROUP BY session_id) ARRAY JOIN es AS e";
        String perSession;
        long window = Math.min(d.windowMs(), MAX_WINDOW_MS);
        if (d.mode() == FunnelDefinition.Mode.SEQUENTIAL) {
            StringJoiner conds = new StringJoiner(", ");
            for (int i = 1; i <= d.steps().size(); i++) {
                conds.add("step = " + i);
            }
            perSession = "SELECT session_id, windowFunnel(" + window + ")(t, " + conds + ") AS level FROM (" + events
                    + ") GROUP BY session_id";
        } else {
            // The session's events in stream order (time, then index in the session); from each step-1 event,
            // the length of the run of consecutive steps within the window; the session's level is the longest.
            // The lambda takes the arrays shifted by 1..steps-1 as arguments of their own: a lambda that reads a
            // whole array of the row copies it for every element, which for a session of n events is n^2 values
            // (gigabytes for a robot's session of tens of thousands of events).
            int steps = d.steps().size();
            StringJoiner params = new StringJoiner(", ");
            StringJoiner args = new StringJoiner(", ");
            for (int k = 1; k <= steps; k++) {
                params.add("t" + k).add("s" + k);
                args.add(k == 1 ? "ts_" : "arraySlice(pt_, " + k + ", length(ts_))")
                        .add(k == 1 ? "st_" : "arraySlice(ps_, " + k + ", length(st_))");
            }
            StringJoiner zerosT = new StringJoiner(", ", "[", "]");
            StringJoiner zerosS = new StringJoiner(", ", "[", "]");
            for (int k = 1; k < steps; k++) {
                zerosT.add("toUInt32(0)");
                zerosS.add("toUInt8(0)");
            }
            String padded = steps == 1
                    ? ""
                    : "arrayConcat(ts_, " + zerosT + ") AS pt_, arrayConcat(st_, " + zerosS + ") AS ps_, ";
            perSession = "SELECT session_id, arraySort(groupArray((t, idx, step))) AS seq, "
                    + "arrayMap(x -> x.1, seq) AS ts_, arrayMap(x -> x.3, seq) AS st_, " + padded
                    + "arrayReduce('max', arrayMap((" + params + ") -> " + strictRun(1, steps, window) + ", " + args
                    + ")) AS level FROM (" + events + ") GROUP BY session_id";
        }
        return "SELECT level, count() AS sessions FROM (" + perSession
                + ") GROUP BY level ORDER BY level FORMAT TabSeparated";
    }

    /** if(s_k = k AND t_k within the window from t_1, 1 + the run from step k+1, 0), unrolled over the steps. */
    private static String strictRun(int k, int steps, long window) {
        String cond = "s" + k + " = " + k + (k == 1 ? "" : " AND t" + k + " <= t1 + " + window);
        String next = k == steps ? "1" : "1 + " + strictRun(k + 1, steps, window);
        return "if(" + cond + ", " + next + ", 0)";
    }

    /** The levels the stream tagged: each session's highest tagged step for {@code funnelId}, as "level \t sessions". */
    public static String streamed(String funnelId, String table, LocalDate from, LocalDate to) {
        checkRange(from, to);
        return "SELECT level, count() AS sessions FROM (SELECT session_id, max(fstep) AS level FROM " + table
                + " FINAL ARRAY JOIN funnels.id AS fid, funnels.step AS fstep"
                + " WHERE dt >= toDate('" + from + "') AND dt <= toDate('" + to + "') AND fid = " + literal(funnelId)
                + " GROUP BY session_id) GROUP BY level ORDER BY level FORMAT TabSeparated";
    }
}
