package io.clickstream.etl.kafka;

import com.fasterxml.jackson.annotation.JsonAutoDetect;
import com.fasterxml.jackson.annotation.PropertyAccessor;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;
import io.clickstream.etl.clickhouse.RejectedRows;
import io.clickstream.etl.config.JobConfig;
import io.clickstream.etl.config.Options;
import io.clickstream.etl.deadletter.SendOnce;
import io.clickstream.etl.deadletter.TopicIds;
import io.clickstream.etl.event.DeadLetter;
import io.clickstream.etl.event.Event;
import io.clickstream.etl.event.RejectReason;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * The sink's dead-letter path: rows ClickHouse refused go to the dead-letter topic like rejected inputs, with reason
 * {@code clickhouse_rejected}, the server's error, the source position of an event, and the row as JSON. They are
 * found while the sink inserts, outside the job's Kafka transactions, so each is sent through {@link SendOnce}: a
 * restart or replay that makes ClickHouse refuse the same row again does not send its dead letter again.
 */
public final class RejectedRowsToKafka<T> implements RejectedRows<T> {
    private static final JsonMapper JSON = JsonMapper.builder()
            .visibility(PropertyAccessor.FIELD, JsonAutoDetect.Visibility.PUBLIC_ONLY)
            .visibility(PropertyAccessor.GETTER, JsonAutoDetect.Visibility.NONE)
            .visibility(PropertyAccessor.IS_GETTER, JsonAutoDetect.Visibility.NONE)
            .build();
    private static final JsonMapper READ = new JsonMapper();

    private final KafkaProducer<byte[], byte[]> producer;
    private final Properties consumerProperties;
    private final String topic;
    private final SendOnce.Ledger ledger;
    private final TopicIds topicIds;
    private final SendOnce once;
    private KafkaConsumer<byte[], byte[]> consumer;

    RejectedRowsToKafka(Map<String, String> kafka, String topic, SendOnce.Ledger ledger, TopicIds topicIds) {
        Properties p = new Properties();
        p.putAll(kafka);
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        this.producer = new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer());
        this.consumerProperties = new Properties();
        consumerProperties.putAll(kafka);
        // Non-transactional records are readable at once; nothing is committed by this reader.
        consumerProperties.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_uncommitted");
        consumerProperties.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        this.topic = topic;
        this.ledger = ledger;
        this.topicIds = topicIds;
        this.once = new SendOnce(ledger, new DeadLetterTopic(), topicIds);
    }

    public static <T> RejectedRows.Factory<T> factory(JobConfig config, SendOnce.Ledger.Factory ledger) {
        Map<String, String> kafka = config.kafkaClientProperties();
        String topic = config.get(Options.DEAD_LETTER_TOPIC);
        TopicIds.Factory ids = KafkaTopicIds.factory(config);
        return () -> new RejectedRowsToKafka<>(kafka, topic, ledger.open(), ids.open());
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
        for (T row : rows) {
            once.send(deadLetter(row, table, error), table);
        }
    }

    @Override
    public void close() {
        try {
            producer.close(Duration.ofSeconds(10));
            if (consumer != null) {
                consumer.close(Duration.ofSeconds(10));
            }
        } finally {
            try {
                ledger.close();
            } finally {
                topicIds.close();
            }
        }
    }

    /** The dead-letter topic, as {@link SendOnce} needs it. */
    private final class DeadLetterTopic implements SendOnce.Topic {
        @Override
        public int partitionOf(DeadLetter d) {
            return DeadLetterSerializer.partition(
                    d, producer.partitionsFor(topic).size());
        }

        @Override
        public long end(int partition) {
            TopicPartition tp = new TopicPartition(topic, partition);
            return reader().endOffsets(List.of(tp), Duration.ofSeconds(60)).get(tp);
        }

        @Override
        public boolean holds(int partition, long from, DeadLetter d, String detailPrefix) throws Exception {
            TopicPartition tp = new TopicPartition(topic, partition);
            KafkaConsumer<byte[], byte[]> c = reader();
            long end = c.endOffsets(List.of(tp), Duration.ofSeconds(60)).get(tp);
            c.assign(List.of(tp));
            c.seek(tp, from);
            long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(5);
            while (c.position(tp) < end) {
                if (System.nanoTime() > deadline) {
                    throw new java.io.IOException(
                            "could not read " + tp + " from " + from + " to " + end + " in 5 min");
                }
                for (ConsumerRecord<byte[], byte[]> r : c.poll(Duration.ofMillis(500))) {
                    if (sameInput(r.value(), d, detailPrefix)) {
                        return true;
                    }
                }
            }
            return false;
        }

        @Override
        public void send(int partition, DeadLetter d) throws Exception {
            producer.send(DeadLetterSerializer.record(topic, partition, d)).get(60, TimeUnit.SECONDS);
        }

        private KafkaConsumer<byte[], byte[]> reader() {
            if (consumer == null) {
                consumer = new KafkaConsumer<>(
                        consumerProperties, new ByteArrayDeserializer(), new ByteArrayDeserializer());
            }
            return consumer;
        }
    }

    private static boolean sameInput(byte[] value, DeadLetter d, String detailPrefix) {
        try {
            JsonNode n = READ.readTree(value);
            return d.reason.equals(n.path("reason").asText())
                    && n.path("detail").asText().startsWith(detailPrefix)
                    && d.topic.equals(n.path("source_topic").asText())
                    && d.partition == n.path("source_partition").asInt()
                    && d.offset == n.path("source_offset").asLong(-1);
        } catch (Exception e) {
            return false; // not a dead letter this job wrote
        }
    }
}
