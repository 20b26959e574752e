package io.clickstream.etl.kafka;

import com.fasterxml.jackson.annotation.JsonAutoDetect;
import com.fasterxml.jackson.annotation.PropertyAccessor;
import com.fasterxml.jackson.databind.json.JsonMapper;
import io.clickstream.etl.clickhouse.RejectedRows;
import io.clickstream.etl.config.JobConfig;
import io.clickstream.etl.config.Options;
import io.clickstream.etl.event.DeadLetter;
import io.clickstream.etl.event.Event;
import io.clickstream.etl.event.RejectReason;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.ByteArraySerializer;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

/**
 * The sink's dead-letter path: rows ClickHouse refused go to the dead-letter topic like rejected inputs, with reason
 * {@code clickhouse_rejected}, the server's error, the source position of an event, and the row as JSON.
 */
public final class RejectedRowsToKafka<T> implements RejectedRows<T> {
    private static final JsonMapper JSON = JsonMapper.builder()
            .visibility(PropertyAccessor.FIELD, JsonAutoDetect.Visibility.PUBLIC_ONLY)
            .visibility(PropertyAccessor.GETTER, JsonAutoDetect.Visibility.NONE)
            .visibility(PropertyAccessor.IS_GETTER, JsonAutoDetect.Visibility.NONE).build();

    private final KafkaProducer<byte[], byte[]> producer;
    private final String topic;

    private RejectedRowsToKafka(Map<String, String> kafka, String topic) {
        Properties p = new Properties();
        p.putAll(kafka);
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        this.producer = new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer());
        this.topic = topic;
    }

    public static <T> RejectedRows.Factory<T> factory(JobConfig config) {
        Map<String, String> kafka = new java.util.HashMap<>(config.kafkaProperties());
        kafka.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, config.get(Options.KAFKA_BOOTSTRAP_SERVERS));
        String topic = config.get(Options.DEAD_LETTER_TOPIC);
        return () -> new RejectedRowsToKafka<>(kafka, topic);
    }

    static DeadLetter deadLetter(Object row, String table, String error) throws Exception {
        DeadLetter d = new DeadLetter();
        d.reason = RejectReason.CLICKHOUSE_REJECTED.code();
        d.detail = table + ": " + error;
        d.payload = JSON.writeValueAsBytes(row);
        d.topic = "";
        d.offset = -1;
        d.partition = -1;
        if (row instanceof Event) {
            Event e = (Event) row;
            d.topic = e.kafkaTopic;
            d.partition = e.kafkaPartition;
            d.offset = e.kafkaOffset;
            d.timestamp = e.kafkaTimestamp;
            d.key = e.userId == null ? null : e.userId.getBytes(StandardCharsets.UTF_8);
        }
        return d;
    }

    @Override
    public void reject(List<T> rows, String table, String error) throws Exception {
        List<Future<?>> sent = new ArrayList<>();
        for (T row : rows) {
            DeadLetter d = deadLetter(row, table, error);
            sent.add(producer.send(DeadLetterSerializer.record(topic, d, () -> producer.partitionsFor(topic).size())));
        }
        for (Future<?> f : sent) {
            f.get(60, TimeUnit.SECONDS);
        }
    }

    @Override
    public void close() {
        producer.close(java.time.Duration.ofSeconds(10));
    }
}
