package io.clickstream.etl.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.clickstream.etl.clickhouse.DeclaredColumnsOnCluster;
import io.clickstream.etl.clickhouse.DeclaredRow;
import io.clickstream.etl.config.JobConfig;
import io.clickstream.etl.testing.TestStack;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.StateRecoveryOptions;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.core.execution.SavepointFormatType;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Declaring columns while events stream and a replica is down (issue 29): the running job goes on writing, the tool
 * adds the columns where it can and names the replica it could not reach; once the replica is back a second run
 * finishes, the job resumes from a savepoint with the schema file (the replica away again), and from then on fills the
 * columns. Every event
 * is stored once, the earlier ones with the columns' defaults, the later ones with their values or their errors —
 * row by row against what each generated value must give — and both replicas of the stopped one's shard agree.
 */
class DeclaredColumnsLaggingReplicaITCase {
    @RegisterExtension
    static final MiniClusterExtension FLINK = new MiniClusterExtension(new MiniClusterResourceConfiguration.Builder()
            .setNumberTaskManagers(1)
            .setNumberSlotsPerTaskManager(2)
            .build());

    private static final String SCHEMA = "{\"columns\": ["
            + "{\"name\": \"plan\", \"type\": \"LowCardinality(String)\", \"path\": \"properties.plan\"},"
            + "{\"name\": \"seats\", \"type\": \"UInt16\", \"path\": \"properties.seats\", \"default\": 1}]}";

    private static final int PER_PHASE = 200;

    @Test
    void columnsDeclaredWhileAReplicaIsDownReachItLaterAndTheJobFillsThemFromItsRestartOn(@TempDir Path dir)
            throws Exception {
        TestStack.requireRunning();
        Path schema = dir.resolve("schema.json");
        Files.writeString(schema, SCHEMA);
        TestStack.Streaming setup = TestStack.streaming("lagging", Map.of());
        JobConfig declaredConfig = setup.config().with("schema.file", schema.toString());
        DeclaredRow row = DeclaredRow.from(declaredConfig);
        DeclaredColumnsOnCluster cluster =
                new DeclaredColumnsOnCluster(TestStack.clickHouse(), TestStack.cluster(), setup.database());
        List<String> nodes = TestStack.clickHouseUrls();
        String node = nodes.get(0);
        String s1r2 = nodes.get(1);
        String events = setup.database() + ".events";
        long t0 = System.currentTimeMillis() - 1_800_000;
        Map<String, String> expected = new TreeMap<>();

        JobClient before = TestStack.jobWithoutRestarts(setup.config(), 1000).executeAsync("declared-lag-before");
        String savepoint;
        try {
            TestStack.produce(phase(setup.topic(), 0, t0, false, expected));
            awaitRows(node, events, PER_PHASE);

            TestStack.stack("stop", "s1r2");
            try {
                assertThatThrownBy(() -> cluster.apply(row, false, 6_000, System.out))
                        .as("the tool waits for every node, then names the one it could not reach")
                        .hasMessageContaining(s1r2 + ": not reachable");
                // The job without the schema file goes on writing in the meantime.
                TestStack.produce(phase(setup.topic(), 1, t0, false, expected));
                awaitRows(node, events, 2 * PER_PHASE);
            } finally {
                TestStack.stack("start", "s1r2");
            }
            TestStack.await(
                    "s1r2 back",
                    Duration.ofSeconds(120),
                    TestStack.unchecked(() -> TestStack.count(s1r2, "SELECT 1") == 1));
            cluster.apply(row, false, 120_000, System.out);
            assertThat(cluster.gaps(row)).as("every node has both columns").isEmpty();

            savepoint = before.stopWithSavepoint(
                            false, dir.resolve("savepoints").toUri().toString(), SavepointFormatType.CANONICAL)
                    .get(2, TimeUnit.MINUTES);
        } catch (Exception | AssertionError e) {
            before.cancel().get(60, TimeUnit.SECONDS);
            throw e;
        }

        TestStack.produce(phase(setup.topic(), 2, t0, true, expected));
        Configuration restore = new Configuration();
        restore.set(StateRecoveryOptions.SAVEPOINT_PATH, savepoint);
        // The replica away again: a job resumes without it (its tables were checked by the tool).
        TestStack.stack("stop", "s1r2");
        try {
            JobClient after = TestStack.job(declaredConfig, 1000, restore).executeAsync("declared-lag-after");
            try {
                awaitRows(node, events, 3 * PER_PHASE);
                Thread.sleep(1000); // anything read twice would land now
            } finally {
                after.cancel().get(60, TimeUnit.SECONDS);
            }
        } finally {
            TestStack.stack("start", "s1r2");
        }

        assertThat(TestStack.count(node, "SELECT count() FROM " + events))
                .as("without FINAL")
                .isEqualTo(3 * PER_PHASE);
        String tsv = TestStack.query(
                node,
                "SELECT event_id, plan, seats, error_log.field, error_log.value, error_log.reason FROM " + events
                        + " ORDER BY event_id FORMAT TabSeparated");
        Map<String, String> got = new TreeMap<>();
        for (String line : tsv.split("\n")) {
            got.merge(line.substring(0, line.indexOf('\t')), line, (a, b) -> a + " AND TWICE " + b);
        }
        assertThat(got).isEqualTo(expected);
        String local = "SELECT count(), sum(seats), countIf(plan != '') FROM " + setup.database() + ".events_local";
        TestStack.await(
                "both replicas of shard 1 alike",
                Duration.ofSeconds(60),
                TestStack.unchecked(() -> TestStack.query(s1r2, local).equals(TestStack.query(node, local))));
    }

    /**
     * A phase's events: plan and seats in their properties (one seat count in ten beyond UInt16); {@code filled}:
     * whether the job that reads them has the schema file, by which each row is expected.
     */
    private static List<ProducerRecord<byte[], byte[]>> phase(
            String topic, int phase, long t0, boolean filled, Map<String, String> expected) {
        List<ProducerRecord<byte[], byte[]>> out = new ArrayList<>();
        for (int i = 0; i < PER_PHASE; i++) {
            int n = phase * PER_PHASE + i;
            String id = String.format("l%04d", n);
            String user = "lu" + (n % 20);
            String plan = i % 3 == 0 ? "pro" : "free";
            boolean tooMany = i % 10 == 7;
            String seats = tooMany ? "70000" : Integer.toString(i % 50);
            String json = "{\"event_id\":\"" + id + "\",\"user_id\":\"" + user + "\",\"event_type\":\"page_view\","
                    + "\"ts\":" + (t0 + n * 1000L) + ",\"properties\":{\"plan\":\"" + plan + "\",\"seats\":" + seats
                    + "}}";
            out.add(new ProducerRecord<>(
                    topic, user.getBytes(StandardCharsets.UTF_8), json.getBytes(StandardCharsets.UTF_8)));
            expected.put(
                    id,
                    !filled
                            ? id + "\t\t1\t[]\t[]\t[]"
                            : tooMany
                                    ? id + "\t" + plan + "\t1\t['seats']\t['" + seats + "']\t['out_of_range']"
                                    : id + "\t" + plan + "\t" + seats + "\t[]\t[]\t[]");
        }
        return out;
    }

    private static void awaitRows(String node, String events, long rows) throws InterruptedException {
        TestStack.await(
                rows + " rows",
                Duration.ofSeconds(120),
                TestStack.unchecked(() -> TestStack.count(node, "SELECT count() FROM " + events) >= rows));
    }
}
