package io.clickstream.etl.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.clickstream.etl.backfill.HistoryImporter;
import io.clickstream.etl.testing.TestStack;
import io.clickstream.etl.tools.Backfill;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * History with records Kafka or JSON cannot take, imported on the real broker: a record larger than the backfill
 * topic takes becomes a dead letter (in the import's transaction: once, however often it runs) and the import goes
 * on; a malformed element of an array file and a line that is not UTF-8 go on as they are, for the job to dead-letter
 * with their reasons (invalid_utf8, not U+FFFD in their place).
 */
class BackfillBadRecordsITCase {
    @Test
    void aRecordTooLargeForTheTopicIsADeadLetterAndTheImportGoesOn(@TempDir Path dir) throws Exception {
        TestStack.requireRunning();
        String backfill = TestStack.unique("backfill");
        String dead = TestStack.unique("dead");
        TestStack.createTopics(1, dead);
        Path files = Files.createDirectories(dir.resolve("export"));
        long ts = System.currentTimeMillis() - 3_600_000L;
        String huge = "{\"event_id\":\"huge\",\"user_id\":\"u1\",\"event_type\":\"x\",\"ts\":" + ts + ",\"url\":\""
                + "x".repeat(1_200_000) + "\"}";
        byte[] notUtf8 = ("{\"event_id\":\"latin1\",\"user_id\":\"u2\",\"event_type\":\"x\",\"ts\":" + ts
                        + ",\"url\":\"caf\u00e9\"}")
                .getBytes(StandardCharsets.ISO_8859_1);
        try (OutputStream out = Files.newOutputStream(files.resolve("2025-a.ndjson"))) {
            out.write(line("e1", ts));
            out.write((huge + "\n").getBytes(StandardCharsets.UTF_8));
            out.write(notUtf8);
            out.write('\n');
            out.write(line("e2", ts));
        }
        Files.writeString(
                files.resolve("2025-b.json"),
                "[" + new String(line("e3", ts), StandardCharsets.UTF_8).strip()
                        + ",\n{\"event_id\":\"broken\",\"ts\": },\n"
                        + new String(line("e4", ts), StandardCharsets.UTF_8).strip() + "]");
        String[] args = {
            "--set", "kafka.bootstrap-servers=" + TestStack.kafkaBootstrap(),
            "--set", "backfill.topic=" + backfill,
            "--set", "kafka.dead-letter-topic=" + dead,
            "--set", "redis.key-prefix=" + TestStack.unique("none"),
            "--files", files.toString()
        };

        List<HistoryImporter.Result> first = Backfill.run(null, args);
        assertThat(first).extracting(HistoryImporter.Result::outcome).containsOnly(HistoryImporter.Outcome.IMPORTED);
        List<ConsumerRecord<byte[], byte[]>> imported = TestStack.consume(backfill, 6, Duration.ofSeconds(30));
        List<String> values = new ArrayList<>();
        imported.forEach(r -> values.add(new String(r.value(), StandardCharsets.ISO_8859_1)));
        assertThat(values).hasSize(6).anyMatch(v -> v.contains("\"broken\""));
        assertThat(imported)
                .extracting(ConsumerRecord::value)
                .as("the line that is not UTF-8 goes on with its own bytes")
                .anySatisfy(v -> assertThat(v).isEqualTo(notUtf8));
        List<ConsumerRecord<byte[], byte[]>> letters = TestStack.consume(dead, 1, Duration.ofSeconds(30));
        assertThat(letters).hasSize(1);
        String letter = new String(letters.get(0).value(), StandardCharsets.UTF_8);
        assertThat(letter)
                .contains("\"reason\":\"oversize\"")
                .contains("\"source_topic\":\"file:2025-a.ndjson\"")
                .contains("\"source_offset\":2");

        assertThat(Backfill.run(null, args))
                .extracting(HistoryImporter.Result::outcome)
                .containsOnly(HistoryImporter.Outcome.ALREADY_IMPORTED);
        Thread.sleep(1000);
        assertThat(TestStack.consume(dead, 2, Duration.ofSeconds(5)))
                .as("the dead letter once, however often the files are imported")
                .hasSize(1);
    }

    private static byte[] line(String id, long ts) {
        return ("{\"event_id\":\"" + id + "\",\"user_id\":\"u1\",\"event_type\":\"x\",\"ts\":" + ts + "}\n")
                .getBytes(StandardCharsets.UTF_8);
    }
}
