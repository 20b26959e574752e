package io.clickstream.etl.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.clickstream.etl.config.JobConfig;
import io.clickstream.etl.testing.MmdbWriter;
import io.clickstream.etl.testing.TestStack;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** The geo database file is replaced while the job runs: later events get the new answers, without a restart. */
class GeoReloadITCase {
    @RegisterExtension
    static final MiniClusterExtension FLINK = new MiniClusterExtension(new MiniClusterResourceConfiguration.Builder()
            .setNumberTaskManagers(1)
            .setNumberSlotsPerTaskManager(2)
            .build());

    private static void writeDb(Path file, String city) throws Exception {
        new MmdbWriter("GeoLite2-City")
                .add(
                        "81.2.69.0/24",
                        Map.of(
                                "country", Map.of("iso_code", "GB", "names", Map.of("en", "United Kingdom")),
                                "city", Map.of("names", Map.of("en", city))))
                .write(file);
    }

    @Test
    void eventsAfterTheFileIsReplacedGetTheNewDatabasesAnswers(@TempDir Path dir) throws Exception {
        TestStack.requireRunning();
        Path live = dir.resolve("geo.mmdb");
        writeDb(live, "London");
        String database = TestStack.migratedDatabase();
        String topic = TestStack.unique("geo");
        String dead = TestStack.unique("dead");
        TestStack.createTopics(2, topic, dead);
        JobConfig config = TestStack.settings(
                topic, dead, database, Map.of("geo.databases", live.toString(), "geo.reload-check-interval", "1s"));
        StreamExecutionEnvironment env = TestStack.job(config, 0);
        JobClient job = env.executeAsync();
        String node = TestStack.clickHouseUrls().get(0);
        try {
            TestStack.produce(events(topic, "before", 100));
            TestStack.await(
                    "100 rows",
                    Duration.ofSeconds(90),
                    TestStack.unchecked(
                            () -> TestStack.count(node, "SELECT count() FROM " + database + ".events") == 100));

            Path next = dir.resolve("geo.mmdb.new");
            writeDb(next, "Edinburgh");
            Files.move(next, live, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            Thread.sleep(1500); // past the check interval; the next lookup reloads

            TestStack.produce(events(topic, "after", 100));
            TestStack.await(
                    "200 rows",
                    Duration.ofSeconds(90),
                    TestStack.unchecked(
                            () -> TestStack.count(node, "SELECT count() FROM " + database + ".events") == 200));

            assertThat(TestStack.query(
                                    node,
                                    "SELECT DISTINCT city FROM " + database
                                            + ".events WHERE event_id LIKE 'before%' FORMAT TabSeparated")
                            .trim())
                    .isEqualTo("London");
            assertThat(TestStack.query(
                                    node,
                                    "SELECT DISTINCT city FROM " + database
                                            + ".events WHERE event_id LIKE 'after%' FORMAT TabSeparated")
                            .trim())
                    .isEqualTo("Edinburgh");
        } finally {
            job.cancel().get(60, TimeUnit.SECONDS);
        }
    }

    private static List<ProducerRecord<byte[], byte[]>> events(String topic, String prefix, int n) {
        long now = System.currentTimeMillis();
        List<ProducerRecord<byte[], byte[]>> records = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            String user = "u" + (i % 10);
            String json =
                    "{\"event_id\":\"" + prefix + i + "\",\"user_id\":\"" + user + "\",\"event_type\":\"page_view\","
                            + "\"ts\":" + (now - 1000) + ",\"ip\":\"81.2.69." + (i % 250 + 1) + "\"}";
            records.add(new ProducerRecord<>(
                    topic, user.getBytes(StandardCharsets.UTF_8), json.getBytes(StandardCharsets.UTF_8)));
        }
        return records;
    }
}
