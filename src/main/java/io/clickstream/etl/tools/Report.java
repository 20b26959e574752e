package io.clickstream.etl.tools;

import io.clickstream.etl.clickhouse.ClickHouseEndpoints;
import io.clickstream.etl.clickhouse.ClickHouseSql;
import io.clickstream.etl.config.JobConfig;
import io.clickstream.etl.config.Options;
import io.clickstream.etl.report.ReportRenderer;
import io.clickstream.etl.report.ReportRequest;
import io.clickstream.etl.report.ReportRequest.Kind;
import io.clickstream.etl.report.ReportRequest.Split;
import io.clickstream.etl.report.ReportRunner;
import io.clickstream.etl.report.ReportTable;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * The standard reports over the aggregates: active users, days in service, retention, traffic, top pages, funnels;
 * as a terminal table, JSON, or a self-contained HTML page with charts.
 *
 * <pre>java -cp clickstream-etl.jar io.clickstream.etl.tools.Report --from 2026-11-01 --to 2026-11-28 --format html --out r.html</pre>
 */
public final class Report {
    private static final String USAGE =
            "usage: Report [--from YYYY-MM-DD] [--to YYYY-MM-DD] [--reports LIST] [--split DIM]"
                    + " [--sample 1/N] [--format text|json|html] [--out FILE] [--retention-days N] [--url-depth N] [--top N]"
                    + " [--config FILE] [--set key=value]...\n"
                    + "  --from, --to      UTC days, inclusive (default: the 7 days before today)\n"
                    + "  --reports         any of active,days,retention,traffic,pages,funnels (default: all)\n"
                    + "  --split           none|source|country|browser|device (default none)\n"
                    + "  --sample 1/N      read 1/N of the users (by user hash), counts scaled up with a 95 % interval\n"
                    + "  --format          text (default), json, html (one file with charts, opens offline)\n"
                    + "  --retention-days  days after first seen (default 7); --url-depth  path segments of a page (default 1);"
                    + " --top  pages (default 20)\n"
                    + "  Reads clickhouse.database through clickhouse.urls as clickhouse.user (e.g. the read-only analyst:"
                    + " --set clickhouse.user=analyst, password in CLICKSTREAM_CLICKHOUSE_PASSWORD).";

    private Report() {}

    public static void main(String[] args) {
        CommandLine.run(args, Report::run);
    }

    public static void run(String... args) throws Exception {
        CommandLine cli = new CommandLine(
                args,
                Set.of(
                        "from",
                        "to",
                        "reports",
                        "split",
                        "sample",
                        "format",
                        "out",
                        "retention-days",
                        "url-depth",
                        "top"),
                Set.of(),
                USAGE);
        LocalDate yesterday = LocalDate.now(ZoneOffset.UTC).minusDays(1);
        LocalDate to = day(cli, "to", yesterday);
        LocalDate from = day(cli, "from", to.minusDays(6));
        String format = cli.get("format", "text");
        if (!List.of("text", "json", "html").contains(format)) {
            throw new IllegalArgumentException("--format: '" + format + "' is none of text, json, html");
        }
        JobConfig config = cli.config();
        ReportRequest request = new ReportRequest(
                config.get(Options.CLICKHOUSE_DATABASE),
                from,
                to,
                kinds(cli.get("reports", null)),
                split(cli.get("split", "none")),
                sample(cli.get("sample", "1/1")),
                cli.getInt("retention-days", 7),
                cli.getInt("url-depth", 1),
                cli.getInt("top", 20));
        request.sanityCheck();
        List<ReportTable> tables;
        try (ClickHouseSql sql = new ClickHouseSql(
                ClickHouseEndpoints.from(config, System.getenv()).withSocketTimeout(Duration.ofMinutes(30)))) {
            tables = new ReportRunner(sql::execute).run(request);
        }
        String out = switch (format) {
            case "json" -> ReportRenderer.json(request, tables);
            case "html" -> ReportRenderer.html(request, tables);
            default -> ReportRenderer.text(request, tables);
        };
        String file = cli.get("out", null);
        if (file == null) {
            System.out.print(out);
        } else {
            Files.writeString(Path.of(file), out, StandardCharsets.UTF_8);
            System.out.println("wrote " + file + " (" + tables.size() + " reports, " + out.length() / 1024 + " KB)");
        }
    }

    private static List<Kind> kinds(String list) {
        if (list == null) {
            return List.of(Kind.values());
        }
        List<Kind> kinds = new ArrayList<>();
        for (String name : list.split(",")) {
            try {
                kinds.add(Kind.valueOf(name.trim().toUpperCase(Locale.ROOT)));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(
                        "--reports: '" + name + "' is none of active, days, retention," + " traffic, pages, funnels");
            }
        }
        return kinds;
    }

    private static Split split(String name) {
        try {
            return Split.valueOf(name.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(
                    "--split: '" + name + "' is none of none, source, country, browser, device");
        }
    }

    private static int sample(String share) {
        if (!share.matches("1/[1-9][0-9]{0,5}")) {
            throw new IllegalArgumentException("--sample: '" + share + "' is not 1/N (e.g. 1/10)");
        }
        return Integer.parseInt(share.substring(2));
    }

    private static LocalDate day(CommandLine cli, String option, LocalDate def) {
        String value = cli.get(option, null);
        try {
            return value == null ? def : LocalDate.parse(value);
        } catch (DateTimeParseException e) {
            throw new IllegalArgumentException("--" + option + " " + value + ": not a date (YYYY-MM-DD)");
        }
    }
}
