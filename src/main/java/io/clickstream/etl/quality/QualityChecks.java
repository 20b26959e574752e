package io.clickstream.etl.quality;

import io.clickstream.etl.aggregate.CurrentUserDays;
import io.clickstream.etl.clickhouse.TabSeparated;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The morning checks of one day's data (UTC): its volume against the same weekday a week earlier, in the raw tables
 * and in the aggregates; the aggregates against the raw rows; no event id twice without FINAL; dead letters per
 * reason under their share of the day's events. Plain logic over a query function and the dead-letter counts.
 */
public final class QualityChecks {
    /** Runs one statement and returns its TabSeparated answer. */
    @FunctionalInterface
    public interface Sql {
        String query(String sql) throws Exception;
    }

    /** One check's outcome: its group and name, whether it passed, and what it saw. */
    public record Result(String group, String name, boolean passed, String message) {}

    /**
     * What to check: the database, the day, the largest drop allowed, dead letters' largest share per reason, and the
     * most the share of events with a refused value of one declared column may rise from the day before (in points).
     */
    public record Settings(
            String database, LocalDate day, double maxDrop, double maxDeadLetterShare, double maxErrorRise) {
        /** With the default rise of declared columns' errors: one percentage point. */
        public Settings(String database, LocalDate day, double maxDrop, double maxDeadLetterShare) {
            this(database, day, maxDrop, maxDeadLetterShare, 0.01);
        }

        public void sanityCheck() {
            if (database == null || !database.matches("[A-Za-z_][A-Za-z0-9_]*")) {
                throw new IllegalArgumentException(
                        "clickhouse.database: '" + database + "' is not a plain database name");
            }
            if (!(maxDrop >= 0 && maxDrop < 1)) {
                throw new IllegalArgumentException("--max-drop: " + maxDrop + " is not a share in [0, 1)");
            }
            if (!(maxDeadLetterShare >= 0 && maxDeadLetterShare <= 1)) {
                throw new IllegalArgumentException(
                        "--max-dead-letters: " + maxDeadLetterShare + " is not a share in [0, 1]");
            }
            if (!(maxErrorRise >= 0 && maxErrorRise <= 1)) {
                throw new IllegalArgumentException("--max-error-rise: " + maxErrorRise + " is not a share in [0, 1]");
            }
        }
    }

    private static final String ALL = "(all)";
    private final Sql sql;

    public QualityChecks(Sql sql) {
        this.sql = sql;
    }

    /** Every check of the day; {@code deadLetters} are the day's dead letters per reason. */
    public List<Result> run(Settings s, Map<String, Long> deadLetters) throws Exception {
        s.sanityCheck();
        LocalDate week = s.day().minusDays(7);
        Map<String, long[]> raw = raw(s.database(), s.day());
        Map<String, long[]> rawBefore = raw(s.database(), week);
        Map<String, long[]> agg = aggregates(s.database(), s.day());
        Map<String, long[]> aggBefore = aggregates(s.database(), week);
        List<Result> out = new ArrayList<>();
        String[] metrics = {"events", "users", "sessions"};
        java.util.Set<String> sources = new java.util.TreeSet<>(rawBefore.keySet());
        sources.addAll(raw.keySet());
        for (String source : sources) {
            for (int m = 0; m < 3; m++) {
                out.add(drop(
                        "volume (raw)",
                        metrics[m] + " " + source,
                        value(raw, source, m),
                        value(rawBefore, source, m),
                        s,
                        week));
            }
        }
        for (String source : sources) {
            for (int m = 0; m < 3; m++) {
                out.add(drop(
                        "volume (aggregates)",
                        metrics[m] + " " + source,
                        value(agg, source, m),
                        value(aggBefore, source, m),
                        s,
                        week));
                long r = value(raw, source, m);
                long a = value(agg, source, m);
                out.add(new Result(
                        "aggregates agree with raw",
                        metrics[m] + " " + source,
                        r == a,
                        r == a
                                ? r + " in both"
                                : "raw " + r + ", user_days " + a + ": rebuild the day with"
                                        + " tools.Aggregates rebuild --from " + s.day() + " --to " + s.day()));
            }
        }
        // A copy is a row with the same event id and version as another (stored twice), or an event id stored from
        // two source positions (delivered twice); a late event's correction writes a row again with its position
        // and a higher version, which is not a copy.
        String[] counts = sql.query("SELECT count(), uniqExact(event_id, version), uniqExact(event_id, kafka_topic,"
                        + " kafka_partition, kafka_offset), uniqExact(event_id) FROM " + s.database()
                        + ".events WHERE dt = '" + s.day() + "' FORMAT TabSeparated")
                .trim()
                .split("\t");
        long rows = Long.parseLong(counts[0]);
        long versions = Long.parseLong(counts[1]);
        long positions = Long.parseLong(counts[2]);
        long twice = rows - versions + positions - Long.parseLong(counts[3]);
        long corrected = versions - positions;
        out.add(new Result(
                "duplicates",
                "event ids stored twice (without FINAL)",
                twice == 0,
                twice == 0
                        ? rows + " rows, no event id copied"
                                + (corrected > 0 ? " (" + corrected + " written again as corrections)" : "")
                        : twice + " rows of " + rows + " repeat an event id"));
        out.addAll(declaredErrors(s));
        long events = value(raw, ALL, 0);
        long allowed = (long) Math.floor(events * s.maxDeadLetterShare());
        if (deadLetters.isEmpty()) {
            out.add(new Result("dead letters", "per reason", true, "none"));
        }
        new TreeMap<>(deadLetters)
                .forEach((reason, n) -> out.add(new Result(
                        "dead letters",
                        reason,
                        n <= allowed,
                        String.format(
                                java.util.Locale.ROOT,
                                "%d (%.2f %% of %d events; at most %.2f %%)",
                                n,
                                events == 0 ? 100.0 : 100.0 * n / events,
                                events,
                                100 * s.maxDeadLetterShare()))));
        return out;
    }

