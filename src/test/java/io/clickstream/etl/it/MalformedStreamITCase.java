package io.clickstream.etl.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;
import io.clickstream.etl.testing.MalformedInputs;
import io.clickstream.etl.testing.TestStack;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.flink.api.common.JobStatus;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Malformed input mixed into a running stream, round after round (broken JSON, wrong types, bad UTF-8, timestamps far
 * in the past and future, payloads near Kafka's 1 MiB limit): each ends in the dead-letter topic with its reason and
 * source position, the valid events around it are stored once, and the job never fails.
 */
class MalformedStreamITCase {
    @RegisterExtension
    static final MiniClusterExtension FLINK = new MiniClusterExtension(new MiniClusterResourceConfiguration.Builder()
            .setNumberTaskManagers(1)
            .setNumberSlotsPerTaskManager(2)
            .build());

    private static final JsonMapper JSON = new JsonMapper();
    private static final int ROUNDS = 4;
    private static final int VALID_PER_ROUND = 250;

    @Test
    void malformedEventsAmongValidOnesGoToTheDeadLetterTopicWhileTheJobRuns() throws Exception {
        TestStack.requireRunning();
        TestStack.Streaming setup = TestStack.streaming("malformed", Map.of());
        String dead = setup.config().get(io.clickstream.etl.config.Options.DEAD_LETTER_TOPIC);
        JobClient job = TestStack.jobWithoutRestarts(setup.config(), 1000).executeAsync("MalformedStreamITCase");
        String node = TestStack.clickHouseUrls().get(0);
        String count = "SELECT count() FROM " + setup.database() + ".events";
        long t0 = System.currentTimeMillis() - 600_000;
        Map<String, String> reasonAt = new HashMap<>();
        try {
            for (int round = 0; round < ROUNDS; round++) {
                List<ProducerRecord<byte[], byte[]>> valid =
                        TestStack.pageViews(setup.topic(), "v", "vu", 30, round * VALID_PER_ROUND, VALID_PER_ROUND, t0);
                List<MalformedInputs.Malformed> malformed =
                        MalformedInputs.all("bad" + round + "-", System.currentTimeMillis(), true);
                // Among the valid ones: half of them, the malformed inputs, the other half.
                int half = valid.size() / 2;
                List<ProducerRecord<byte[], byte[]>> records = new ArrayList<>(valid.subList(0, half));
                List<byte[]> keys = new ArrayList<>();
                for (int i = 0; i < malformed.size(); i++) {
                    keys.add(("bad" + i).getBytes(StandardCharsets.UTF_8));
                }
                if (round == 0) {
                    // A key no user id has, next to a payload that alone needs all of a dead letter's room: sent on
                    // together they would be more than the producer takes, on every restart.
                    byte[] control = new byte[400_000];
                    java.util.Arrays.fill(control, (byte) 1);
                    malformed = new ArrayList<>(malformed);
                    malformed.add(new MalformedInputs.Malformed(
                            control, "oversize", new String(control, StandardCharsets.UTF_8)));
                    keys.add("k".repeat(600_000).getBytes(StandardCharsets.UTF_8));
                }
                for (int i = 0; i < malformed.size(); i++) {
                    records.add(new ProducerRecord<>(
                            setup.topic(), keys.get(i), malformed.get(i).payload()));
                }
                records.addAll(valid.subList(half, valid.size()));
                List<RecordMetadata> positions = TestStack.produce(records);
                for (int i = 0; i < malformed.size(); i++) {
                    RecordMetadata m = positions.get(half + i);
                    reasonAt.put(
                            m.partition() + "@" + m.offset(), malformed.get(i).reason());
                }
                long expected = (long) (round + 1) * VALID_PER_ROUND;
                TestStack.await(
                        expected + " valid rows",
                        Duration.ofSeconds(90),
                        TestStack.unchecked(() -> TestStack.count(node, count) >= expected));
                assertThat(job.getJobStatus().get(10, TimeUnit.SECONDS))
                        .as("after round " + round)
                        .isEqualTo(JobStatus.RUNNING);
            }

            List<ConsumerRecord<byte[], byte[]>> letters =
                    TestStack.consume(dead, reasonAt.size(), Duration.ofSeconds(60));
            Map<String, String> got = new HashMap<>();
            for (ConsumerRecord<byte[], byte[]> r : letters) {
                JsonNode n = JSON.readTree(r.value());
                got.put(
                        n.get("source_partition").asInt() + "@"
                                + n.get("source_offset").asLong(),
                        n.get("reason").asText());
                int keyBytes = r.key() == null ? 0 : r.key().length;
                assertThat(keyBytes + r.value().length)
                        .as("a dead letter fits Kafka's default limits")
                        .isLessThan(1 << 20);
            }
            assertThat(letters).as("one dead letter per malformed input").hasSize(reasonAt.size());
            assertThat(got).isEqualTo(reasonAt);
            assertThat(TestStack.count(node, count))
                    .as("valid events, once each, without FINAL")
                    .isEqualTo(ROUNDS * VALID_PER_ROUND);
            assertThat(TestStack.count(node, "SELECT uniqExact(event_id) FROM " + setup.database() + ".events"))
                    .isEqualTo(ROUNDS * VALID_PER_ROUND);
            assertThat(job.getJobStatus().get(10, TimeUnit.SECONDS)).isEqualTo(JobStatus.RUNNING);
        } finally {
            job.cancel().get(60, TimeUnit.SECONDS);
        }
    }
}
