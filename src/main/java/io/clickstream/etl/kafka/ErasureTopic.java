package io.clickstream.etl.kafka;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.clickstream.etl.config.JobConfig;
import io.clickstream.etl.config.Options;
import io.clickstream.etl.privacy.ErasureLog;
import io.clickstream.etl.privacy.Erasures;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.AuthenticationException;
import org.apache.kafka.common.errors.AuthorizationException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The erasure list (privacy.erasure-topic): a compacted topic with one partition, keyed by the user id as stored,
 * valued {@code {"erased_at": ms, "days": [...]}} (the days the tool found the user active, so that a second run
 * still knows which aggregates to rebuild), a tombstone when an erasure is forgotten. Durable and replicated like
 * the events it guards against: a replay from the topics cannot bring an erased user back, even after Redis lost
 * its data.
 *
 * <p>The tasks follow it through one consumer per TaskManager ({@link #follower}), which reads it to its end every
 * privacy.erasure-check-interval; the tool publishes and reads it whole.
 */
public final class ErasureTopic {
    private static final Logger LOG = LoggerFactory.getLogger(ErasureTopic.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration TIMEOUT = Duration.ofSeconds(30);
    /** One follower per topic and Kafka settings in a JVM, shared by its tasks. */
    private static final Map<String, Follower> FOLLOWERS = new ConcurrentHashMap<>();

    private ErasureTopic() {}

    /** What a record says: the time the erasure covers up to, and the days the user was active. */
    public record Erasure(long erasedAt, List<LocalDate> days) {
        public Erasure {
            days = List.copyOf(new TreeSet<>(days));
        }

        byte[] toBytes() {
            ObjectNode n = JSON.createObjectNode();
            n.put("erased_at", erasedAt);
            days.forEach(d -> n.withArray("days").add(d.toString()));
            return n.toString().getBytes(StandardCharsets.UTF_8);
        }

        /** @throws IllegalArgumentException when the value is not what tools.Erase writes */
        static Erasure fromBytes(byte[] value) {
            try {
                JsonNode n = JSON.readTree(value);
                JsonNode at = n == null ? null : n.get("erased_at");
                if (at == null || !at.canConvertToLong()) {
                    throw new IllegalArgumentException("no erased_at time");
                }
                List<LocalDate> days = new ArrayList<>();
                if (n.has("days")) {
                    n.get("days").forEach(d -> days.add(LocalDate.parse(d.asText())));
                }
                return new Erasure(at.asLong(), days);
            } catch (IOException | RuntimeException e) {
                throw new IllegalArgumentException("not an erasure written by tools.Erase (" + e.getMessage() + ")");
            }
        }
    }

    /** Creates the topic (compacted, one partition) if it is missing. */
    public static void ensure(JobConfig config) throws Exception {
        try (Admin admin = Admin.create(properties(config.kafkaClientProperties()))) {
            Topics.of(config).createCompacted(admin, config.get(Options.PRIVACY_ERASURE_TOPIC));
        }
    }

    /** The list as the job's tasks follow it. */
    public static ErasureLog.Factory follower(JobConfig config) {
        Map<String, String> kafka = new TreeMap<>(config.kafkaClientProperties());
        String topic = config.get(Options.PRIVACY_ERASURE_TOPIC);
        long checkMs = config.get(Options.PRIVACY_ERASURE_CHECK).toMillis();
        return () -> open(kafka, topic, checkMs);
    }

    /**
     * Publishes erasures (null: forget the user's erasure) with acks from every in-sync replica; returns the list
     * position after the last one: the version the job's tasks must acknowledge.
     */
    public static long publish(JobConfig config, Map<String, Erasure> byUser) throws Exception {
        Properties p = properties(config.kafkaClientProperties());
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
        String topic = config.get(Options.PRIVACY_ERASURE_TOPIC);
        long next = 0;
        try (KafkaProducer<byte[], byte[]> producer =
                new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer())) {
            List<java.util.concurrent.Future<RecordMetadata>> sent = new ArrayList<>();
            byUser.forEach((user, e) -> sent.add(producer.send(new ProducerRecord<>(
                    topic, user.getBytes(StandardCharsets.UTF_8), e == null ? null : e.toBytes()))));
            for (var f : sent) {
                next = Math.max(
                        next, f.get(TIMEOUT.toSeconds(), TimeUnit.SECONDS).offset() + 1);
            }
        }
        return next;
    }

    /** The whole list as it stands (for the tool), by user; the position read up to under the key {@code null}. */
    public static Map<String, Erasure> readAll(JobConfig config) {
        Map<String, Erasure> out = new LinkedHashMap<>();
        try (KafkaConsumer<byte[], byte[]> consumer = consumer(config.kafkaClientProperties())) {
            String topic = config.get(Options.PRIVACY_ERASURE_TOPIC);
            List<TopicPartition> parts = partitions(consumer, topic);
            if (parts.isEmpty()) {
                return out;
            }
            consumer.assign(parts);
            consumer.seekToBeginning(parts);
            readToEnd(consumer, parts, r -> {
                String user = new String(r.key(), StandardCharsets.UTF_8);
                if (r.value() == null) {
                    out.remove(user);
                } else {
                    out.put(user, Erasure.fromBytes(r.value()));
                }
            });
        }
        return out;
    }

    private static ErasureLog open(Map<String, String> kafka, String topic, long checkMs) {
        String id = topic + "|" + kafka;
        Follower f = FOLLOWERS.compute(id, (k, existing) -> {
            Follower use = existing != null && existing.retain() ? existing : new Follower(k, kafka, topic, checkMs);
            return use;
        });
        return new ErasureLog() {
            private boolean closed;

            @Override
            public Erasures current() {
                return f.erasures;
            }

            @Override
            public long knownUpTo() {
                return f.knownUpTo();
            }

            @Override
            public synchronized void close() {
                if (!closed) {
                    closed = true;
                    f.release();
                }
            }
        };
    }

    private static Properties properties(Map<String, String> kafka) {
        Properties p = new Properties();
        p.putAll(kafka);
        return p;
    }

    private static KafkaConsumer<byte[], byte[]> consumer(Map<String, String> kafka) {
        Properties p = properties(kafka);
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        p.remove(ConsumerConfig.GROUP_ID_CONFIG);
        return new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer());
    }

    private static List<TopicPartition> partitions(KafkaConsumer<byte[], byte[]> consumer, String topic) {
        List<TopicPartition> parts = new ArrayList<>();
        try {
            consumer.partitionsFor(topic, TIMEOUT).forEach(i -> parts.add(new TopicPartition(topic, i.partition())));
        } catch (UnknownTopicOrPartitionException missing) {
            return parts;
        }
        return parts;
    }

    /** Reads from the consumer's positions up to the end offsets of the moment of the call. */
    private static void readToEnd(
            KafkaConsumer<byte[], byte[]> consumer,
            List<TopicPartition> parts,
            java.util.function.Consumer<ConsumerRecord<byte[], byte[]>> each) {
        Map<TopicPartition, Long> end = consumer.endOffsets(parts, TIMEOUT);
        while (parts.stream().anyMatch(tp -> consumer.position(tp, TIMEOUT) < end.get(tp))) {
            for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                if (r.key() != null) {
                    each.accept(r);
                }
            }
        }
    }

    /**
     * One consumer in a background thread, shared by a JVM's tasks: every check interval it asks for the end offsets
     * (time {@code t0}), reads up to them, and then knows every erasure published before {@code t0}.
     */
    private static final class Follower implements Runnable {
        private final String id;
        private final Map<String, String> kafka;
        private final String topic;
        private final long checkMs;
        private final Thread thread;
        private int users = 1;
        private volatile Erasures erasures = Erasures.NONE;
        private volatile long knownUpTo = Long.MIN_VALUE;
        private volatile String failure;
        private volatile boolean stopped;
        private volatile KafkaConsumer<byte[], byte[]> consumer;

        Follower(String id, Map<String, String> kafka, String topic, long checkMs) {
            this.id = id;
            this.kafka = kafka;
            this.topic = topic;
            this.checkMs = checkMs;
            this.thread = new Thread(this, "erasure-list " + topic);
            thread.setDaemon(true);
            thread.start();
        }

        /** One more task uses it; false if it was stopped meanwhile. */
        synchronized boolean retain() {
            if (stopped) {
                return false;
            }
            users++;
            return true;
        }

        void release() {
            synchronized (this) {
                if (--users > 0) {
                    return;
                }
                stopped = true;
            }
            FOLLOWERS.remove(id, this);
            if (consumer != null) {
                consumer.wakeup();
            }
        }

        long knownUpTo() {
            String f = failure;
            if (f != null) {
                throw new IllegalStateException(f);
            }
            return knownUpTo;
        }

        @Override
        public void run() {
            long warnedAt = 0;
            while (!stopped) {
                try {
                    if (consumer == null) {
                        consumer = consumer(kafka);
                    }
                    follow();
                } catch (WakeupException e) {
                    break;
                } catch (AuthenticationException | AuthorizationException e) {
                    failure =
                            "cannot read the erasure list, topic " + topic + " (" + Options.PRIVACY_ERASURE_TOPIC.key()
                                    + "): " + e.getMessage() + ". Give the job's Kafka login read access to it.";
                    break;
                } catch (IllegalArgumentException e) {
                    failure = e.getMessage();
                    break;
                } catch (KafkaException | IllegalStateException e) {
                    long now = System.currentTimeMillis();
                    if (now - warnedAt > 30_000) {
                        warnedAt = now;
                        LOG.warn("Reading the erasure list (topic {}) failed, trying again: {}", topic, e.toString());
                    }
                    closeConsumer();
                    sleep(1_000);
                }
            }
            closeConsumer();
        }

        private void follow() {
            List<TopicPartition> parts = partitions(consumer, topic);
            if (parts.isEmpty()) {
                throw new IllegalStateException("topic " + topic + " does not exist (the job creates it at start)");
            }
            consumer.assign(parts);
            consumer.seekToBeginning(parts);
            while (!stopped) {
                long t0 = System.currentTimeMillis();
                Erasures.Builder next = erasures.toBuilder();
                boolean[] changed = {false};
                readToEnd(consumer, parts, r -> {
                    String user = new String(r.key(), StandardCharsets.UTF_8);
                    Long at;
                    try {
                        at = r.value() == null
                                ? null
                                : Erasure.fromBytes(r.value()).erasedAt();
                    } catch (IllegalArgumentException e) {
                        // Never skipped: the user it names would come back. The message leaves the id out.
                        throw new IllegalArgumentException("record " + r.offset() + " of the erasure list, topic "
                                + topic + ", is " + e.getMessage() + ": publish the erasure again with tools.Erase "
                                + "(it supersedes the record), then restart the job");
                    }
                    next.record(r.offset(), user, at);
                    changed[0] = true;
                });
                if (changed[0]) {
                    erasures = next.build();
                }
                knownUpTo = t0;
                sleep(checkMs);
            }
        }

        private void sleep(long ms) {
            try {
                Thread.sleep(ms);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                stopped = true;
            }
        }

        private void closeConsumer() {
            if (consumer != null) {
                try {
                    consumer.close(Duration.ofSeconds(5));
                } catch (RuntimeException ignored) {
                    // closing after a failure
                }
                consumer = null;
            }
        }
    }
}
