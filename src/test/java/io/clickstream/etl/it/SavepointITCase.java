package io.clickstream.etl.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.clickstream.etl.config.JobConfig;
import io.clickstream.etl.testing.TestStack;
import io.clickstream.etl.tools.Funnels;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
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
 * Stop-with-savepoint and resume on real services: sessions and funnel progress begun before the savepoint continue
 * after it, nothing is read twice (no duplicate rows, without FINAL), and every operator's state maps back by uid
 * (a renamed or missing uid would fail the restore: non-restored state is not allowed).
 */
class SavepointITCase {
    @RegisterExtension
    static final MiniClusterExtension FLINK = new MiniClusterExtension(new MiniClusterResourceConfiguration.Builder()
            .setNumberTaskManagers(1)
            .setNumberSlotsPerTaskManager(2)
            .build());

    private static final String FUNNEL =
            "{\"id\": \"cart-to-buy\", \"mode\": \"strict\", \"steps\": [{\"event_type\": \"view\"},"
                    + " {\"event_type\": \"cart\"}, {\"event_type\": \"buy\"}]}";
    private static final int USERS = 40;

    @Test
    void stopWithSavepointAndResumeKeepsSessionsAndFunnelProgressWithoutDuplicates(@TempDir Path savepoints)
            throws Exception {
        TestStack.requireRunning();
        String topic = TestStack.unique("events");
        String dead = TestStack.unique("dead");
        TestStack.createTopics(2, topic, dead);
        String database = TestStack.migratedDatabase();
        Map<String, String> settings = new HashMap<>(TestStack.jobSettings());
        settings.put("kafka.topics", topic);
        settings.put("kafka.dead-letter-topic", dead);
        settings.put("kafka.start-from", "earliest");
        settings.put("kafka.group-id", TestStack.unique("g"));
        settings.put("clickhouse.database", database);
        settings.put("clickhouse.sink.flush-interval", "200ms");
        settings.put("funnel.definitions-topic", TestStack.unique("funnels"));
        settings.put("device.enabled", "false");
        JobConfig config = JobConfig.of(settings);
        Funnels.publish(config, FUNNEL);
        String node = TestStack.clickHouseUrls().get(0);
        long t0 = System.currentTimeMillis() - 3_600_000L;

        JobClient first = TestStack.job(config, 1000).executeAsync("SavepointITCase-before");
        TestStack.produce(events(topic, t0, "view", "cart"));
        awaitRows(node, database, 2L * USERS);
        String savepoint = first.stopWithSavepoint(false, savepoints.toUri().toString(), SavepointFormatType.CANONICAL)
                .get(2, TimeUnit.MINUTES);

        // While the job is stopped, the rest of each session arrives.
        TestStack.produce(events(topic, t0 + 2 * 60_000L, "buy"));
        Configuration restore = new Configuration();
        restore.set(StateRecoveryOptions.SAVEPOINT_PATH, savepoint);
        restore.set(StateRecoveryOptions.SAVEPOINT_IGNORE_UNCLAIMED_STATE, false);
        JobClient second = TestStack.job(config, 1000, restore).executeAsync("SavepointITCase-after");
        try {
            awaitRows(node, database, 3L * USERS);
            Thread.sleep(1000); // anything read twice would land now
        } finally {
            second.cancel().get();
        }

        String events = database + ".events";
        assertThat(TestStack.count(node, "SELECT count() FROM " + events))
                .as("no event read twice")
                .isEqualTo(3L * USERS);
        assertThat(TestStack.count(node, "SELECT uniqExact(event_id) FROM " + events))
                .isEqualTo(3L * USERS);
        assertThat(TestStack.count(node, "SELECT uniqExact(session_id) FROM " + events))
                .as("one session per user")
                .isEqualTo(USERS);
        assertThat(TestStack.count(node, "SELECT max(session_index) FROM " + events))
                .isEqualTo(2);
        assertThat(TestStack.count(
                        node,
                        "SELECT count() FROM " + events + " WHERE event_type = 'buy' AND "
                                + "arrayExists((f, s) -> f = 'cart-to-buy' AND s = 3, funnels.id, funnels.step)"))
                .as("funnel progress from before the savepoint completed after it")
                .isEqualTo(USERS);
    }

    private static void awaitRows(String node, String database, long expected) throws InterruptedException {
        TestStack.await(
                expected + " rows",
                Duration.ofSeconds(90),
                TestStack.unchecked(
                        () -> TestStack.count(node, "SELECT count() FROM " + database + ".events") >= expected));
    }

    private static List<ProducerRecord<byte[], byte[]>> events(String topic, long start, String... types) {
        List<ProducerRecord<byte[], byte[]>> out = new ArrayList<>();
        for (int u = 0; u < USERS; u++) {
            String user = "user-" + u;
            for (int i = 0; i < types.length; i++) {
                String json = "{\"event_id\":\"" + user + "-" + types[i] + "\",\"user_id\":\"" + user
                        + "\",\"event_type\":\"" + types[i] + "\",\"ts\":" + (start + i * 60_000L + u) + "}";
                out.add(new ProducerRecord<>(
                        topic, user.getBytes(StandardCharsets.UTF_8), json.getBytes(StandardCharsets.UTF_8)));
            }
        }
        return out;
    }
}
