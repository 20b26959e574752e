package io.clickstream.etl.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.clickstream.etl.ClickstreamJob;
import io.clickstream.etl.config.JobConfig;
import io.clickstream.etl.testing.TestStack;
import io.clickstream.etl.tools.Replay;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.flink.api.common.JobStatus;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.RestOptions;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The replay command: refuses while the job runs, dry-runs, rewinds to a time; the next run reads from there again
 * into the same tables and stores nothing twice (without FINAL), with the same session ids.
 */
class ReplayITCase {
    @RegisterExtension
    static final MiniClusterExtension FLINK = new MiniClusterExtension(new MiniClusterResourceConfiguration.Builder()
            .setNumberTaskManagers(1)
            .setNumberSlotsPerTaskManager(2)
            .build());

    @Test
    void rewindToATimestampMakesTheNextRunReadAgainFromThere() throws Exception {
        TestStack.requireRunning();
        String topic = TestStack.unique("replay");
        String dead = TestStack.unique("dead");
        String group = TestStack.unique("g");
        TestStack.createTopics(2, topic, dead);
        long base = System.currentTimeMillis() - 3_600_000;
        List<ProducerRecord<byte[], byte[]>> records = new ArrayList<>();
        for (int i = 0; i < 100; i++) {
            String user = "u" + (i % 9);
            records.add(new ProducerRecord<>(
                    topic,
                    null,
                    base + i * 1000L,
                    user.getBytes(StandardCharsets.UTF_8),
                    ("{\"event_id\":\"r" + i + "\",\"user_id\":\"" + user + "\",\"event_type\":\"click\",\"ts\":"
                                    + (base + i * 1000L - 10) + "}")
                            .getBytes(StandardCharsets.UTF_8)));
        }
        TestStack.produce(records);
        Configuration client = FLINK.getClientConfiguration();
        String rest = "http://" + client.get(RestOptions.ADDRESS) + ":" + client.get(RestOptions.PORT);
        String[] common = {
            "--set",
            "kafka.bootstrap-servers=" + TestStack.kafkaBootstrap(),
            "--set",
            "kafka.topics=" + topic,
            "--set",
            "kafka.group-id=" + group
        };
        String halfway = Instant.ofEpochMilli(base + 50_000).toString();

        String first = TestStack.migratedDatabase();
        String prefix = TestStack.unique("it");
        JobClient job = start(topic, dead, group, first, prefix);
        TestStack.await("100 rows", Duration.ofSeconds(90), TestStack.unchecked(() -> count(first) == 100));
        TestStack.await(
                "100 offsets committed",
                Duration.ofSeconds(30),
                TestStack.unchecked(() -> TestStack.committedOffsets(group) == 100));

        assertThatThrownBy(() -> Replay.run(args(common, "--to-timestamp", halfway, "--watch-seconds", "0")))
                .as("Kafka alone cannot show that the job is stopped")
                .hasMessageContaining("--flink-rest URL is required");
        assertThatThrownBy(() -> Replay.run(
                        args(common, "--to-timestamp", halfway, "--flink-rest", rest, "--watch-seconds", "0")))
                .hasMessageContaining("is RUNNING")
                .hasMessageContaining("stop it first");
        job.cancel().get(60, TimeUnit.SECONDS);
        TestStack.await(
                "job cancelled",
                Duration.ofSeconds(60),
                TestStack.unchecked(() -> job.getJobStatus().get() == JobStatus.CANCELED));

        Replay.run(args(common, "--to-timestamp", halfway, "--dry-run"));
        assertThat(TestStack.committedOffsets(group))
                .as("a dry run changes nothing")
                .isEqualTo(100);

        Replay.run(args(common, "--to-timestamp", halfway, "--flink-rest", rest, "--watch-seconds", "2"));
        assertThat(TestStack.committedOffsets(group)).isEqualTo(50);
        assertThat(output(() -> Replay.run(args(common, "--progress"))))
                .as("the replay's progress before the start")
                .contains("behind: 50 records");

        String before = TestStack.rows(first);
        JobClient again = start(topic, dead, group, first, prefix);
        try {
            TestStack.await(
                    "the group back at the end",
                    Duration.ofSeconds(90),
                    TestStack.unchecked(() -> TestStack.committedOffsets(group) == 100));
            TestStack.await(
                    "50 rows read again and recognised",
                    Duration.ofSeconds(30),
                    TestStack.unchecked(() ->
                            TestStack.metricSum(rest, again.getJobID().toString(), ".clickhouse.replaySkippedRows")
                                    == 50));
            assertThat(TestStack.metricSum(rest, again.getJobID().toString(), ".clickhouse.replayCheckedRows"))
                    .isEqualTo(50);
            assertThat(count(first)).as("no row twice, without FINAL").isEqualTo(100);
            assertThat(TestStack.rows(first))
                    .as("the same rows, the same session ids")
                    .isEqualTo(before);
            StringBuilder perUser = new StringBuilder(); // 100 events, i % 9 the user
            for (int u = 0; u < 9; u++) {
                perUser.append("u")
                        .append(u)
                        .append('\t')
                        .append(u == 0 ? 12 : 11)
                        .append('\n');
            }
            assertThat(TestStack.query(
                            TestStack.clickHouseUrls().get(0),
                            "SELECT user_id, uniqExactMerge(events) FROM " + first
                                    + ".user_days GROUP BY user_id ORDER BY user_id FORMAT TabSeparated"))
                    .as("the daily aggregates count the replayed events once")
                    .isEqualTo(perUser.toString());
            assertThat(output(() -> Replay.run(args(common, "--progress")))).contains("behind: 0 records");
        } finally {
            again.cancel().get(60, TimeUnit.SECONDS);
        }
    }

    /** What a command prints on standard output. */
    private static String output(TestStack.CheckedRunnable command) throws Exception {
        java.io.PrintStream original = System.out;
        java.io.ByteArrayOutputStream captured = new java.io.ByteArrayOutputStream();
        System.setOut(new java.io.PrintStream(captured, true, java.nio.charset.StandardCharsets.UTF_8));
        try {
            command.run();
        } finally {
            System.setOut(original);
        }
        return captured.toString(java.nio.charset.StandardCharsets.UTF_8);
    }

    private static String[] args(String[] common, String... more) {
        List<String> all = new ArrayList<>(List.of(common));
        all.addAll(List.of(more));
        return all.toArray(new String[0]);
    }

    /** The job as it runs in production: the same group, Redis keys and tables each time. */
    private static JobClient start(String topic, String dead, String group, String database, String redisPrefix)
            throws Exception {
        JobConfig config = TestStack.settings(
                topic,
                dead,
                database,
                Map.of(
                        "kafka.group-id",
                        group,
                        "kafka.start-from",
                        "group-offsets",
                        "device.enabled",
                        "false",
                        "redis.key-prefix",
                        redisPrefix));
        StreamExecutionEnvironment env = TestStack.job(config, 500);
        return env.executeAsync(ClickstreamJob.DEFAULT_JOB_NAME);
    }

    private static long count(String database) throws Exception {
        return TestStack.count(TestStack.clickHouseUrls().get(0), "SELECT count() FROM " + database + ".events");
    }
}
