package io.clickstream.etl.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.clickstream.etl.testing.TestStack;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.flink.api.common.JobStatus;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The Kafka broker restarted mid-stream (the job's source and its dead-letter producer lose their broker): every
 * event is stored once (without FINAL: what a restore from the last checkpoint re-read is recognised and left out),
 * sessions stay whole (one per user, indexes 0..n-1), and the table equals that of a run without the fault.
 */
class KafkaRestartITCase {
    @RegisterExtension
    static final MiniClusterExtension FLINK = new MiniClusterExtension(new MiniClusterResourceConfiguration.Builder()
            .setNumberTaskManagers(1)
            .setNumberSlotsPerTaskManager(2)
            .build());

    private static final int USERS = 20;

    @Test
    void aBrokerRestartLosesNothingAndKeepsSessionsWhole() throws Exception {
        TestStack.requireRunning();
        TestStack.Streaming setup = TestStack.streaming("restart", Map.of());
        String database = setup.database();
        String topic = setup.topic();
        JobClient job = TestStack.job(setup.config(), 1000).executeAsync();
        String node = TestStack.clickHouseUrls().get(0);
        String events = database + ".events";
        long t0 = System.currentTimeMillis() - 600_000;
        try {
            TestStack.produce(events(topic, 0, 500, t0));
            TestStack.await(
                    "500 rows",
                    Duration.ofSeconds(90),
                    TestStack.unchecked(
                            () -> TestStack.count(node, "SELECT uniqExact(event_id) FROM " + events) == 500));

            TestStack.stack("restart", "kafka");
            TestStack.produce(events(topic, 500, 500, t0));

            TestStack.await(
                    "1000 distinct events",
                    Duration.ofSeconds(180),
                    TestStack.unchecked(
                            () -> TestStack.count(node, "SELECT uniqExact(event_id) FROM " + events) == 1000));
            assertThat(job.getJobStatus().get(10, TimeUnit.SECONDS)).isEqualTo(JobStatus.RUNNING);
        } finally {
            job.cancel().get(60, TimeUnit.SECONDS);
        }
        assertThat(TestStack.count(node, "SELECT count() FROM " + events))
                .as("0 lost, 0 duplicated, without FINAL")
                .isEqualTo(1000);
        assertThat(TestStack.count(node, "SELECT uniqExact(session_id) FROM " + events))
                .as("one session per user")
                .isEqualTo(USERS);
        assertThat(TestStack.count(
                        node,
                        "SELECT count() FROM (SELECT session_id, max(session_index) + 1 AS n, "
                                + "uniqExact(event_id) AS c FROM " + events + " GROUP BY session_id HAVING n != c)"))
                .as("indexes 0..n-1 in every session, replays included")
                .isZero();
        assertThat(TestStack.count(
                        node,
                        "SELECT count() FROM (SELECT event_id FROM " + events
                                + " GROUP BY event_id HAVING uniqExact(session_id, session_index) > 1)"))
                .as("a re-sent event has the session and index it had")
                .isZero();
        assertThat(TestStack.rows(database))
                .as("row for row as without the fault")
                .isEqualTo(TestStack.faultFreeRows(setup.config()));
    }

    private static List<ProducerRecord<byte[], byte[]>> events(String topic, int from, int n, long t0) {
        return TestStack.pageViews(topic, "k", "user-", USERS, from, n, t0);
    }
}
