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
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * One ClickHouse replica (s1r2) stopped mid-stream: ingestion goes on through the other nodes (the sink moves to the
 * next endpoint, the Distributed table writes to the live replica), the job never fails, and after the replica is
 * back it catches up by replication until both replicas of its shard hold the same rows.
 */
class ReplicaDownITCase {
    @RegisterExtension
    static final MiniClusterExtension FLINK = new MiniClusterExtension(new MiniClusterResourceConfiguration.Builder()
            .setNumberTaskManagers(1)
            .setNumberSlotsPerTaskManager(2)
            .build());

    @Test
    void aStoppedReplicaCostsNothingAndCatchesUpAfterwards() throws Exception {
        TestStack.requireRunning();
        TestStack.Streaming setup = TestStack.streaming("replica", Map.of());
        String database = setup.database();
        String topic = setup.topic();
        JobClient job = TestStack.jobWithoutRestarts(setup.config(), 1000).executeAsync();
        List<String> nodes = TestStack.clickHouseUrls();
        String s1r1 = nodes.get(0);
        String s1r2 = nodes.get(1);
        String distinct = "SELECT uniqExact(event_id) FROM " + database + ".events";
        long t0 = System.currentTimeMillis() - 600_000;
        try {
            TestStack.produce(TestStack.pageViews(topic, "d", "du", 20, 0, 500, t0));
            TestStack.await(
                    "500 rows",
                    Duration.ofSeconds(90),
                    TestStack.unchecked(() -> TestStack.count(s1r1, distinct) == 500));

            TestStack.stack("stop", "s1r2");
            try {
                TestStack.produce(TestStack.pageViews(topic, "d", "du", 20, 500, 500, t0));
                TestStack.await(
                        "1000 rows with s1r2 down",
                        Duration.ofSeconds(120),
                        TestStack.unchecked(() -> TestStack.count(s1r1, distinct) == 1000));
                assertThat(job.getJobStatus().get(10, TimeUnit.SECONDS)).isEqualTo(JobStatus.RUNNING);
            } finally {
                TestStack.stack("start", "s1r2");
            }

            String local = "SELECT count() FROM " + database + ".events_local";
            TestStack.await(
                    "s1r2 caught up",
                    Duration.ofSeconds(120),
                    TestStack.unchecked(() -> TestStack.count(s1r2, local) == TestStack.count(s1r1, local)));
            assertThat(TestStack.count(s1r1, local))
                    .as("shard 1 holds some of the users")
                    .isPositive();
            assertThat(job.getJobStatus().get(10, TimeUnit.SECONDS)).isEqualTo(JobStatus.RUNNING);
        } finally {
            job.cancel().get(60, TimeUnit.SECONDS);
        }
        assertThat(TestStack.count(s1r1, "SELECT count() FROM " + database + ".events"))
                .as("without FINAL")
                .isEqualTo(1000);
        assertThat(TestStack.count(s1r1, "SELECT uniqExact(session_id) FROM " + database + ".events"))
                .isEqualTo(20);
        assertThat(TestStack.rows(database))
                .as("row for row as without the fault")
                .isEqualTo(TestStack.faultFreeRows(setup.config()));
    }
}
