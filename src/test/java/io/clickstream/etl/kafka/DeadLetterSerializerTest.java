package io.clickstream.etl.kafka;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;
import io.clickstream.etl.event.DeadLetter;
import io.clickstream.etl.event.RawEvent;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.internals.BuiltInPartitioner;
import org.junit.jupiter.api.Test;

class DeadLetterSerializerTest {
    private static final JsonMapper JSON = new JsonMapper();

    @Test
    void textPayloadIsKeptAsTextWithReasonAndPosition() throws Exception {
        DeadLetter d = DeadLetter.of(
                new RawEvent(
                        "t",
                        3,
                        99,
                        1234L,
                        "u1".getBytes(StandardCharsets.UTF_8),
                        "{bad".getBytes(StandardCharsets.UTF_8)),
                "malformed_json",
                "not valid JSON");

        ProducerRecord<byte[], byte[]> record = new DeadLetterSerializer("dlq").serialize(d, null, null);
        JsonNode n = JSON.readTree(record.value());

        assertThat(record.topic()).isEqualTo("dlq");
        assertThat(new String(record.key(), StandardCharsets.UTF_8)).isEqualTo("u1");
        assertThat(record.timestamp()).isEqualTo(1234L);
        assertThat(n.get("reason").asText()).isEqualTo("malformed_json");
        assertThat(n.get("detail").asText()).isEqualTo("not valid JSON");
        assertThat(n.get("source_topic").asText()).isEqualTo("t");
        assertThat(n.get("source_partition").asInt()).isEqualTo(3);
        assertThat(n.get("source_offset").asLong()).isEqualTo(99);
        assertThat(n.get("payload").asText()).isEqualTo("{bad");
        assertThat(n.has("payload_base64")).isFalse();
    }

    @Test
    void binaryPayloadIsKeptExactlyAsBase64() throws Exception {
        byte[] bytes = {(byte) 0xFF, 0x00, (byte) 0xC3, 0x28};
        DeadLetter d = DeadLetter.of(new RawEvent("t", 0, 1, -1, null, bytes), "invalid_utf8", "x");

        ProducerRecord<byte[], byte[]> record = new DeadLetterSerializer("dlq").serialize(d, null, null);
        JsonNode n = JSON.readTree(record.value());

        assertThat(Base64.getDecoder().decode(n.get("payload_base64").asText())).isEqualTo(bytes);
        assertThat(n.has("payload")).isFalse();
        assertThat(record.timestamp()).isNull();
    }

    @Test
    void aHugePayloadIsCutToFitTheProducerAndSaysSo() throws Exception {
        // Control characters: 6 bytes each once escaped; bad UTF-8: a third larger as base64.
        byte[] control = new byte[900_000];
        java.util.Arrays.fill(control, (byte) 1);
        byte[] binary = new byte[900_000];
        java.util.Arrays.fill(binary, (byte) 0xFF);
        String emoji = "\uD83D\uDE00".repeat(400_000); // surrogate pairs: a cut must not split one
        for (byte[] payload : java.util.List.of(control, binary, emoji.getBytes(StandardCharsets.UTF_8))) {
            DeadLetter d = DeadLetter.of(new RawEvent("t", 0, 1, 5L, null, payload), "oversize", "too large");

            byte[] json = DeadLetterSerializer.toJson(d);
            JsonNode n = JSON.readTree(json);

            assertThat(json.length).isLessThanOrEqualTo(DeadLetterSerializer.MAX_BYTES);
            assertThat(n.get("payload_truncated").asBoolean()).isTrue();
            assertThat(n.get("payload_bytes").asInt()).isEqualTo(payload.length);
            assertThat(n.get("reason").asText()).isEqualTo("oversize");
            if (n.has("payload")) {
                String kept = n.get("payload").asText();
                assertThat(kept).isNotEmpty();
                assertThat(new String(payload, StandardCharsets.UTF_8)).startsWith(kept);
                assertThat(Character.isHighSurrogate(kept.charAt(kept.length() - 1)))
                        .isFalse();
            } else {
                byte[] kept = Base64.getDecoder().decode(n.get("payload_base64").asText());
                assertThat(kept).isNotEmpty();
                assertThat(java.util.Arrays.copyOf(payload, kept.length)).isEqualTo(kept);
            }
        }
    }

    @Test
    void aKeyThatIsNoUserIdIsLeftOutAndTheLetterGoesToThePartitionTheKeyWouldHaveChosen() throws Exception {
        byte[] key = "k".repeat(600_000).getBytes(StandardCharsets.UTF_8);
        byte[] payload = new byte[400_000];
        java.util.Arrays.fill(payload, (byte) 1); // 2.4 MB once escaped: cut to the room left
        DeadLetter d = DeadLetter.of(new RawEvent("t", 2, 7, 5L, key, payload), "oversize", "too large");

        ProducerRecord<byte[], byte[]> record = DeadLetterSerializer.record("dlq", d, () -> 12);
        JsonNode n = JSON.readTree(record.value());

        assertThat(record.key()).isNull();
        assertThat(record.partition()).isEqualTo(BuiltInPartitioner.partitionForKey(key, 12));
        assertThat(record.value().length).isLessThanOrEqualTo(DeadLetterSerializer.MAX_BYTES);
        assertThat(n.get("key_dropped").asBoolean()).isTrue();
        assertThat(n.get("key_bytes").asInt()).isEqualTo(600_000);
        assertThat(n.get("payload_truncated").asBoolean()).isTrue();
        assertThat(n.get("source_offset").asLong()).isEqualTo(7);
    }

    @Test
    void aKeptKeyLeavesThePayloadOnlyTheRestOfTheRoom() throws Exception {
        byte[] key = "u".repeat(DeadLetterSerializer.MAX_KEY_BYTES).getBytes(StandardCharsets.UTF_8);
        byte[] payload = "x".repeat(DeadLetterSerializer.MAX_BYTES).getBytes(StandardCharsets.UTF_8);
        DeadLetter d = DeadLetter.of(new RawEvent("t", 0, 1, 5L, key, payload), "oversize", "too large");

        ProducerRecord<byte[], byte[]> record = DeadLetterSerializer.record("dlq", d, () -> {
            throw new AssertionError("the partition is the producer's to choose");
        });

        assertThat(record.key()).isEqualTo(key);
        assertThat(record.partition()).isNull();
        assertThat(record.key().length + record.value().length).isLessThanOrEqualTo(DeadLetterSerializer.MAX_BYTES);
        assertThat(JSON.readTree(record.value()).get("payload_truncated").asBoolean())
                .isTrue();
    }

    @Test
    void aPayloadThatFitsIsNotMarkedTruncated() throws Exception {
        byte[] payload = "x".repeat(100_000).getBytes(StandardCharsets.UTF_8);
        JsonNode n = JSON.readTree(DeadLetterSerializer.toJson(
                DeadLetter.of(new RawEvent("t", 0, 1, 5L, null, payload), "oversize", "too large")));

        assertThat(n.get("payload").asText()).hasSize(100_000);
        assertThat(n.has("payload_truncated")).isFalse();
    }
}
