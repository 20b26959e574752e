package io.clickstream.etl.tools;

import io.clickstream.etl.config.JobConfig;
import io.clickstream.etl.config.Options;
import io.clickstream.etl.kafka.KafkaSources;
import io.clickstream.etl.kafka.Topics;
import io.clickstream.etl.parse.EventParser;
import io.clickstream.etl.parse.ParseLimits;
import io.clickstream.etl.redrive.DeadLetterFix;
import io.clickstream.etl.redrive.DeadLetterFix.Kind;
import io.clickstream.etl.redrive.RedriveRules;
import io.clickstream.etl.redrive.Redriver;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;

/**
 * Re-drives dead letters: selects them, fixes their payloads with a rules file, and sends the fixed events through
 * the job again — each dead letter at most once, however often this runs or is interrupted (docs/ingest.md,
 * "Re-driving dead letters").
 *
 * <pre>java -cp clickstream-etl.jar io.clickstream.etl.tools.Redrive --config clickstream.yaml \
 *     --rules fixes.yaml --reason timestamp_out_of_range --dry-run</pre>
 */
public final class Redrive {
    private static final String USAGE = "usage: Redrive --rules FILE [--config FILE] [--set key=value]..."
            + " [--reason R[,R...]] [--source-topic T[,T...]] [--from TIME] [--to TIME]"
            + " [--source-partition P --source-offsets FROM-TO] [--topic NAME] [--batch N] [--sample N] [--dry-run]\n"
            + "  --rules     the fixes (YAML; docs/ingest.md, Re-driving dead letters)\n"
            + "  --reason, --source-topic, --from/--to (the input's record time, ISO-8601), --source-partition with"
            + " --source-offsets (of --source-topic): which dead letters (default: all)\n"
            + "  --topic     where the fixed events go: a topic the job reads (default: backfill.topic)\n"
            + "  --batch     dead letters per Kafka transaction (default 1000)\n"
            + "  --sample    fixed and still failing examples to print, before and after (default 3)\n"
            + "  --dry-run   say what would happen, write nothing";

    private Redrive() {}

    public static void main(String[] args) {
        CommandLine.run(args, Redrive::run);
    }

    public static void run(String... args) throws Exception {
        run(null, args);
    }

    /** {@code listener}: told of each committed transaction (tests interrupt a run with it); may be null. */
    public static Redriver.Report run(Redriver.Listener listener, String... args) throws Exception {
        CommandLine cli = new CommandLine(
                args,
                Set.of(
                        "rules",
                        "reason",
                        "source-topic",
                        "from",
                        "to",
                        "source-partition",
                        "source-offsets",
                        "topic",
                        "batch",
                        "sample"),
                Set.of("dry-run"),
                USAGE);
        JobConfig config = cli.config();
        String rulesFile = cli.get("rules", null);
        if (rulesFile == null) {
            throw new IllegalArgumentException("--rules is required\n" + USAGE);
        }
        RedriveRules rules = RedriveRules.read(Path.of(rulesFile));
        String target = cli.get("topic", config.get(Options.BACKFILL_TOPIC));
        List<String> read = Topics.readByTheJob(config);
        if (target == null || target.isBlank()) {
            throw new IllegalArgumentException("backfill.topic is not set and no --topic given: set backfill.topic"
                    + " (e.g. clickstream-backfill) in the job's configuration, so that the job reads the fixed"
                    + " events, or name one of kafka.topics with --topic");
        }
        if (!read.contains(target)) {
            throw new IllegalArgumentException("--topic " + target + " is not read by the job (it reads " + read
                    + "): the fixed events would go nowhere");
        }
        Redriver.Selection selection = selection(cli);
        boolean dryRun = cli.flag("dry-run");
        String deadLetters = config.get(Options.DEAD_LETTER_TOPIC);
        if (!dryRun) {
            Properties admin = new Properties();
            admin.putAll(config.kafkaClientProperties());
            try (Admin a = Admin.create(admin)) {
                Topics.of(config).createMissing(a, List.of(target), KafkaSources.BACKFILL_PARTITIONS);
                Topics.of(config).createCompacted(a, Redriver.progressTopic(target));
            }
        }
        DeadLetterFix fix = new DeadLetterFix(rules, new EventParser(ParseLimits.from(config)), target);
        Redriver.Report report;
        try (Redriver r = new Redriver(config.kafkaClientProperties(), deadLetters, target, fix, dryRun)) {
            report = r.run(selection, cli.getInt("batch", 1000), cli.getInt("sample", 3), listener);
        }
        print(report, rules, deadLetters, target, dryRun);
        return report;
    }

