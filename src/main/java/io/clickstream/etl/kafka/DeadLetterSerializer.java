package io.clickstream.etl.kafka;

import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.clickstream.etl.event.DeadLetter;
import org.apache.flink.connector.kafka.sink.KafkaRecordSerializationSchema;
import org.apache.kafka.clients.producer.ProducerRecord;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Base64;

/**
 * A dead letter as a JSON object (README, "Dead letters"), keyed like the input so it lands in the partition of
 * the same user. A payload that is not UTF-8 goes as payload_base64, so the exact bytes survive.
 */
public class DeadLetterSerializer implements KafkaRecordSerializationSchema<DeadLetter> {
    private static final long serialVersionUID = 1L;
    private static final JsonMapper MAPPER = new JsonMapper();

    private final String topic;

    public DeadLetterSerializer(String topic) {
        this.topic = topic;
    }

    @Override
    public ProducerRecord<byte[], byte[]> serialize(DeadLetter d, KafkaSinkContext context, Long timestamp) {
        return new ProducerRecord<>(topic, null, d.timestamp > 0 ? d.timestamp : null, d.key, toJson(d));
    }

    public static byte[] toJson(DeadLetter d) {
        ObjectNode n = MAPPER.createObjectNode();
        n.put("reason", d.reason);
        n.put("detail", d.detail);
        n.put("source_topic", d.topic);
        n.put("source_partition", d.partition);
        n.put("source_offset", d.offset);
        n.put("source_timestamp", d.timestamp);
        String text = utf8OrNull(d.payload);
        if (text != null) {
            n.put("payload", text);
        } else if (d.payload != null) {
            n.put("payload_base64", Base64.getEncoder().encodeToString(d.payload));
        }
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
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException e) {
            return null;
        }
    }
}
