package io.clickstream.etl.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.clickstream.etl.testing.TestStack;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;

/**
 * The shaded jar as users run it: submitted with the `flink` CLI to a standalone session cluster (JobManager and
 * TaskManager processes, scripts/flink-cluster.sh), with settings from flink-conf/clickstream.yaml plus --set.
 * Catches what a MiniCluster in the test JVM cannot: missing or clashing classes in the jar.
 */
class FlinkRunShadedJarITCase {

    @Test
    void shadedJarSubmittedWithFlinkRunWritesEveryEventToClickHouse() throws Exception {
        TestStack.requireRunning();
        Path jar = shadedJar();
        String database = TestStack.migratedDatabase();
        String topic = TestStack.unique("cli");
        String dead = TestStack.unique("dead");
        TestStack.createTopics(2, topic, dead);
        List<ProducerRecord<byte[], byte[]>> records = new ArrayList<>();
        long now = System.currentTimeMillis();
        for (int i = 0; i < 1000; i++) {
            String user = "cli-user-" + (i % 50);
            records.add(new ProducerRecord<>(
                    topic,
                    user.getBytes(StandardCharsets.UTF_8),
                    ("{\"event_id\":\"c" + i + "\",\"user_id\":\"" + user + "\",\"event_type\":\"page_view\",\"ts\":"
                                    + (now - i) + "}")
                            .getBytes(StandardCharsets.UTF_8)));
        }
        records.add(new ProducerRecord<>(
                topic, "x".getBytes(StandardCharsets.UTF_8), "garbage".getBytes(StandardCharsets.UTF_8)));
        TestStack.produce(records);

        TestStack.stack("flink-cluster", "install");
        TestStack.stack("flink-cluster", "start");
        // Attached and bounded: returns when the job has finished.
        // No restarts: a job that cannot run must fail the attached CLI, not retry behind it forever.
        TestStack.stack(
                "flink-cluster",
                "run",
                "run",
                "-p",
                "2",
                "-Drestart-strategy.type=none",
                jar.toString(),
                "--config",
                "flink-conf/clickstream.yaml",
                "--set",
                "kafka.bootstrap-servers=" + TestStack.kafkaBootstrap(),
                "--set",
                "kafka.topics=" + topic,
                "--set",
                "backfill.topic=" + TestStack.unique("backfill"),
                "--set",
                "kafka.group-id=" + TestStack.unique("group"),
                "--set",
                "kafka.start-from=earliest",
                "--set",
                "kafka.bounded=true",
                "--set",
                "kafka.dead-letter-topic=" + dead,
                "--set",
                "clickhouse.urls=" + String.join(",", TestStack.clickHouseUrls()),
                "--set",
                "clickhouse.database=" + database,
                "--set",
                "redis.key-prefix=" + TestStack.unique("it"));

        String node = TestStack.clickHouseUrls().get(3);
        assertThat(TestStack.count(node, "SELECT count() FROM " + database + ".events"))
                .isEqualTo(1000);
        assertThat(TestStack.consume(dead, 1, java.time.Duration.ofSeconds(20))).hasSize(1);
    }

    private static Path shadedJar() throws Exception {
        try (Stream<Path> files = Files.list(Path.of("target"))) {
            return files.filter(p -> p.getFileName().toString().matches("clickstream-etl-.*\\.jar"))
                    .findFirst()
                    .orElseThrow(() -> new IllegalStateException(
                            "no shaded jar in target/: run mvn verify (package runs before the ITCases)"));
        }
    }
}
