package io.clickstream.etl.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.clickstream.etl.config.JobConfig;
import io.clickstream.etl.testing.TestStack;
import java.time.Duration;
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
 * Redis stops mid-stream (the real server, stopped and started again by scripts/stack.sh) while events keep
 * coming: the sessions stage waits instead of guessing, and afterwards every event is stored once, with the session
 * it would have had without the outage (one session per user here), and the job never failed.
 */
class RedisOutageITCase {
    @RegisterExtension
    static final MiniClusterExtension FLINK = new MiniClusterExtension(new MiniClusterResourceConfiguration.Builder()
            .setNumberTaskManagers(1)
            .setNumberSlotsPerTaskManager(2)
            .build());

    @Test
    void eventsArrivingWhileRedisIsDownGetTheirSessionsOnceItIsBack() throws Exception {
        TestStack.requireRunning();
        TestStack.Streaming setup = TestStack.streaming("redis", Map.of("redis.timeout", "500ms"));
        String database = setup.database();
        String topic = setup.topic();
        JobConfig config = setup.config();
        StreamExecutionEnvironment env = TestStack.jobWithoutRestarts(config, 1000);
        JobClient job = env.executeAsync();
        String node = TestStack.clickHouseUrls().get(0);
        String count = "SELECT count() FROM " + database + ".events";
        long t0 = System.currentTimeMillis() - 600_000;
        try {
            TestStack.produce(events(topic, 0, 500, t0));
            TestStack.await(
                    "500 rows", Duration.ofSeconds(90), TestStack.unchecked(() -> TestStack.count(node, count) == 500));

            TestStack.stack("stop", "redis");
            try {
                TestStack.produce(events(topic, 500, 500, t0));
                Thread.sleep(5000);
                assertThat(TestStack.count(node, count))
                        .as("no event leaves without its session")
                        .isEqualTo(500);
                assertThat(job.getJobStatus().get(10, TimeUnit.SECONDS)).isEqualTo(JobStatus.RUNNING);
            } finally {
                TestStack.stack("start", "redis");
            }

            TestStack.await(
                    "1000 rows",
                    Duration.ofSeconds(120),
                    TestStack.unchecked(() -> TestStack.count(node, count) >= 1000));
            Thread.sleep(1000);
            assertThat(TestStack.count(node, count)).isEqualTo(1000);
            assertThat(TestStack.count(node, "SELECT uniqExact(event_id) FROM " + database + ".events"))
                    .isEqualTo(1000);
            // Each user's events are minutes apart: one session per user, across the outage.
            assertThat(TestStack.count(node, "SELECT uniqExact(session_id) FROM " + database + ".events"))
                    .isEqualTo(20);
            assertThat(TestStack.count(node, "SELECT max(session_index) FROM " + database + ".events"))
                    .isEqualTo(49);
            assertThat(job.getJobStatus().get(10, TimeUnit.SECONDS)).isEqualTo(JobStatus.RUNNING);
        } finally {
            job.cancel().get(60, TimeUnit.SECONDS);
        }
        assertThat(TestStack.rows(database))
                .as("row for row as without the fault")
                .isEqualTo(TestStack.faultFreeRows(config));
    }

    private static List<ProducerRecord<byte[], byte[]>> events(String topic, int from, int n, long t0) {
        return TestStack.pageViews(topic, "r", "ru", 20, from, n, t0);
    }
}
