package io.clickstream.etl.it;

import io.clickstream.etl.config.JobConfig;
import io.clickstream.etl.testing.TestStack;
import io.clickstream.etl.tools.Funnels;
import org.apache.flink.configuration.CheckpointingOptions;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.StateRecoveryOptions;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The job killed mid-stream and started again from its last retained checkpoint gives, after FINAL, the same rows as a
 * run without the fault over the same input: every event once, with the same session id, index and funnel tags.
 */
class KillAndRestoreITCase {
    @RegisterExtension
    static final MiniClusterExtension FLINK = new MiniClusterExtension(new MiniClusterResourceConfiguration.Builder()
            .setNumberTaskManagers(1).setNumberSlotsPerTaskManager(2).build());

    private static final String FUNNEL = "{\"id\": \"views\", \"steps\": [{\"event_type\": \"page_view\"},"
            + " {\"event_type\": \"page_view\"}, {\"event_type\": \"page_view\"}]}";

    @Test
    void aKilledJobRestoredFromItsCheckpointGivesTheRowsOfAFaultFreeRun(@TempDir Path checkpoints) throws Exception {
        TestStack.requireRunning();
        String topic = TestStack.unique("kill");
        String dead = TestStack.unique("dead");
        TestStack.createTopics(2, topic, dead);
        Map<String, String> settings = new HashMap<>(TestStack.jobSettings());
        settings.putAll(Map.of("kafka.topics", topic, "kafka.dead-letter-topic", dead, "kafka.start-from", "earliest",
                "clickhouse.sink.flush-interval", "200ms", "device.enabled", "false",
                "funnel.definitions-topic", TestStack.unique("funnels")));
        JobConfig base = JobConfig.of(settings);
        Funnels.publish(base, FUNNEL);
        long t0 = System.currentTimeMillis() - 600_000;
        String node = TestStack.clickHouseUrls().get(0);

        // The faulty run: killed after the first half, restarted from its last checkpoint, then the second half.
        String faulty = TestStack.migratedDatabase();
        JobConfig config = base.with("clickhouse.database", faulty).with("kafka.group-id", TestStack.unique("g"));
        Configuration retain = new Configuration();
        retain.set(CheckpointingOptions.CHECKPOINTS_DIRECTORY, checkpoints.toUri().toString());
        retain.setString("execution.checkpointing.externalized-checkpoint-retention", "RETAIN_ON_CANCELLATION");
        JobClient first = TestStack.job(config, 500, retain).executeAsync("KillAndRestoreITCase-killed");
        TestStack.produce(TestStack.pageViews(topic, "x", "xu", 25, 0, 600, t0));
        awaitDistinct(node, faulty, 600);
        Thread.sleep(1500); // at least one checkpoint past some of the rows, and rows after it
        first.cancel().get(60, TimeUnit.SECONDS);

        TestStack.produce(TestStack.pageViews(topic, "x", "xu", 25, 600, 600, t0));
        Configuration restore = new Configuration(retain);
        restore.set(StateRecoveryOptions.SAVEPOINT_PATH, latestCheckpoint(checkpoints).toString());
        JobClient second = TestStack.job(config, 500, restore).executeAsync("KillAndRestoreITCase-restored");
        try {
            awaitDistinct(node, faulty, 1200);
        } finally {
            second.cancel().get(60, TimeUnit.SECONDS);
        }

        // The fault-free run over the same topic (its own database and Redis keys), bounded.
        String clean = TestStack.migratedDatabase();
        JobConfig cleanConfig = base.with("clickhouse.database", clean).with("kafka.group-id", TestStack.unique("g"))
                .with("redis.key-prefix", TestStack.unique("clean")).with("kafka.bounded", "true");
        TestStack.job(cleanConfig, 0).execute("KillAndRestoreITCase-clean");

        // 18.16 answers FINAL through a Distributed table in aggregating queries, hence GROUP BY.
        String rows = "SELECT event_id, any(session_id), any(session_number), any(session_index), any(funnels.id), "
                + "any(funnels.step), count() > 0 FROM %s.events FINAL GROUP BY event_id ORDER BY event_id FORMAT TabSeparated";
        String faultyRows = TestStack.query(node, String.format(rows, faulty));
        assertThat(faultyRows.split("\n")).hasSize(1200);
        assertThat(faultyRows).isEqualTo(TestStack.query(node, String.format(rows, clean)));
        assertThat(TestStack.count(node, "SELECT count() FROM " + faulty + ".events FINAL")).isEqualTo(1200);
        assertThat(TestStack.count(node, "SELECT count() FROM (SELECT event_id FROM " + faulty + ".events GROUP BY event_id "
                + "HAVING uniqExact(session_id, session_index, toString(funnels.step)) > 1)"))
                .as("a row re-sent after the restore is identical to the first").isZero();
    }

    private static void awaitDistinct(String node, String database, long expected) throws InterruptedException {
        TestStack.await(expected + " distinct events", Duration.ofSeconds(120), TestStack.unchecked(() ->
                TestStack.count(node, "SELECT uniqExact(event_id) FROM " + database + ".events") >= expected));
    }

    private static Path latestCheckpoint(Path root) throws Exception {
        try (Stream<Path> all = Files.walk(root, 2)) {
            return all.filter(p -> p.getFileName().toString().startsWith("chk-") && Files.exists(p.resolve("_metadata")))
                    .max(Comparator.comparingInt(p -> Integer.parseInt(p.getFileName().toString().substring(4))))
                    .orElseThrow(() -> new AssertionError("no retained checkpoint under " + root));
        }
    }
}
