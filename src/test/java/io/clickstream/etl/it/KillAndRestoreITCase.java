package io.clickstream.etl.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.clickstream.etl.config.JobConfig;
import io.clickstream.etl.testing.TestStack;
import io.clickstream.etl.tools.Funnels;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.apache.flink.configuration.CheckpointingOptions;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.RestOptions;
import org.apache.flink.configuration.StateRecoveryOptions;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The job killed mid-stream and started again from an early retained checkpoint (so that hundreds of stored events
 * are read again) gives, without FINAL, the same rows as a run without the fault over the same input: every event
 * once, with the same session id, index and funnel tags.
 */
class KillAndRestoreITCase {
    @RegisterExtension
    static final MiniClusterExtension FLINK = new MiniClusterExtension(TestStack.miniClusterKeepingCheckpoints());

    private static final String FUNNEL = "{\"id\": \"views\", \"steps\": [{\"event_type\": \"page_view\"},"
            + " {\"event_type\": \"page_view\"}, {\"event_type\": \"page_view\"}]}";

    @Test
    void aKilledJobRestoredFromItsCheckpointGivesTheRowsOfAFaultFreeRun(@TempDir Path checkpoints) throws Exception {
        TestStack.requireRunning();
        String topic = TestStack.unique("kill");
        String dead = TestStack.unique("dead");
        TestStack.createTopics(2, topic, dead);
        Map<String, String> settings = new HashMap<>(TestStack.jobSettings());
        settings.putAll(Map.of(
                "kafka.topics",
                topic,
                "kafka.dead-letter-topic",
                dead,
                "kafka.start-from",
                "earliest",
                "clickhouse.sink.flush-interval",
                "200ms",
                "device.enabled",
                "false",
                "funnel.definitions-topic",
                TestStack.unique("funnels")));
        JobConfig base = JobConfig.of(settings);
        Funnels.publish(base, FUNNEL);
        long t0 = System.currentTimeMillis() - 600_000;
        String node = TestStack.clickHouseUrls().get(0);

        // The faulty run: killed after the first half, restarted from its last checkpoint, then the second half.
        String faulty = TestStack.migratedDatabase();
        JobConfig config = base.with("clickhouse.database", faulty).with("kafka.group-id", TestStack.unique("g"));
        Configuration retain = new Configuration();
        retain.set(
                CheckpointingOptions.CHECKPOINTS_DIRECTORY, checkpoints.toUri().toString());
        retain.setString("execution.checkpointing.externalized-checkpoint-retention", "RETAIN_ON_CANCELLATION");
        JobClient first = TestStack.job(config, 500, retain).executeAsync("KillAndRestoreITCase-killed");
        TestStack.produce(TestStack.pageViews(topic, "x", "xu", 25, 0, 300, t0));
        awaitDistinct(node, faulty, 300);
        TestStack.await("a checkpoint", Duration.ofSeconds(30), TestStack.unchecked(() -> {
            try (Stream<Path> all = Files.walk(checkpoints, 2)) {
                return all.anyMatch(p -> Files.exists(p.resolve("_metadata")));
            }
        }));
        Path early = TestStack.latestCheckpoint(checkpoints);
        assertThat(early).as("a retained checkpoint under " + checkpoints).isNotNull();
        TestStack.produce(TestStack.pageViews(topic, "x", "xu", 25, 300, 300, t0));
        awaitDistinct(node, faulty, 600);
        Thread.sleep(1500); // checkpoints past all 600
        first.cancel().get(60, TimeUnit.SECONDS);

        // Restored from a checkpoint taken before the second 300 were read: those (at least) are read again.
        TestStack.produce(TestStack.pageViews(topic, "x", "xu", 25, 600, 600, t0));
        Configuration restore = new Configuration(retain);
        restore.set(StateRecoveryOptions.SAVEPOINT_PATH, early.toString());
        JobClient second = TestStack.job(config, 500, restore).executeAsync("KillAndRestoreITCase-restored");
        try {
            awaitDistinct(node, faulty, 1200);
            String rest = "http://" + FLINK.getClientConfiguration().get(RestOptions.ADDRESS) + ":"
                    + FLINK.getClientConfiguration().get(RestOptions.PORT);
            TestStack.await(
                    "the second 300 read again and left out",
                    Duration.ofSeconds(30),
                    TestStack.unchecked(() ->
                            TestStack.metricSum(rest, second.getJobID().toString(), ".clickhouse.replaySkippedRows")
                                    >= 300));
        } finally {
            second.cancel().get(60, TimeUnit.SECONDS);
        }

        assertThat(TestStack.count(node, "SELECT count() FROM " + faulty + ".events"))
                .as("without FINAL")
                .isEqualTo(1200);
        String faultyRows = TestStack.rows(faulty);
        assertThat(faultyRows.split("\n")).hasSize(1200);
        assertThat(faultyRows).as("row for row as without the fault").isEqualTo(TestStack.faultFreeRows(config));
    }

    private static void awaitDistinct(String node, String database, long expected) throws InterruptedException {
        TestStack.await(
                expected + " distinct events",
                Duration.ofSeconds(120),
                TestStack.unchecked(() ->
                        TestStack.count(node, "SELECT uniqExact(event_id) FROM " + database + ".events") >= expected));
    }
}