    private static Redriver.Selection selection(CommandLine cli) {
        Set<String> reasons = names(cli.get("reason", ""));
        Set<String> topics = names(cli.get("source-topic", ""));
        long from = cli.get("from", null) == null ? Long.MIN_VALUE : time(cli.get("from", null), "--from");
        long to = cli.get("to", null) == null ? Long.MAX_VALUE : time(cli.get("to", null), "--to");
        Integer partition = null;
        long fromOffset = 0;
        long toOffset = Long.MAX_VALUE;
        if (cli.get("source-partition", null) != null || cli.get("source-offsets", null) != null) {
            if (topics.size() != 1) {
                throw new IllegalArgumentException("--source-partition/--source-offsets need one --source-topic");
            }
            partition = cli.getInt("source-partition", 0);
            String offsets = cli.get("source-offsets", "0-" + Long.MAX_VALUE);
            int dash = offsets.indexOf('-');
            try {
                fromOffset = Long.parseLong(offsets.substring(0, dash));
                toOffset = Long.parseLong(offsets.substring(dash + 1));
            } catch (RuntimeException e) {
                throw new IllegalArgumentException("--source-offsets expects FROM-TO (both included), got " + offsets);
            }
        }
        return new Redriver.Selection(reasons, topics, from, to, partition, fromOffset, toOffset);
    }

    private static Set<String> names(String list) {
        return Arrays.stream(list.split(","))
                .map(String::strip)
                .filter(s -> !s.isEmpty())
                .collect(Collectors.toCollection(TreeSet::new));
    }

    private static long time(String text, String option) {
        try {
            return Instant.parse(text).toEpochMilli();
        } catch (RuntimeException e) {
            throw new IllegalArgumentException(
                    option + " expects an ISO-8601 time like 2026-12-01T00:00:00Z, got " + text);
        }
    }

    private static void print(
            Redriver.Report r, RedriveRules rules, String deadLetters, String target, boolean dryRun) {
        String would = dryRun ? "would be " : "";
        System.out.printf(
                "%s%s: %,d records read, %,d selected (%,d not selected, %,d not dead letters of this job)%n",
                dryRun ? "dry run, nothing written — " : "",
                deadLetters,
                r.read,
                r.selected(),
                r.notSelected,
                r.notDeadLetters);
        String row = "  %-56s %,8d%n";
        System.out.printf(row, "fixed, " + would + "sent to " + target, r.count(Kind.FIXED));
        System.out.printf(row, "still failing, " + would + "written as new dead letters", r.count(Kind.STILL_FAILING));
        r.stillFailing.forEach((reason, n) -> System.out.printf(row, "  still failing: " + reason, n));
        System.out.printf(row, "still failing, a re-drive's own dead letter, left", r.count(Kind.STILL_FAILING_AGAIN));
        System.out.printf(row, "no rule changed it, left", r.count(Kind.UNCHANGED));
        System.out.printf(row, "cannot be re-driven, left", r.count(Kind.NOT_REDRIVABLE));
        r.notRedrivable.forEach((why, n) -> System.out.printf(row, "  " + why, n));
        System.out.printf(row, "re-driven before, left out", r.alreadyRedriven);
        for (int i = 1; i <= rules.size(); i++) {
            System.out.printf("  rule %d (%s) changed %,d%n", i, rules.describe(i), r.byRule.getOrDefault(i, 0L));
        }
        for (Redriver.Sample s : r.samples) {
            System.out.printf(
                    "  %s: %s-%d@%d (%s), rules %s%n    before: %s%n    after:  %s%n%s",
                    s.outcome().kind() == Kind.FIXED ? "fixed" : "still failing",
                    deadLetters,
                    s.partition(),
                    s.offset(),
                    s.reason(),
                    s.outcome().rules(),
                    new String(s.outcome().before(), StandardCharsets.UTF_8),
                    new String(s.outcome().after(), StandardCharsets.UTF_8),
                    s.outcome().kind() == Kind.FIXED
                            ? ""
                            : "    why:    " + s.outcome().why() + ": "
                                    + s.outcome().detail() + "\n");
        }
    }
}
