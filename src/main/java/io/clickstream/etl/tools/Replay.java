package io.clickstream.etl.tools;

import io.clickstream.etl.config.JobConfig;
import io.clickstream.etl.config.Options;
import io.clickstream.etl.config.Timestamps;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ConsumerGroupDescription;
import org.apache.kafka.clients.admin.ListOffsetsResult;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;

/**
 * Rewinds (or moves) the job's consumer group so that the next start with {@code kafka.start-from: group-offsets}
 * reads again from a point in time. Refuses while the job runs: a running job keeps its position in its own
 * checkpoints and would overwrite the rewound offsets at its next checkpoint.
 *
 * <pre>java -cp clickstream-etl.jar io.clickstream.etl.tools.Replay --config clickstream.yaml \
 *     --to-timestamp 2026-11-22T08:00:00Z [--topics a,b] [--dry-run] [--flink-rest http://jobmanager:8081]</pre>
 */
public final class Replay {
    private static final String USAGE = "usage: Replay [--config FILE] [--set key=value]... TARGET [options]\n"
            + "  TARGET: --to-timestamp T (epoch ms or ISO-8601) | --to-earliest | --to-offsets topic:partition=offset,...\n"
            + "  --progress           instead of a target: how far the group is behind the end of each partition\n"
            + "  --topics a,b         topics to move (default: kafka.topics); others keep their offsets\n"
            + "  --group G            consumer group (default: kafka.group-id)\n"
            + "  --dry-run            print what would change, change nothing\n"
            + "  --flink-rest URL     required (but for --dry-run): refuse if a job named --job-name runs there\n"
            + "  --job-name NAME      default clickstream-etl\n"
            + "  --watch-seconds N    refuse if the group's offsets move within N seconds (default 15; 0 = skip)";

    private Replay() {}

    public static void main(String[] args) {
        CommandLine.run(args, Replay::run);
    }

    /** The command without its exit codes: throws IllegalArgumentException / IllegalStateException with the reason. */
    public static void run(String[] args) throws Exception {
        CommandLine cli = new CommandLine(
                args,
                Set.of("to-timestamp", "to-offsets", "topics", "group", "flink-rest", "job-name", "watch-seconds"),
                Set.of("to-earliest", "dry-run", "progress"),
                USAGE);
        JobConfig config = cli.config();
        String group = cli.get("group", config.get(Options.KAFKA_GROUP_ID));
        List<String> topics = cli.get("topics", null) == null
                ? config.get(Options.KAFKA_TOPICS)
                : List.of(cli.get("topics", "").split(","));
        if (cli.flag("progress")) {
            progress(config, group, topics);
            return;
        }
        int targets = (cli.get("to-timestamp", null) != null ? 1 : 0)
                + (cli.get("to-offsets", null) != null ? 1 : 0)
                + (cli.flag("to-earliest") ? 1 : 0);
        if (targets != 1) {
            throw new IllegalArgumentException(
                    "give exactly one of --to-timestamp, --to-earliest, --to-offsets\n" + USAGE);
        }
        boolean dryRun = cli.flag("dry-run");
        if (!dryRun && cli.get("flink-rest", null) == null) {
            // Kafka cannot tell: the job's source does not join the group and commits only on checkpoints, so an
            // idle job, or one with checkpoints far apart, looks stopped there and would overwrite the rewind.
            throw new IllegalArgumentException("--flink-rest URL is required: only the Flink REST API (the JobManager, "
                    + "or YARN's proxy to it) can show that the job is stopped; its Kafka source does not join the "
                    + "group and commits offsets only on checkpoints\n" + USAGE);
        }

        try (Admin admin = KafkaOffsets.admin(config)) {
            List<TopicPartition> partitions = KafkaOffsets.partitions(admin, topics);
            Map<TopicPartition, Long> current = KafkaOffsets.committed(admin, group);
            Map<TopicPartition, Long> target = target(admin, cli, partitions);

            System.out.printf("group %s, %d partitions of %s%n", group, partitions.size(), topics);
            System.out.printf("  %-40s %12s %12s %12s%n", "partition", "committed", "target", "re-read");
            long total = 0;
            for (TopicPartition tp : partitions) {
                Long from = current.get(tp);
                long to = target.get(tp);
                long delta = from == null ? 0 : from - to;
                total += Math.max(delta, 0);
                // Negative: the target lies ahead of the committed offset, those records would be skipped.
                System.out.printf("  %-40s %12s %12d %12d%n", tp, from == null ? "-" : from, to, delta);
            }
            System.out.printf("%s %d records to be read again%n", dryRun ? "would rewind:" : "rewinding:", total);
            if (dryRun) {
                return;
            }
            refuseIfRunning(admin, group, current, cli);
            Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>();
            target.forEach((tp, o) -> offsets.put(tp, new OffsetAndMetadata(o, "replay " + Instant.now())));
            try {
                admin.alterConsumerGroupOffsets(group, offsets).all().get(60, TimeUnit.SECONDS);
            } catch (ExecutionException e) {
                throw new IllegalStateException(
                        "Kafka refused to move the offsets of group " + group + ": "
                                + e.getCause().getMessage() + " (is a consumer of the group still running?)",
                        e);
            }
            System.out.printf(
                    "done: group %s now starts at the target offsets. Start the job without a savepoint and "
                            + "with kafka.start-from: group-offsets to replay.%n",
                    group);
        }
    }

