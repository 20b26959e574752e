package io.clickstream.etl.tools;

import io.clickstream.etl.aggregate.AggregateViews;
import io.clickstream.etl.aggregate.AggregateViews.View;
import io.clickstream.etl.clickhouse.ClickHouseEndpoints;
import io.clickstream.etl.clickhouse.ClickHouseSql;
import io.clickstream.etl.clickhouse.ClusterAlter;
import io.clickstream.etl.clickhouse.TabSeparated;
import io.clickstream.etl.config.JobConfig;
import io.clickstream.etl.config.Options;
import java.time.Duration;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Recomputes the aggregates of past days from the stored events: for events stored before the aggregates existed,
 * or after their rows were changed. Per day: the day's list of user-days late events corrected (corrected_days,
 * sql/V008) is emptied, the day's partition of each aggregate table is dropped on every shard, and each view's SELECT
 * runs over the day's current events (FINAL), so the reports read the day's aggregates alone again. The list goes
 * first: a correction that lists a user-day after it keeps it listed. One that listed it earlier and writes its rows
 * after the day's events were read would be lost from the aggregates: rebuild days the corrections no longer reach
 * (older than session.history) or while the job is stopped.
 *
 * <pre>java -cp clickstream-etl.jar io.clickstream.etl.tools.Aggregates rebuild --from 2026-11-01 --to 2026-11-07</pre>
 */
public final class Aggregates {
    private static final String USAGE = "usage: Aggregates rebuild --from YYYY-MM-DD --to YYYY-MM-DD [--config FILE]"
            + " [--set key=value]... [--dry-run]\n"
            + "  Recomputes user_days and objects_daily (every materialized view over events_local) for the days"
            + " from..to (UTC, inclusive)\n  from the current events stored in clickhouse.database, and empties"
            + " their lists of user-days late events corrected.\n  Days before today only: today's rows are still"
            + " arriving; days the job's corrections no longer reach (older than session.history),\n  or with"
            + " the job stopped.\n  --dry-run  print the statements";

    private Aggregates() {}

    public static void main(String[] args) {
        CommandLine.run(args, Aggregates::run);
    }

    public static void run(String... args) throws Exception {
        if (args.length == 0 || !args[0].equals("rebuild")) {
            throw new IllegalArgumentException("the command is 'rebuild'\n" + USAGE);
        }
        CommandLine cli = new CommandLine(
                java.util.Arrays.copyOfRange(args, 1, args.length), Set.of("from", "to"), Set.of("dry-run"), USAGE);
        LocalDate from = day(cli, "from");
        LocalDate to = day(cli, "to");
        if (to.isBefore(from)) {
            throw new IllegalArgumentException("--to " + to + " is before --from " + from);
        }
        if (!to.isBefore(LocalDate.now(ZoneOffset.UTC))) {
            throw new IllegalArgumentException("--to " + to + ": only days before today (UTC) can be rebuilt; "
                    + "today's rows are still arriving and their views keep them");
        }
        JobConfig config = cli.config();
        String db = config.get(Options.CLICKHOUSE_DATABASE);
        String cluster = config.get(Options.CLICKHOUSE_CLUSTER);
        boolean dryRun = cli.flag("dry-run");
        ClickHouseEndpoints endpoints =
                ClickHouseEndpoints.from(config, System.getenv()).withSocketTimeout(Duration.ofHours(1));
        try (ClickHouseSql sql = new ClickHouseSql(endpoints)) {
            Map<String, List<View>> byTarget = views(sql, db);
            ClusterAlter alter = ClusterAlter.of(sql, endpoints, cluster);
            long days = to.toEpochDay() - from.toEpochDay() + 1;
            System.out.println("rebuilding " + String.join(", ", byTarget.keySet()) + " in " + db + " for " + days
                    + " day(s), " + from + " to " + to + (dryRun ? " (dry run)" : ""));
            int n = 0;
            for (LocalDate day = from; !day.isAfter(to); day = day.plusDays(1)) {
                long started = System.nanoTime();
                String corrected = db + ".corrected_days_local";
                String drop = "DROP PARTITION '" + day + "'";
                if (dryRun) {
                    System.out.println("  " + alter.describe(corrected, drop));
                } else {
                    alter.run(corrected, drop);
                }
                Map<String, String> counts = rebuildDay(sql, db, alter, byTarget, day, dryRun);
                System.out.printf(
                        "day %d/%d %s: %s (%.1f s)%n",
                        ++n,
                        days,
                        day,
                        counts.isEmpty()
                                ? "-"
                                : counts.toString().replaceAll("[{}]", "").replace("=", " "),
                        (System.nanoTime() - started) / 1e9);
            }
        }
    }

    /** The aggregate views of {@code db}, by the table they write to; fails when there are none. */
    static Map<String, List<View>> views(ClickHouseSql sql, String db) throws Exception {
        List<View> views = AggregateViews.parse(db, definitions(sql, db));
        if (views.isEmpty()) {
            throw new IllegalStateException("no aggregate views in " + db + ": run tools.Migrate first");
        }
        return AggregateViews.byTarget(views);
    }

    /** Drops one past day of every aggregate table and recomputes it; the rows per table afterwards. */
    static Map<String, String> rebuildDay(
            ClickHouseSql sql,
            String db,
            ClusterAlter alter,
            Map<String, List<View>> byTarget,
            LocalDate day,
            boolean dryRun)
            throws Exception {
        Map<String, String> counts = new LinkedHashMap<>();
        for (Map.Entry<String, List<View>> target : byTarget.entrySet()) {
            String local = db + "." + target.getKey();
            String drop = "DROP PARTITION '" + day + "'";
            if (dryRun) {
                System.out.println("  " + alter.describe(local, drop));
            } else {
                alter.run(local, drop);
            }
            for (View view : target.getValue()) {
                run(sql, dryRun, AggregateViews.rebuildInsert(db, view, day));
            }
            if (!dryRun) {
                String table = AggregateViews.distributed(target.getValue().get(0));
                counts.put(
                        table,
                        sql.execute("SELECT count() FROM " + db + "." + table + " WHERE dt = '" + day
                                                + "' FORMAT TabSeparated")
                                        .trim()
                                + " rows");
            }
        }
        return counts;
    }

    private static void run(ClickHouseSql sql, boolean dryRun, String statement) throws Exception {
        if (dryRun) {
            System.out.println("  " + statement);
        } else {
            sql.execute(statement, Map.of("insert_distributed_sync", "1"));
        }
    }

    private static Map<String, String> definitions(ClickHouseSql sql, String db) throws Exception {
        Map<String, String> out = new LinkedHashMap<>();
        String rows = sql.execute("SELECT name, create_table_query FROM system.tables WHERE database = "
                + ClickHouseSql.literal(db) + " AND engine = 'MaterializedView' FORMAT TabSeparated");
        for (String[] f : TabSeparated.rows(rows)) {
            out.put(f[0], f[1]);
        }
        return out;
    }

    private static LocalDate day(CommandLine cli, String option) {
        String value = cli.get(option, null);
        if (value == null) {
            throw new IllegalArgumentException("--" + option + " YYYY-MM-DD is required\n" + USAGE);
        }
        try {
            return LocalDate.parse(value);
        } catch (DateTimeParseException e) {
            throw new IllegalArgumentException("--" + option + " " + value + ": not a date (YYYY-MM-DD)");
        }
    }
}
