package io.clickstream.etl.kafka;

import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.clickstream.etl.event.DeadLetter;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.function.IntSupplier;
import org.apache.flink.connector.kafka.sink.KafkaRecordSerializationSchema;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.utils.Utils;

/**
 * A dead letter as a JSON object (docs/ingest.md, "Dead letters"), keyed like the input so it lands in the partition of
 * the same user. A payload that is not UTF-8 goes as payload_base64, so the exact bytes survive. A dead letter is
 * kept under {@link #MAX_BYTES}: escaping (up to 6 bytes per control character) or base64 can make a payload that
 * Kafka took in too large to send on, and a record the producer refuses would fail the job on every restart. Such a
 * payload is cut ({@code payload_truncated}, {@code payload_bytes}); the whole input stays at its source position.
 * The key counts too: a key above {@link #MAX_KEY_BYTES} is no user id, and sending it on would make the record too
 * large however short the payload. It is left out ({@code key_dropped}, {@code key_bytes}), and the record goes to
 * the partition the key would have chosen, so the dead letter still lands next to that input's user.
 */
public class DeadLetterSerializer implements KafkaRecordSerializationSchema<DeadLetter> {
    private static final long serialVersionUID = 1L;
    private static final JsonMapper MAPPER = new JsonMapper();
    /** Half of the producer's and the broker's default limits (1 MiB). */
    static final int MAX_BYTES = 512 * 1024;
    /** Far above any user id, far below {@link #MAX_BYTES}. */
    static final int MAX_KEY_BYTES = 16 * 1024;

    private final String topic;

    public DeadLetterSerializer(String topic) {
        this.topic = topic;
    }

    @Override
    public ProducerRecord<byte[], byte[]> serialize(DeadLetter d, KafkaSinkContext context, Long timestamp) {
        return record(topic, d, () -> context.getPartitionsForTopic(topic).length);
    }

    /**
     * The record for a dead letter, within {@link #MAX_BYTES} key and value together. {@code partitions} is asked
     * only when the key is left out.
     */
    public static ProducerRecord<byte[], byte[]> record(String topic, DeadLetter d, IntSupplier partitions) {
        if (!keyDropped(d)) {
            return new ProducerRecord<>(topic, null, time(d), d.key, toJson(d));
        }
        return record(topic, partition(d, partitions.getAsInt()), d);
    }

    /** The record for a dead letter, into the given partition. */
    public static ProducerRecord<byte[], byte[]> record(String topic, int partition, DeadLetter d) {
        return new ProducerRecord<>(topic, partition, time(d), keyDropped(d) ? null : d.key, toJson(d));
    }

    /**
     * Where the producer's default partitioner puts the input's key, so the dead letter lands next to that
     * input's user even when its key is left out; without a key, by source position.
     */
    public static int partition(DeadLetter d, int partitions) {
        byte[] by = d.key != null
                ? d.key
                : (d.topic + ":" + d.partition + ":" + d.offset).getBytes(java.nio.charset.StandardCharsets.UTF_8);
        return Utils.toPositive(Utils.murmur2(by)) % partitions;
    }

    private static Long time(DeadLetter d) {
        return d.timestamp > 0 ? d.timestamp : null;
    }

    private static boolean keyDropped(DeadLetter d) {
        return d.key != null && d.key.length > MAX_KEY_BYTES;
    }

    public static byte[] toJson(DeadLetter d) {
        boolean keyDropped = keyDropped(d);
        int budget = MAX_BYTES - (d.key == null || keyDropped ? 0 : d.key.length);
        ObjectNode n = MAPPER.createObjectNode();
        n.put("reason", d.reason);
        n.put("detail", d.detail);
        n.put("source_topic", d.topic);
        n.put("source_partition", d.partition);
        n.put("source_offset", d.offset);
        n.put("source_timestamp", d.timestamp);
        if (keyDropped) {
            n.put("key_dropped", true);
            n.put("key_bytes", d.key.length);
        }
        String text = utf8OrNull(d.payload);
        String field = text != null ? "payload" : "payload_base64";
        String value =
                text != null ? text : d.payload != null ? Base64.getEncoder().encodeToString(d.payload) : null;
        if (value != null) {
            n.put(field, value);
        }
        byte[] out = write(n);
        int keep = value == null ? 0 : value.length();
        while (out.length > budget && keep > 0) {
            // Shrink in proportion to the excess, a little more each round (escapes are not spread evenly).
            keep = (int) Math.min(keep - 1L, (long) keep * budget / out.length * 9 / 10);
            keep = text != null ? safeCut(value, keep) : keep - keep % 4; // whole characters / base64 quanta
            n.put(field, value.substring(0, keep));
            n.put("payload_truncated", true);
            n.put("payload_bytes", d.payload.length);
            out = write(n);
        }
        return out;
    }

    /** {@code keep}, one less if that would split a surrogate pair. */
    private static int safeCut(String s, int keep) {
        return keep > 0 && Character.isHighSurrogate(s.charAt(keep - 1)) ? keep - 1 : keep;
    }

    private static byte[] write(ObjectNode n) {
        try {
            return MAPPER.writeValueAsBytes(n);
        } catch (Exception e) {
            throw new IllegalStateException("cannot serialize dead letter", e);
        }
    }

    private static String utf8OrNull(byte[] bytes) {
        if (bytes == null) {
            return null;
        }
        try {
            return StandardCharsets.UTF_8
                    .newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes))
                    .toString();
        } catch (CharacterCodingException e) {
            return null;
        }
    }
}