    /**
     * The replay's progress: per partition the group's committed offset (what the job has checkpointed), the end
     * of the partition and how many records lie between.
     */
    private static void progress(JobConfig config, String group, List<String> topics) throws Exception {
        try (Admin admin = KafkaOffsets.admin(config)) {
            List<TopicPartition> partitions = KafkaOffsets.partitions(admin, topics);
            Map<TopicPartition, Long> current = KafkaOffsets.committed(admin, group);
            Map<TopicPartition, Long> end = KafkaOffsets.ends(admin, partitions);
            System.out.printf("group %s, %d partitions of %s%n", group, partitions.size(), topics);
            System.out.printf("  %-40s %12s %12s %12s%n", "partition", "committed", "end", "behind");
            long behind = 0;
            for (TopicPartition tp : partitions) {
                Long at = current.get(tp);
                long e = end.get(tp);
                long b = at == null ? e : Math.max(0, e - at);
                behind += b;
                System.out.printf("  %-40s %12s %12d %12d%n", tp, at == null ? "-" : at, e, b);
            }
            System.out.printf("behind: %d records%n", behind);
        }
    }

    private static Map<TopicPartition, Long> target(Admin admin, CommandLine cli, List<TopicPartition> partitions)
            throws Exception {
        Map<TopicPartition, Long> out = new HashMap<>();
        String explicit = cli.get("to-offsets", null);
        if (explicit != null) {
            for (String item : explicit.split(",")) {
                int colon = item.lastIndexOf(':');
                int eq = item.indexOf('=');
                if (colon <= 0 || eq < colon) {
                    throw new IllegalArgumentException(
                            "--to-offsets expects topic:partition=offset, got '" + item + "'");
                }
                TopicPartition tp =
                        new TopicPartition(item.substring(0, colon), Integer.parseInt(item.substring(colon + 1, eq)));
                if (!partitions.contains(tp)) {
                    throw new IllegalArgumentException(
                            "--to-offsets names " + tp + ", which is not among " + partitions);
                }
                out.put(tp, Long.parseLong(item.substring(eq + 1)));
            }
            return out;
        }
        OffsetSpec spec = cli.flag("to-earliest")
                ? OffsetSpec.earliest()
                : OffsetSpec.forTimestamp(Timestamps.parseMillis(cli.get("to-timestamp", "")));
        Map<TopicPartition, OffsetSpec> request = new HashMap<>();
        partitions.forEach(tp -> request.put(tp, spec));
        Map<TopicPartition, ListOffsetsResult.ListOffsetsResultInfo> found =
                admin.listOffsets(request).all().get(30, TimeUnit.SECONDS);
        Map<TopicPartition, Long> end = KafkaOffsets.ends(admin, partitions);
        for (TopicPartition tp : partitions) {
            long o = found.get(tp).offset();
            out.put(tp, o < 0 ? end.get(tp) : o); // no record at or after the time: the end
        }
        return out;
    }

    private static void refuseIfRunning(Admin admin, String group, Map<TopicPartition, Long> before, CommandLine cli)
            throws Exception {
        ConsumerGroupDescription description = admin.describeConsumerGroups(List.of(group))
                .all()
                .get(30, TimeUnit.SECONDS)
                .get(group);
        if (description != null && !description.members().isEmpty()) {
            throw new IllegalStateException(
                    "group " + group + " has " + description.members().size() + " active consumers: stop them first");
        }
        String rest = cli.get("flink-rest", null);
        if (rest != null) {
            FlinkJobs.refuseIfRunning(rest, cli.get("job-name", FlinkJobs.DEFAULT_NAME), "replay");
        }
        int watch = cli.getInt("watch-seconds", 15);
        if (watch > 0) {
            System.out.printf(
                    "watching the group's offsets for %d s (a running job commits them on every checkpoint) ...%n",
                    watch);
            Thread.sleep(watch * 1000L);
            if (!KafkaOffsets.committed(admin, group).equals(before)) {
                throw new IllegalStateException("the offsets of group " + group + " moved in the last " + watch
                        + " s: the job is still running. Stop it first (flink stop --savepointPath DIR <job id>)");
            }
        }
    }
}
