package io.clickstream.etl.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.clickstream.etl.config.JobConfig;
import io.clickstream.etl.testing.TestStack;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.flink.api.common.JobStatus;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * ClickHouse goes away mid-stream for a minute (all four servers stopped for real), events keep arriving, ClickHouse
 * comes back: every event is stored exactly once, the job never failed, and the table equals a fault-free run's.
 */
class ClickHouseOutageITCase {
    private static final int BEFORE = 2000;
    private static final int DURING = 3000;

    @RegisterExtension
    static final MiniClusterExtension FLINK = new MiniClusterExtension(new MiniClusterResourceConfiguration.Builder()
            .setNumberTaskManagers(1)
            .setNumberSlotsPerTaskManager(2)
            .build());

    @Test
    void eventsSentWhileClickHouseIsDownAreStoredOnceWhenItComesBack() throws Exception {
        TestStack.requireRunning();
        String database = TestStack.migratedDatabase();
        String topic = TestStack.unique("events");
        String dead = TestStack.unique("dead");
        TestStack.createTopics(4, topic, dead);
        // Retries spanning more than the outage (0.5 + 1 + 2 + 4 + 4 ... s): the sink waits it out.
        JobConfig config = TestStack.settings(
                topic,
                dead,
                database,
                Map.of(
                        "clickhouse.sink.batch-rows", "500",
                        "clickhouse.sink.max-retries", "30",
                        "clickhouse.sink.retry-backoff", "500ms",
                        "clickhouse.sink.retry-max-backoff", "4s",
                        "clickhouse.sink.request-timeout", "10s"));
        StreamExecutionEnvironment env = TestStack.jobWithoutRestarts(config, 1000);
        JobClient job = env.executeAsync("ClickHouseOutageITCase");
        String node = TestStack.clickHouseUrls().get(0);
        String countAll = "SELECT count() FROM " + database + ".events";
        try {
            TestStack.produce(events(topic, 0, BEFORE));
            TestStack.await(
                    BEFORE + " rows before the outage",
                    Duration.ofSeconds(90),
                    TestStack.unchecked(() -> TestStack.count(node, countAll) == BEFORE));

            TestStack.stack("stop", "clickhouse");
            try {
                // A minute down, events arriving at its start and in its middle.
                TestStack.produce(events(topic, BEFORE, DURING));
                Thread.sleep(30_000);
                TestStack.produce(events(topic, BEFORE + DURING, DURING));
                Thread.sleep(30_000);
                assertThat(job.getJobStatus().get(10, TimeUnit.SECONDS)).isEqualTo(JobStatus.RUNNING);
            } finally {
                TestStack.stack("start", "clickhouse");
            }

            TestStack.await(
                    "all rows after the outage",
                    Duration.ofSeconds(120),
                    TestStack.unchecked(() -> TestStack.count(node, countAll) >= BEFORE + 2 * DURING));
            Thread.sleep(2000); // a late duplicate would show up now
            assertThat(TestStack.count(node, countAll))
                    .as("rows, without FINAL")
                    .isEqualTo(BEFORE + 2 * DURING);
            assertThat(TestStack.count(node, "SELECT uniqExact(event_id) FROM " + database + ".events"))
                    .isEqualTo(BEFORE + 2 * DURING);
            assertThat(job.getJobStatus().get(10, TimeUnit.SECONDS))
                    .as("the job rode out the outage")
                    .isEqualTo(JobStatus.RUNNING);
        } finally {
            job.cancel().get(60, TimeUnit.SECONDS);
        }
        assertThat(TestStack.rows(database))
                .as("row for row as without the fault")
                .isEqualTo(TestStack.faultFreeRows(config));
    }

    private static List<ProducerRecord<byte[], byte[]>> events(String topic, int from, int count) {
        long now = System.currentTimeMillis();
        List<ProducerRecord<byte[], byte[]>> records = new ArrayList<>();
        for (int i = from; i < from + count; i++) {
            String user = "u" + (i % 97);
            String json = "{\"event_id\":\"o-" + i + "\",\"user_id\":\"" + user
                    + "\",\"event_type\":\"page_view\",\"ts\":" + (now - 10_000 + i) + "}";
            records.add(new ProducerRecord<>(
                    topic, user.getBytes(StandardCharsets.UTF_8), json.getBytes(StandardCharsets.UTF_8)));
        }
        return records;
    }
}
