package io.clickstream.collector;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One idempotent producer with {@code acks=all}: a request is answered 2xx only from the acknowledgements. Kafka
 * down or slow shows as a failed acknowledgement within {@code send-timeout} (the producer's delivery timeout), so
 * the request gets 503 and the client sends again. A check every few seconds asks the brokers for the topics: until
 * it succeeds the collector is not ready, answers 503 at once instead of queueing, and keeps the producer's metadata
 * warm, so that {@code send} never waits for it on an event-loop thread.
 */
public final class KafkaEventSink implements EventSink {
    private static final Logger LOG = LoggerFactory.getLogger(KafkaEventSink.class);
    private static final Duration CHECK_EVERY = Duration.ofSeconds(2);

    private final KafkaProducer<byte[], byte[]> producer;
    private final Admin admin;
    private final Set<String> topics;
    private final ScheduledExecutorService checker =
            Executors.newSingleThreadScheduledExecutor(r -> new Thread(r, "kafka-readiness"));
    private volatile boolean ready;
    private volatile String lastProblem = "not checked yet";

    public KafkaEventSink(CollectorSettings settings, Set<String> topics) {
        this.topics = Set.copyOf(topics);
        Map<String, Object> common = new HashMap<>(settings.kafkaProperties());
        common.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, settings.kafkaBootstrapServers());
        Map<String, Object> p = new HashMap<>(common);
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        p.putIfAbsent(ProducerConfig.LINGER_MS_CONFIG, 5);
        p.putIfAbsent(ProducerConfig.BATCH_SIZE_CONFIG, 128 * 1024);
        int timeout = (int) settings.sendTimeout().toMillis();
        p.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, timeout);
        p.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, Math.max(500, timeout / 2 - 10));
        // send() runs on an event loop: it must never wait for metadata or buffer space. The readiness check keeps the
        // metadata loaded, and the byte budget (max-in-flight-bytes) stays below half the buffer; should either still
        // be missing, send fails at once (503) instead of blocking.
        p.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, 0);
        p.putIfAbsent(ProducerConfig.BUFFER_MEMORY_CONFIG, 256L * 1024 * 1024);
        long buffer = Long.parseLong(String.valueOf(p.get(ProducerConfig.BUFFER_MEMORY_CONFIG)));
        if (settings.maxInFlightBytes() > buffer / 2) {
            throw new IllegalArgumentException("collector setting 'max-in-flight-bytes' (" + settings.maxInFlightBytes()
                    + ") must be at most half the producer's buffer.memory (" + buffer
                    + "): raise kafka.properties.buffer.memory or lower max-in-flight-bytes");
        }
        p.put(ProducerConfig.METADATA_MAX_IDLE_CONFIG, 24 * 3600 * 1000);
        this.producer = new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer());
        Map<String, Object> a = new HashMap<>(common);
        a.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 2000);
        a.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 2000);
        this.admin = Admin.create(a);
        checker.scheduleWithFixedDelay(this::check, 0, CHECK_EVERY.toMillis(), TimeUnit.MILLISECONDS);
    }

    private void check() {
        try {
            var described = admin.describeTopics(topics).allTopicNames().get(3, TimeUnit.SECONDS);
            for (String topic : described.keySet()) {
                producer.partitionsFor(topic);
            }
            if (!ready) {
                LOG.info("Kafka answers and has the topics {}: ready", topics);
            }
            ready = true;
        } catch (Exception e) {
            String problem = e.getCause() != null ? e.getCause().toString() : e.toString();
            if (ready || !problem.equals(lastProblem)) {
                LOG.warn("Kafka not usable, answering 503 until it is: {} (topics {})", problem, topics);
            }
            lastProblem = problem;
            ready = false;
        }
    }

    @Override
    public void send(String topic, byte[] key, byte[] value, Consumer<Exception> done) {
        try {
            producer.send(
                    new ProducerRecord<>(topic, null, null, key, value, List.of()),
                    (meta, error) -> done.accept(error));
        } catch (Exception e) {
            done.accept(e);
        }
    }

    @Override
    public boolean ready() {
        return ready;
    }

    /** Why it is not ready, for the readiness endpoint. */
    public String problem() {
        return ready ? "" : lastProblem;
    }

    @Override
    public void flush() {
        producer.flush();
    }

    @Override
    public void close() {
        checker.shutdownNow();
        producer.close(Duration.ofSeconds(2)); // the requests were answered: nothing waits in the buffer
        admin.close(Duration.ofSeconds(5));
    }
}
