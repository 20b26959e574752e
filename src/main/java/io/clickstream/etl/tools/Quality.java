package io.clickstream.etl.tools;

import io.clickstream.etl.clickhouse.ClickHouseEndpoints;
import io.clickstream.etl.clickhouse.ClickHouseSql;
import io.clickstream.etl.config.JobConfig;
import io.clickstream.etl.config.Options;
import io.clickstream.etl.quality.JUnitReport;
import io.clickstream.etl.quality.QualityChecks;
import io.clickstream.etl.quality.QualityChecks.Result;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The data-quality checks for schedulers: exit code 0 when every check passes, 1 when one fails (2: a usage or
 * configuration error), a readable summary, and a JUnit XML report.
 *
 * <pre>java -cp clickstream-etl.jar io.clickstream.etl.tools.Quality --day 2026-11-29 --junit quality.xml</pre>
 */
public final class Quality {
    private static final String USAGE =
            "usage: Quality [--day YYYY-MM-DD] [--max-drop PERCENT] [--max-dead-letters PERCENT] [--max-error-rise POINTS]"
                    + " [--junit FILE] [--config FILE] [--set key=value]...\n"
                    + "  Checks a day (UTC; default yesterday) against the same weekday a week earlier: events, users, sessions,"
                    + " per source,\n  in the raw tables and the aggregates (a drop of more than --max-drop, default 0.5 %, fails);"
                    + " the aggregates against\n  the raw rows; no event id twice without FINAL; the day's dead letters per reason"
                    + " at most --max-dead-letters\n  (default 1 %) of its events; per declared column, the share of events"
                    + " whose value was refused at most\n  --max-error-rise percentage points (default 1) above the day"
                    + " before. Exit code 0: all passed, 1: a check failed.";

    private Quality() {}

    public static void main(String[] args) {
        int[] code = {0};
        CommandLine.run(args, a -> code[0] = run(a));
        System.exit(code[0]);
    }

    /** Runs the checks and prints them; returns the exit code. */
    public static int run(String... args) throws Exception {
        CommandLine cli = new CommandLine(
                args, Set.of("day", "max-drop", "max-dead-letters", "max-error-rise", "junit"), Set.of(), USAGE);
        LocalDate day;
        try {
            day = LocalDate.parse(
                    cli.get("day", LocalDate.now(ZoneOffset.UTC).minusDays(1).toString()));
        } catch (DateTimeParseException e) {
            throw new IllegalArgumentException("--day " + cli.get("day", "") + ": not a date (YYYY-MM-DD)");
        }
        JobConfig config = cli.config();
        QualityChecks.Settings settings = new QualityChecks.Settings(
                config.get(Options.CLICKHOUSE_DATABASE),
                day,
                cli.getDouble("max-drop", 0.5) / 100,
                cli.getDouble("max-dead-letters", 1.0) / 100,
                cli.getDouble("max-error-rise", 1.0) / 100);
        settings.sanityCheck();
        long from = day.atStartOfDay(ZoneOffset.UTC).toInstant().toEpochMilli();
        Map<String, Long> deadLetters = DeadLetterReport.count(config, from, from + 86_400_000L).perReason;
        List<Result> results;
        try (ClickHouseSql sql = new ClickHouseSql(
                ClickHouseEndpoints.from(config, System.getenv()).withSocketTimeout(Duration.ofMinutes(30)))) {
            results = new QualityChecks(sql::execute).run(settings, deadLetters);
        }
        long failed = results.stream().filter(r -> !r.passed()).count();
        System.out.printf(
                "data quality of %s on %s: %d checks, %d failed%n", settings.database(), day, results.size(), failed);
        String group = "";
        for (Result r : results) {
            if (!r.group().equals(group)) {
                group = r.group();
                System.out.println("  " + group);
            }
            System.out.printf("    %-4s %s — %s%n", r.passed() ? "ok" : "FAIL", r.name(), r.message());
        }
        String junit = cli.get("junit", null);
        if (junit != null) {
            Files.writeString(
                    Path.of(junit),
                    JUnitReport.xml("clickstream-quality " + settings.database() + " " + day, results, Instant.now()));
            System.out.println("wrote " + junit);
        }
        return failed == 0 ? 0 : 1;
    }
}
