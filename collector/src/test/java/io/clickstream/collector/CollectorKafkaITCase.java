package io.clickstream.collector;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.zip.GZIPOutputStream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The running collector, a real HTTP client and a real Kafka: what was acknowledged is in Kafka, once. */
class CollectorKafkaITCase {
    private final HttpClient http = HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5))
            .build();

    private static String stackKafka() {
        String b = System.getenv("CLICKSTREAM_KAFKA_BOOTSTRAP");
        if (b == null) {
            throw new IllegalStateException(
                    "CLICKSTREAM_KAFKA_BOOTSTRAP is not set: start the stack with scripts/stack.sh start "
                            + "and export `scripts/stack.sh env` (scripts/test.sh does both)");
        }
        return b;
    }

    @Test
    void everyAcknowledgedEventIsInKafkaOnceOnItsSourcesTopicKeyedByUser() throws Exception {
        String run = "it-collector-" + System.currentTimeMillis();
        String web = run + "-web";
        String app = run + "-app";
        createTopics(stackKafka(), web, app);
        CollectorSettings settings = settings(stackKafka(), web, app, "10s");
        Set<String> acknowledged = ConcurrentHashMap.newKeySet();
        try (Collector collector = Collector.start(settings, new KafkaEventSink(settings, Set.of(web, app)))) {
            awaitReady(collector);
            ExecutorService clients = Executors.newFixedThreadPool(8);
            List<Future<?>> done = new ArrayList<>();
            AtomicInteger ids = new AtomicInteger();
            for (int t = 0; t < 8; t++) {
                int thread = t;
                done.add(clients.submit(() -> {
                    for (int request = 0; request < 60; request++) {
                        int n = request % 3 == 0 ? 1 : 25;
                        List<String> batch = new ArrayList<>();
                        StringBuilder body = new StringBuilder();
                        for (int i = 0; i < n; i++) {
                            String id = "e" + ids.incrementAndGet();
                            batch.add(id);
                            body.append(event(id, "u" + (id.hashCode() % 40), i % 2 == 0 ? "web" : "app"))
                                    .append('\n');
                        }
                        boolean gzip = thread % 2 == 1;
                        HttpResponse<String> r = post(collector, body.toString(), gzip);
                        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
                        acknowledged.addAll(batch);
                    }
                    return null;
                }));
            }
            for (Future<?> f : done) {
                f.get();
            }
            clients.shutdown();
        }
        List<ConsumerRecord<String, String>> records = readAll(stackKafka(), web, app);
        Map<String, Integer> copies = new HashMap<>();
        Map<String, Set<Integer>> partitionsOfUser = new HashMap<>();
        for (ConsumerRecord<String, String> r : records) {
            JsonNode e = EventReader.MAPPER.readTree(r.value());
            copies.merge(e.get("event_id").asText(), 1, Integer::sum);
            assertThat(r.key()).isEqualTo(e.get("user_id").asText());
            assertThat(r.topic()).isEqualTo(e.get("source").asText().equals("web") ? web : app);
            assertThat(e.get("client_ip").asText()).isEqualTo("127.0.0.1");
            partitionsOfUser
                    .computeIfAbsent(r.topic() + "/" + r.key(), k -> new HashSet<>())
                    .add(r.partition());
        }
        assertThat(acknowledged).hasSize(8 * (20 * 1 + 40 * 25));
        assertThat(copies.keySet()).isEqualTo(acknowledged);
        assertThat(copies.values()).as("each acknowledged event once").containsOnly(1);
        assertThat(partitionsOfUser.values())
                .as("a user's events share a partition")
                .allSatisfy(p -> assertThat(p).hasSize(1));
    }

    @Test
    void kafkaStoppedGives503AndNothingAcknowledgedIsLost(@TempDir Path dir) throws Exception {
        try (PrivateKafka kafka = new PrivateKafka(dir)) {
            kafka.start();
            createTopics(kafka.bootstrap(), "web", "app");
            CollectorSettings settings = settings(kafka.bootstrap(), "web", "app", "3s");
            Set<String> acknowledged = ConcurrentHashMap.newKeySet();
            Set<String> refused = ConcurrentHashMap.newKeySet();
            AtomicInteger unavailable = new AtomicInteger();
            AtomicBoolean sending = new AtomicBoolean(true);
            try (Collector collector = Collector.start(settings, new KafkaEventSink(settings, Set.of("web", "app")))) {
                awaitReady(collector);
                ExecutorService clients = Executors.newFixedThreadPool(4);
                AtomicInteger ids = new AtomicInteger();
                List<Future<?>> done = new ArrayList<>();
                for (int t = 0; t < 4; t++) {
                    done.add(clients.submit(() -> {
                        while (sending.get()) {
                            List<String> batch = new ArrayList<>();
                            StringBuilder body = new StringBuilder("[");
                            for (int i = 0; i < 10; i++) {
                                String id = "k" + ids.incrementAndGet();
                                batch.add(id);
                                body.append(i == 0 ? "" : ",").append(event(id, "u" + (i % 7), "web"));
                            }
                            HttpResponse<String> r =
                                    post(collector, body.append(']').toString(), false);
                            if (r.statusCode() == 200) {
                                acknowledged.addAll(batch);
                            } else {
                                assertThat(r.statusCode()).as(r.body()).isEqualTo(503);
                                assertThat(r.headers().firstValue("Retry-After"))
                                        .isPresent();
                                unavailable.incrementAndGet();
                                refused.addAll(batch);
                                Thread.sleep(100);
                            }
                        }
                        return null;
                    }));
                }
                awaitCount(acknowledged, 500);
                kafka.stop();
                long stoppedAt = System.currentTimeMillis();
                while (unavailable.get() < 5) {
                    Thread.sleep(50);
                }
                assertThat(System.currentTimeMillis() - stoppedAt)
                        .as("503 within the send timeout and the check")
                        .isLessThan(20_000);
                // Readiness comes from the check every few seconds, which may see the broker gone after the first
                // failed acknowledgements did.
                long readyBy = System.currentTimeMillis() + 10_000;
                while (get(collector, "/ready").statusCode() != 503 && System.currentTimeMillis() < readyBy) {
                    Thread.sleep(100);
                }
                assertThat(get(collector, "/ready").statusCode()).isEqualTo(503);
                int acknowledgedWhileDown = acknowledged.size();
                Thread.sleep(2000);
                assertThat(acknowledged)
                        .as("nothing is acknowledged while Kafka is down")
                        .hasSize(acknowledgedWhileDown);
                kafka.start();
                awaitCount(acknowledged, acknowledgedWhileDown + 500);
                sending.set(false);
                for (Future<?> f : done) {
                    f.get();
                }
                clients.shutdown();
            }
            Map<String, Integer> copies = new HashMap<>();
            for (ConsumerRecord<String, String> r : readAll(kafka.bootstrap(), "web", "app")) {
                copies.merge(
                        EventReader.MAPPER.readTree(r.value()).get("event_id").asText(), 1, Integer::sum);
            }
            assertThat(unavailable.get()).isPositive();
            for (String id : acknowledged) {
                assertThat(copies.get(id)).as("acknowledged %s", id).isEqualTo(1);
            }
            // A refused request was answered 503: the client sends it again. Whatever of it did land is there once.
            assertThat(copies.keySet()).isSubsetOf(union(acknowledged, refused));
            assertThat(copies.values()).containsOnly(1);
        }
    }

    private static Set<String> union(Collection<String> a, Collection<String> b) {
        Set<String> s = new HashSet<>(a);
        s.addAll(b);
        return s;
    }

    private static CollectorSettings settings(String bootstrap, String web, String app, String sendTimeout) {
        return CollectorSettings.from(Map.of(
                "port",
                "0",
                "admin-port",
                "0",
                "host",
                "127.0.0.1",
                "kafka.bootstrap-servers",
                bootstrap,
                "routes",
                "web:" + web + ",app:" + app,
                "send-timeout",
                sendTimeout,
                "shutdown-timeout",
                "10s"));
    }

    private static String event(String id, String user, String source) {
        return "{\"event_id\":\"" + id + "\",\"user_id\":\"" + user + "\",\"event_type\":\"page_view\",\"ts\":"
                + System.currentTimeMillis() + ",\"source\":\"" + source + "\"}";
    }

    private HttpResponse<String> post(Collector c, String body, boolean gzip) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + c.port() + "/v1/events"))
                .timeout(Duration.ofSeconds(30));
        if (gzip) {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            try (GZIPOutputStream g = new GZIPOutputStream(out)) {
                g.write(body.getBytes(StandardCharsets.UTF_8));
            }
            b.header("Content-Encoding", "gzip").POST(HttpRequest.BodyPublishers.ofByteArray(out.toByteArray()));
        } else {
            b.POST(HttpRequest.BodyPublishers.ofString(body));
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private HttpResponse<String> get(Collector c, String path) throws Exception {
        return http.send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + c.port() + path))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private void awaitReady(Collector c) throws Exception {
        long deadline = System.currentTimeMillis() + 30_000;
        while (get(c, "/ready").statusCode() != 200) {
            assertThat(System.currentTimeMillis())
                    .as("collector ready within 30 s")
                    .isLessThan(deadline);
            Thread.sleep(100);
        }
    }

    private static void awaitCount(Set<String> set, int n) throws InterruptedException {
        long deadline = System.currentTimeMillis() + 90_000;
        while (set.size() < n) {
            assertThat(System.currentTimeMillis())
                    .as("%s acknowledged within 90 s", n)
                    .isLessThan(deadline);
            Thread.sleep(50);
        }
    }

    private static void createTopics(String bootstrap, String... topics) throws Exception {
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", bootstrap))) {
            List<NewTopic> t = new ArrayList<>();
            for (String name : topics) {
                t.add(new NewTopic(name, 4, (short) 1));
            }
            admin.createTopics(t).all().get();
        }
    }

    private static List<ConsumerRecord<String, String>> readAll(String bootstrap, String... topics) {
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        List<ConsumerRecord<String, String>> out = new ArrayList<>();
        try (KafkaConsumer<String, String> consumer =
                new KafkaConsumer<>(p, new StringDeserializer(), new StringDeserializer())) {
            List<TopicPartition> parts = new ArrayList<>();
            for (String topic : topics) {
                consumer.partitionsFor(topic).forEach(i -> parts.add(new TopicPartition(topic, i.partition())));
            }
            consumer.assign(parts);
            consumer.seekToBeginning(parts);
            Map<TopicPartition, Long> end = consumer.endOffsets(parts);
            while (parts.stream().anyMatch(tp -> consumer.position(tp) < end.get(tp))) {
                consumer.poll(Duration.ofMillis(500)).forEach(out::add);
            }
        }
        return out;
    }
}
