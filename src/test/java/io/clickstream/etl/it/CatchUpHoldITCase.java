package io.clickstream.etl.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.clickstream.etl.config.JobConfig;
import io.clickstream.etl.testing.TestStack;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.flink.configuration.CheckpointingOptions;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.RestOptions;
import org.apache.flink.configuration.StateRecoveryOptions;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * clickhouse.sink.catch-up-hold on real Kafka, ClickHouse, Redis and Flink: a job catching up keeps its partial
 * batches in its checkpoints instead of inserting them at the barriers; cancelled with nothing inserted yet and
 * restored from its last checkpoint, it inserts every event once — none lost with the cancelled run, none twice.
 */
class CatchUpHoldITCase {
    @RegisterExtension
    static final MiniClusterExtension FLINK = new MiniClusterExtension(TestStack.miniClusterKeepingCheckpoints());

    private static final int EVENTS = 2000;

    @Test
    void heldRowsTravelInTheCheckpointAndAreInsertedOnceAfterARestore(@TempDir Path checkpoints) throws Exception {
        TestStack.requireRunning();
        String topic = TestStack.unique("hold");
        String dead = TestStack.unique("dead");
        TestStack.createTopics(2, topic, dead);
        // A backlog: events 500 ms apart ending ten minutes ago, their records written then by their Kafka timestamps.
        long t0 = System.currentTimeMillis() - 600_000 - EVENTS * 500L;
        List<ProducerRecord<byte[], byte[]>> records = new ArrayList<>();
        for (ProducerRecord<byte[], byte[]> r : TestStack.pageViews(topic, "h", "hu", 40, 0, EVENTS, t0)) {
            records.add(new ProducerRecord<>(r.topic(), null, t0, r.key(), r.value()));
        }
        TestStack.produce(records);

        String database = TestStack.migratedDatabase();
        JobConfig config = TestStack.settings(
                topic,
                dead,
                database,
                Map.of(
                        "device.enabled", "false",
                        "funnel.definitions-topic", TestStack.unique("funnels"),
                        "clickhouse.sink.catch-up-hold", "true",
                        "clickhouse.sink.catch-up-flush-interval", "25s"));
        String node = TestStack.clickHouseUrls().get(0);
        String rest = "http://" + FLINK.getClientConfiguration().get(RestOptions.ADDRESS) + ":"
                + FLINK.getClientConfiguration().get(RestOptions.PORT);

        Configuration retain = new Configuration();
        retain.set(
                CheckpointingOptions.CHECKPOINTS_DIRECTORY, checkpoints.toUri().toString());
        retain.setString("execution.checkpointing.externalized-checkpoint-retention", "RETAIN_ON_CANCELLATION");
        JobClient first = TestStack.job(config, 300, retain).executeAsync("CatchUpHoldITCase-cancelled");
        int heldIn;
        try {
            TestStack.await(
                    "every event buffered by the sinks",
                    Duration.ofSeconds(60),
                    TestStack.unchecked(
                            () -> TestStack.metricSum(rest, first.getJobID().toString(), ".clickhouse.bufferedRows")
                                    >= EVENTS));
            int buffered = checkpointNumber(TestStack.latestCheckpoint(checkpoints));
            TestStack.await(
                    "a checkpoint after that",
                    Duration.ofSeconds(20),
                    TestStack.unchecked(
                            () -> checkpointNumber(TestStack.latestCheckpoint(checkpoints)) > buffered + 1));
            heldIn = checkpointNumber(TestStack.latestCheckpoint(checkpoints));
            assertThat(TestStack.count(node, "SELECT count() FROM " + database + ".events"))
                    .as("nothing inserted at the checkpoints' barriers")
                    .isZero();
        } finally {
            first.cancel().get(60, TimeUnit.SECONDS);
        }
        Path checkpoint = checkpoints.resolve(first.getJobID().toString()).resolve("chk-" + heldIn);
        assertThat(TestStack.count(node, "SELECT count() FROM " + database + ".events"))
                .as("the cancelled run inserted nothing")
                .isZero();

        Configuration restore = new Configuration(retain);
        restore.set(StateRecoveryOptions.SAVEPOINT_PATH, checkpoint.toString());
        JobClient second = TestStack.job(config, 300, restore).executeAsync("CatchUpHoldITCase-restored");
        try {
            TestStack.await(
                    EVENTS + " events",
                    Duration.ofSeconds(90),
                    TestStack.unchecked(
                            () -> TestStack.count(node, "SELECT count() FROM " + database + ".events") >= EVENTS));
        } finally {
            second.cancel().get(60, TimeUnit.SECONDS);
        }
        assertThat(TestStack.count(node, "SELECT count() FROM " + database + ".events"))
                .as("without FINAL")
                .isEqualTo(EVENTS);
        assertThat(TestStack.count(node, "SELECT uniqExact(event_id) FROM " + database + ".events"))
                .isEqualTo(EVENTS);
    }

    private static int checkpointNumber(Path checkpoint) {
        return checkpoint == null
                ? 0
                : Integer.parseInt(checkpoint.getFileName().toString().substring(4));
    }
}
