package io.clickstream.etl.funnel;

import io.clickstream.etl.config.JobConfig;
import io.clickstream.etl.config.Options;
import io.clickstream.etl.kafka.Topics;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * The funnel definitions topic: one record per version, keyed by funnel id, the definition's JSON as value, a
 * null value (tombstone) to remove a funnel. Compacted, so it holds the latest version of every funnel forever;
 * one partition, so offsets order all versions. Free of Flink classes: the command-line tools use it.
 */
public final class FunnelTopic {
    private FunnelTopic() {}

    static FunnelUpdate update(String key, byte[] value, long timestamp, long offset) {
        return new FunnelUpdate(
                key, timestamp, offset, value == null ? null : new String(value, StandardCharsets.UTF_8));
    }

    /** The topic as the per-user step reads it (see {@link FunnelDefinitions}). */
    public static FunnelDefinitions.Factory definitions(JobConfig config) {
        Map<String, String> props = config.kafkaClientProperties();
        String topic = config.get(Options.FUNNEL_TOPIC);
        return () -> new Reader(props, topic);
    }

    /** Reads the topic from its start to the end offsets of this moment (an empty list if it does not exist). */
    public static List<FunnelUpdate> readAll(JobConfig config) {
        try (FunnelDefinitions reader = definitions(config).open()) {
            return reader.readNew();
        } catch (Exception e) {
            throw new IllegalStateException("could not read the funnel definitions topic: " + e.getMessage(), e);
        }
    }

    /** A consumer assigned to the topic's partitions (no group), positioned after what it returned last. */
    static final class Reader implements FunnelDefinitions {
        private static final Duration TIMEOUT = Duration.ofSeconds(30);
        private final KafkaConsumer<byte[], byte[]> consumer;
        private final String topic;
        private List<TopicPartition> partitions;

        Reader(Map<String, String> kafka, String topic) {
            Properties p = new Properties();
            p.putAll(kafka);
            p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
            this.consumer = new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer());
            this.topic = topic;
        }

        @Override
        public List<FunnelUpdate> readNew() {
            List<FunnelUpdate> out = new ArrayList<>();
            if (partitions == null) {
                List<TopicPartition> parts = new ArrayList<>();
                try {
                    consumer.partitionsFor(topic, TIMEOUT)
                            .forEach(i -> parts.add(new TopicPartition(topic, i.partition())));
                } catch (org.apache.kafka.common.errors.UnknownTopicOrPartitionException missing) {
                    return out; // nothing published yet; asked again next time
                }
                if (parts.isEmpty()) {
                    return out;
                }
                consumer.assign(parts);
                consumer.seekToBeginning(parts);
                partitions = parts;
            }
            Map<TopicPartition, Long> end = consumer.endOffsets(partitions, TIMEOUT);
            long deadline = System.currentTimeMillis() + 60_000;
            while (partitions.stream().anyMatch(tp -> consumer.position(tp, TIMEOUT) < end.get(tp))) {
                if (System.currentTimeMillis() > deadline) {
                    throw new IllegalStateException(
                            "could not read funnel definitions topic " + topic + " to its end in 60 s");
                }
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                    // a record without a funnel id cannot be a definition
                    if (r.key() != null) {
                        out.add(update(
                                new String(r.key(), StandardCharsets.UTF_8), r.value(), r.timestamp(), r.offset()));
                    }
                }
            }
            return out;
        }

        @Override
        public void close() {
            consumer.close(Duration.ofSeconds(5));
        }
    }

    /** Creates the configured topic (compacted, one partition) if it is missing. */
    public static void ensure(JobConfig config) throws Exception {
        Properties p = new Properties();
        p.putAll(config.kafkaClientProperties());
        try (Admin admin = Admin.create(p)) {
            Topics.of(config).createCompacted(admin, config.get(Options.FUNNEL_TOPIC));
        }
    }

    /** Publishes a version (definition JSON) or a removal (null); returns the record's timestamp and offset. */
    public static RecordMetadata publish(Map<String, String> kafka, String topic, String funnelId, String definition)
            throws Exception {
        Properties p = new Properties();
        p.putAll(kafka);
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        try (KafkaProducer<String, String> producer =
                new KafkaProducer<>(p, new StringSerializer(), new StringSerializer())) {
            return producer.send(new ProducerRecord<>(topic, funnelId, definition))
                    .get(30, TimeUnit.SECONDS);
        }
    }
}
