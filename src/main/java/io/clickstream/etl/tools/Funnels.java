package io.clickstream.etl.tools;

import io.clickstream.etl.clickhouse.ClickHouseEndpoints;
import io.clickstream.etl.clickhouse.ClickHouseSql;
import io.clickstream.etl.config.JobConfig;
import io.clickstream.etl.config.Options;
import io.clickstream.etl.funnel.FunnelDefinition;
import io.clickstream.etl.funnel.FunnelReport;
import io.clickstream.etl.funnel.FunnelTopic;
import io.clickstream.etl.funnel.FunnelUpdate;
import io.clickstream.etl.funnel.FunnelVersions;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.clients.producer.RecordMetadata;

/**
 * Manages funnel definitions on the definitions topic and reports conversion from ClickHouse.
 *
 * <pre>
 * java -cp clickstream-etl.jar io.clickstream.etl.tools.Funnels publish --file checkout.json
 * java -cp clickstream-etl.jar io.clickstream.etl.tools.Funnels remove --id checkout
 * java -cp clickstream-etl.jar io.clickstream.etl.tools.Funnels list
 * java -cp clickstream-etl.jar io.clickstream.etl.tools.Funnels report --id checkout --from 2026-11-01 --to 2026-11-22
 * </pre>
 */
public final class Funnels {
    private static final String USAGE = String.join(
            "\n",
            "usage: Funnels <command> [--config FILE] [--set key=value]...",
            "  publish --file F    check a definition (docs/funnels.md) and publish it; the job applies it to events",
            "                      published from now on",
            "  remove --id ID      stop tagging funnel ID (events tagged so far keep their tags)",
            "  list                the funnels in effect, with the time each version was published",
            "  report (--id ID | --file F) --from YYYY-MM-DD [--to YYYY-MM-DD]",
            "                      conversion per step over the stored events of those days (UTC), computed from",
            "                      the events themselves (any definition, also retroactively) and from the stream's tags");

    private Funnels() {}

    public static void main(String[] args) {
        CommandLine.run(args, Funnels::run);
    }

    static void run(String[] args) throws Exception {
        if (args.length == 0 || args[0].startsWith("--")) {
            throw new IllegalArgumentException("a command is needed\n" + USAGE);
        }
        String command = args[0];
        CommandLine cl = new CommandLine(
                Arrays.copyOfRange(args, 1, args.length), Set.of("file", "id", "from", "to"), Set.of(), USAGE);
        JobConfig config = cl.config();
        switch (command) {
            case "publish":
                publish(config, read(require(cl, "file")));
                break;
            case "remove":
                remove(config, require(cl, "id"));
                break;
            case "list":
                list(config);
                break;
            case "report":
                LocalDate from = date(require(cl, "from"), "--from");
                LocalDate to =
                        cl.get("to", null) == null ? LocalDate.now(ZoneOffset.UTC) : date(cl.get("to", null), "--to");
                FunnelDefinition d = cl.get("file", null) != null
                        ? FunnelDefinition.parse(read(cl.get("file", null)))
                        : current(config, require(cl, "id"));
                System.out.print(report(config, d, from, to).table());
                break;
            default:
                throw new IllegalArgumentException("unknown command '" + command + "'\n" + USAGE);
        }
    }

    public static RecordMetadata publish(JobConfig config, String json) throws Exception {
        FunnelDefinition d;
        try {
            d = FunnelDefinition.parse(json);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("definition not published: " + e.getMessage());
        }
        FunnelTopic.ensure(config);
        RecordMetadata m = FunnelTopic.publish(kafka(config), config.get(Options.FUNNEL_TOPIC), d.id(), json);
        System.out.printf(
                "published funnel %s (%d steps, %s) at %s, offset %d: tags events published from then on%n",
                d.id(),
                d.steps().size(),
                d.mode().name().toLowerCase(),
                Instant.ofEpochMilli(m.timestamp()),
                m.offset());
        return m;
    }

    public static RecordMetadata remove(JobConfig config, String id) throws Exception {
        current(config, id); // refuses unknown ids: a typo should not look like success
        RecordMetadata m = FunnelTopic.publish(kafka(config), config.get(Options.FUNNEL_TOPIC), id, null);
        System.out.printf("removed funnel %s at %s, offset %d%n", id, Instant.ofEpochMilli(m.timestamp()), m.offset());
        return m;
    }

    static FunnelVersions versions(JobConfig config) throws Exception {
        FunnelVersions versions = new FunnelVersions();
        for (FunnelUpdate u : FunnelTopic.readAll(config)) {
            try {
                versions.add(u);
            } catch (IllegalArgumentException e) {
                System.err.printf(
                        "skipping the bad definition of %s at offset %d: %s%n", u.funnelId, u.offset, e.getMessage());
            }
        }
        return versions;
    }

    static void list(JobConfig config) throws Exception {
        List<FunnelVersions.Version> current = versions(config).current();
        if (current.isEmpty()) {
            System.out.println("no funnels on " + config.get(Options.FUNNEL_TOPIC));
        }
        for (FunnelVersions.Version v : current) {
            FunnelDefinition d = v.definition();
            System.out.printf(
                    "%-24s %-10s %2d steps  since %s  %s%n",
                    d.id(),
                    d.mode().name().toLowerCase(),
                    d.steps().size(),
                    Instant.ofEpochMilli(v.publishTime()),
                    d.name());
        }
    }

    static FunnelDefinition current(JobConfig config, String id) throws Exception {
        return versions(config).current().stream()
                .filter(v -> v.funnelId().equals(id))
                .findFirst()
                .orElseThrow(() ->
                        new IllegalArgumentException("no funnel '" + id + "' on " + config.get(Options.FUNNEL_TOPIC)))
                .definition();
    }

    public static FunnelReport report(JobConfig config, FunnelDefinition d, LocalDate from, LocalDate to)
            throws Exception {
        String table = config.get(Options.CLICKHOUSE_DATABASE) + "." + config.get(Options.CLICKHOUSE_TABLE);
        try (ClickHouseSql sql = new ClickHouseSql(ClickHouseEndpoints.from(config, System.getenv()))) {
            return FunnelReport.compute(sql, table, d, from, to);
        }
    }

    private static Map<String, String> kafka(JobConfig config) {
        return config.kafkaClientProperties();
    }

    private static String require(CommandLine cl, String name) {
        String v = cl.get(name, null);
        if (v == null) {
            throw new IllegalArgumentException("--" + name + " is needed\n" + USAGE);
        }
        return v;
    }

    private static String read(String file) throws Exception {
        return Files.readString(Path.of(file), StandardCharsets.UTF_8);
    }

    private static LocalDate date(String text, String option) {
        try {
            return LocalDate.parse(text);
        } catch (java.time.format.DateTimeParseException e) {
            throw new IllegalArgumentException(option + " expects a date like 2026-11-22, got '" + text + "'");
        }
    }
}