    /**
     * Per declared column with refused values on the day or the day before (error_log, docs/schema.md): the share of
     * the day's events whose value was refused, against the day before's share.
     */
    private List<Result> declaredErrors(Settings s) throws Exception {
        LocalDate before = s.day().minusDays(1);
        String days = "dt IN ('" + s.day() + "', '" + before + "')";
        String[] totals = sql.query("SELECT countIf(dt = '" + s.day() + "'), countIf(dt = '" + before + "') FROM "
                        + s.database() + ".events FINAL WHERE " + days + " FORMAT TabSeparated")
                .trim()
                .split("\t");
        long events = Long.parseLong(totals[0]);
        long eventsBefore = Long.parseLong(totals[1]);
        List<Result> out = new ArrayList<>();
        for (String[] f : TabSeparated.rows(sql.query("SELECT field, countIf(dt = '" + s.day() + "'), countIf(dt = '"
                + before + "') FROM " + s.database() + ".events FINAL ARRAY JOIN error_log.field AS field WHERE "
                + days + " GROUP BY field ORDER BY field FORMAT TabSeparated"))) {
            long refused = Long.parseLong(f[1]);
            long refusedBefore = Long.parseLong(f[2]);
            double share = events == 0 ? 0 : (double) refused / events;
            double shareBefore = eventsBefore == 0 ? 0 : (double) refusedBefore / eventsBefore;
            out.add(new Result(
                    "declared columns' refused values",
                    f[0],
                    share <= shareBefore + s.maxErrorRise() + 1e-12,
                    String.format(
                            java.util.Locale.ROOT,
                            "%.2f %% of %d events on %s, %.2f %% of %d on %s (at most %.2f points more)",
                            100 * share,
                            events,
                            s.day(),
                            100 * shareBefore,
                            eventsBefore,
                            before,
                            100 * s.maxErrorRise())));
        }
        if (out.isEmpty()) {
            out.add(new Result("declared columns' refused values", "per column", true, "none on either day"));
        }
        return out;
    }

    private static long value(Map<String, long[]> figures, String source, int metric) {
        long[] v = figures.get(source);
        return v == null ? 0 : v[metric];
    }

    private static Result drop(String group, String name, long now, long before, Settings s, LocalDate week) {
        boolean passed = now > 0 && now >= before * (1 - s.maxDrop());
        double change = before == 0 ? 0 : 100.0 * (now - before) / before;
        String message = String.format(
                java.util.Locale.ROOT,
                "%d on %s, %d on %s (%+.2f %%; at most -%.2f %%)",
                now,
                s.day(),
                before,
                week,
                change,
                100 * s.maxDrop());
        return new Result(
                group,
                name,
                passed,
                now == 0 ? "nothing on " + s.day() + " (" + before + " on " + week + ")" : message);
    }

    /**
     * Per source and for all sources: distinct events, users and sessions of the day in the raw table's current rows
     * (a session a late event merged into another is no longer one).
     */
    private Map<String, long[]> raw(String db, LocalDate day) throws Exception {
        return figures(sql.query("SELECT s, uniqExact(event_id), uniqExact(user_id), uniqExact(user_id, session_id)"
                + " FROM " + db + ".events FINAL ARRAY JOIN [toString(source), '" + ALL + "'] AS s WHERE dt = '" + day
                + "' GROUP BY s ORDER BY s FORMAT TabSeparated"));
    }

    /** Per source and for all sources: events, users and sessions of the day in user_days' current rows. */
    private Map<String, long[]> aggregates(String db, LocalDate day) throws Exception {
        return figures(sql.query("SELECT s, sum(ue), count(), sum(us) FROM (SELECT s, user_id,"
                + " uniqExactMerge(events) AS ue, uniqExactMerge(sessions) AS us FROM "
                + CurrentUserDays.rows(db, "", "dt = '" + day + "'") + " ARRAY JOIN [source, '" + ALL + "'] AS s"
                + " GROUP BY s, user_id)"
                + " GROUP BY s ORDER BY s FORMAT TabSeparated"));
    }

    private static Map<String, long[]> figures(String tsv) {
        Map<String, long[]> out = new LinkedHashMap<>();
        for (String[] f : TabSeparated.rows(tsv)) {
            out.put(f[0], new long[] {Long.parseLong(f[1]), Long.parseLong(f[2]), Long.parseLong(f[3])});
        }
        return out;
    }
}
