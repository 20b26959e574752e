package io.clickstream.etl.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.clickstream.etl.config.JobConfig;
import io.clickstream.etl.testing.TestStack;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Where a job without a checkpoint starts reading: kafka.start-from timestamp and group-offsets, on real Kafka. */
class StartPositionITCase {
    @RegisterExtension
    static final MiniClusterExtension FLINK = new MiniClusterExtension(new MiniClusterResourceConfiguration.Builder()
            .setNumberTaskManagers(1)
            .setNumberSlotsPerTaskManager(2)
            .build());

    private String database;
    private String topic;
    private String dead;

    @BeforeEach
    void freshTopicAndDatabase() throws Exception {
        TestStack.requireRunning();
        database = TestStack.migratedDatabase();
        topic = TestStack.unique("start");
        dead = TestStack.unique("dead");
        TestStack.createTopics(2, topic, dead);
    }

    private JobConfig settings(Map<String, String> more) {
        return TestStack.settings(topic, dead, database, more);
    }

    private static JobClient start(JobConfig config, boolean checkpointing) throws Exception {
        return TestStack.job(config, checkpointing ? 500 : 0).executeAsync();
    }

    /** Events e{from}..e{from+count-1}, record time base + i seconds, event time 10 ms earlier. */
    private void produce(int from, int count, long base) throws Exception {
        List<ProducerRecord<byte[], byte[]>> records = new ArrayList<>();
        for (int i = from; i < from + count; i++) {
            long recordTime = base + i * 1000L;
            String user = "u" + (i % 7);
            String json = "{\"event_id\":\"e" + i + "\",\"user_id\":\"" + user + "\",\"event_type\":\"click\",\"ts\":"
                    + (recordTime - 10) + "}";
            records.add(new ProducerRecord<>(
                    topic,
                    null,
                    recordTime,
                    user.getBytes(StandardCharsets.UTF_8),
                    json.getBytes(StandardCharsets.UTF_8)));
        }
        TestStack.produce(records);
    }

    private long count(String where) throws Exception {
        return TestStack.count(
                TestStack.clickHouseUrls().get(0), "SELECT count() FROM " + database + ".events" + where);
    }

    @Test
    void timestampStartReadsOnlyRecordsAtOrAfterIt() throws Exception {
        long base = System.currentTimeMillis() - 3_600_000;
        produce(0, 100, base);
        String startAt = Instant.ofEpochMilli(base + 60_000).toString(); // record of e60

        JobClient job = start(
                settings(Map.of(
                        "kafka.start-from", "timestamp", "kafka.start-timestamp", startAt, "kafka.bounded", "true")),
                false);
        job.getJobExecutionResult().get(120, TimeUnit.SECONDS);

        assertThat(count("")).isEqualTo(40);
        assertThat(count(" WHERE toUInt32(substring(event_id, 2)) < 60")).isZero();
    }

    @Test
    void groupOffsetsResumeWhereTheLastRunCommitted() throws Exception {
        String group = TestStack.unique("g");
        JobConfig config = settings(Map.of("kafka.start-from", "group-offsets", "kafka.group-id", group));
        long base = System.currentTimeMillis() - 60_000;
        produce(0, 50, base);

        JobClient first = start(config, true);
        TestStack.await("50 rows", Duration.ofSeconds(90), TestStack.unchecked(() -> count("") == 50));
        TestStack.await(
                "offsets committed for 50 records",
                Duration.ofSeconds(30),
                TestStack.unchecked(() -> TestStack.committedOffsets(group) == 50));
        first.cancel().get(60, TimeUnit.SECONDS);

        produce(50, 30, base);
        JobClient second = start(config, true);
        try {
            TestStack.await("80 rows", Duration.ofSeconds(90), TestStack.unchecked(() -> count("") >= 80));
            TestStack.await(
                    "offsets committed for 80 records",
                    Duration.ofSeconds(30),
                    TestStack.unchecked(() -> TestStack.committedOffsets(group) == 80));
            assertThat(count("")).as("the first 50 were not read again").isEqualTo(80);
        } finally {
            second.cancel().get(60, TimeUnit.SECONDS);
        }
    }
}
