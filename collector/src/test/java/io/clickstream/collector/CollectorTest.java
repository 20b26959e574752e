package io.clickstream.collector;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The collector over real HTTP (JDK client), with a fake Kafka behind {@link EventSink}. */
class CollectorTest {
    private final HttpClient http =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private final FakeSink sink = new FakeSink();
    private Collector collector;

    private Collector start(Map<String, String> extra) throws Exception {
        Map<String, String> s = new HashMap<>(Map.of(
                "port",
                "0",
                "admin-port",
                "0",
                "host",
                "127.0.0.1",
                "event-loops",
                "2",
                "max-body-bytes",
                "4096",
                "max-event-bytes",
                "1024"));
        s.putAll(extra);
        collector = Collector.start(CollectorSettings.from(s), sink);
        return collector;
    }

    @AfterEach
    void stop() {
        if (collector != null) {
            collector.close();
        }
    }

    private URI uri(String path) {
        return URI.create("http://127.0.0.1:" + collector.port() + path);
    }

    private URI admin(String path) {
        return URI.create("http://127.0.0.1:" + collector.adminPort() + path);
    }

    private HttpResponse<String> get(URI uri) throws Exception {
        return http.send(HttpRequest.newBuilder(uri).build(), HttpResponse.BodyHandlers.ofString());
    }

    private HttpResponse<String> post(String path, String body, String... headers) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(uri(path)).POST(HttpRequest.BodyPublishers.ofString(body));
        if (headers.length > 0) {
            b.headers(headers);
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    /** Posts {@code body} with Kafka holding its acknowledgements; returns once the {@code events} are sent. */
    private CompletableFuture<HttpResponse<String>> postHeldByKafka(String body, int events)
            throws InterruptedException {
        sink.hold = true;
        CompletableFuture<HttpResponse<String>> pending = http.sendAsync(
                HttpRequest.newBuilder(uri("/v1/events"))
                        .POST(HttpRequest.BodyPublishers.ofString(body))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        while (sink.heldCount() < events) {
            Thread.sleep(10);
        }
        return pending;
    }

    private static JsonNode json(String s) throws Exception {
        return EventReader.MAPPER.readTree(s);
    }

    @Test
    void writesEachEventToItsSourcesTopicKeyedByUserWithServerFields() throws Exception {
        start(Map.of());
        HttpResponse<String> r = post(
                "/v1/events",
                "[{\"user_id\":\"u1\",\"source\":\"web\",\"event_id\":\"e1\",\"received_at\":1},"
                        + "{\"user_id\":42,\"source\":\"app\",\"event_id\":\"e2\",\"client_ip\":\"6.6.6.6\"}]");
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(json(r.body()).get("accepted").asInt()).isEqualTo(2);
        assertThat(sink.sent).extracting(FakeSink.Sent::topic).containsExactly("clickstream-web", "clickstream-app");
        assertThat(sink.sent).extracting(FakeSink.Sent::key).containsExactly("u1", "42");
        for (FakeSink.Sent s : sink.sent) {
            JsonNode e = json(s.value());
            assertThat(e.get("client_ip").asText()).isEqualTo("127.0.0.1");
            assertThat(e.get("received_at").asLong())
                    .isBetween(System.currentTimeMillis() - 60_000, System.currentTimeMillis());
        }
    }

    @Test
    void theRequestsSourceParameterFillsEventsWithoutOne() throws Exception {
        start(Map.of());
        assertThat(post("/v1/events?source=backend", "{\"user_id\":\"u1\"}\n{\"user_id\":\"u2\",\"source\":\"web\"}")
                        .statusCode())
                .isEqualTo(200);
        assertThat(sink.sent)
                .extracting(FakeSink.Sent::topic)
                .containsExactly("clickstream-backend", "clickstream-web");
        assertThat(json(sink.sent.get(0).value()).get("source").asText()).isEqualTo("backend");
    }

    @Test
    void unknownSourcesAreRefusedUnlessADefaultTopicIsSet() throws Exception {
        start(Map.of());
        HttpResponse<String> r =
                post("/v1/events", "[{\"user_id\":\"u1\",\"source\":\"web\"},{\"user_id\":\"u2\",\"source\":\"tv\"}]");
        assertThat(r.statusCode()).isEqualTo(400);
        assertThat(json(r.body()).get("error").asText()).isEqualTo("unknown_source");
        assertThat(json(r.body()).get("index").asInt()).isEqualTo(1);
        assertThat(sink.sent).as("a refused request writes nothing").isEmpty();
        collector.close();
        start(Map.of("default-topic", "clickstream-other"));
        assertThat(post("/v1/events", "{\"user_id\":\"u2\",\"source\":\"tv\"}").statusCode())
                .isEqualTo(200);
        assertThat(sink.sent).extracting(FakeSink.Sent::topic).containsExactly("clickstream-other");
    }

    @Test
    void answersOnlyAfterKafkaAcknowledged() throws Exception {
        start(Map.of());
        CompletableFuture<HttpResponse<String>> pending = postHeldByKafka("{\"user_id\":\"u1\",\"source\":\"web\"}", 1);
        Thread.sleep(300);
        assertThat(pending).as("no answer before the acknowledgement").isNotDone();
        sink.release();
        assertThat(pending.get().statusCode()).isEqualTo(200);
    }

    @Test
    void kafkaFailuresAnswer503WithRetryAfter() throws Exception {
        start(Map.of("retry-after", "3s"));
        sink.failWith = new org.apache.kafka.common.errors.TimeoutException("Expiring 1 record(s)");
        HttpResponse<String> r =
                post("/v1/events", "[{\"user_id\":\"u1\",\"source\":\"web\"},{\"user_id\":\"u2\",\"source\":\"web\"}]");
        assertThat(r.statusCode()).isEqualTo(503);
        assertThat(r.headers().firstValue("Retry-After")).contains("3");
        assertThat(json(r.body()).get("error").asText()).isEqualTo("kafka_unavailable");
        assertThat(json(r.body()).get("failed").asInt()).isEqualTo(2);
        assertThat(json(r.body()).get("failed_indexes").toString()).isEqualTo("[0,1]");

        sink.failWith = null;
        sink.ready = false;
        sink.sent.clear();
        r = post("/v1/events", "{\"user_id\":\"u1\",\"source\":\"web\"}");
        assertThat(r.statusCode()).isEqualTo(503);
        assertThat(sink.sent).as("not ready: not even tried").isEmpty();
        HttpResponse<String> ready = get(uri("/ready"));
        assertThat(ready.statusCode()).isEqualTo(503);
        assertThat(ready.body()).as("no internal detail on the public port").isEqualTo("not ready\n");
        assertThat(get(admin("/ready")).body()).startsWith("Kafka not usable");
        assertThat(http.send(HttpRequest.newBuilder(uri("/health")).build(), HttpResponse.BodyHandlers.ofString())
                        .statusCode())
                .isEqualTo(200);
    }

    @Test
    void tooManyEventsInFlightAnswer503() throws Exception {
        start(Map.of("max-in-flight-events", "3", "max-events-per-request", "2"));
        CompletableFuture<HttpResponse<String>> first =
                postHeldByKafka("{\"user_id\":\"u1\",\"source\":\"web\"}{\"user_id\":\"u2\",\"source\":\"web\"}", 2);
        HttpResponse<String> second =
                post("/v1/events", "{\"user_id\":\"u3\",\"source\":\"web\"}{\"user_id\":\"u4\",\"source\":\"web\"}");
        assertThat(second.statusCode()).isEqualTo(503);
        assertThat(json(second.body()).get("error").asText()).isEqualTo("overloaded");
        sink.release();
        assertThat(first.get().statusCode()).isEqualTo(200);
    }

    @Test
    void cheapChecksAnswer400AndLimitsHold() throws Exception {
        start(Map.of("max-events-per-request", "2"));
        assertThat(json(post("/v1/events", "{\"user_id\":").body()).get("error").asText())
                .isEqualTo("malformed_json");
        assertThat(json(post("/v1/events", "{\"event_id\":\"e\",\"source\":\"web\"}")
                                .body())
                        .get("error")
                        .asText())
                .isEqualTo("missing_user_id");
        assertThat(json(post("/v1/events", "{\"user_id\":1,\"source\":\"web\"}{\"user_id\":2}{\"user_id\":3}")
                                .body())
                        .get("error")
                        .asText())
                .isEqualTo("too_many_events");
        String big = "{\"user_id\":\"u\",\"source\":\"web\",\"url\":\"" + "x".repeat(2000) + "\"}";
        HttpResponse<String> r = post("/v1/events", big);
        assertThat(r.statusCode()).isEqualTo(400);
        assertThat(json(r.body()).get("error").asText()).isEqualTo("event_too_large");
        r = post("/v1/events", "[" + (big + ",").repeat(3) + big + "]");
        assertThat(r.statusCode()).isEqualTo(413);
        assertThat(json(r.body()).get("error").asText()).isEqualTo("body_too_large");
        assertThat(sink.sent).isEmpty();
    }

    @Test
    void acceptsGzipBodiesAndLimitsThemAfterDecompression() throws Exception {
        start(Map.of());
        String ndjson = "{\"user_id\":\"u1\",\"source\":\"web\"}\n{\"user_id\":\"u2\",\"source\":\"web\"}\n";
        HttpResponse<String> r = http.send(
                HttpRequest.newBuilder(uri("/v1/events"))
                        .header("Content-Encoding", "gzip")
                        .header("Content-Type", "application/x-ndjson")
                        .POST(HttpRequest.BodyPublishers.ofByteArray(gzip(ndjson)))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        assertThat(sink.sent).extracting(FakeSink.Sent::key).containsExactly("u1", "u2");
        // 100 KB of spaces compress to a few hundred bytes: the limit counts what they expand to.
        String bomb = "{\"user_id\":\"u1\",\"source\":\"web\"}" + " ".repeat(100_000);
        r = http.send(
                HttpRequest.newBuilder(uri("/v1/events"))
                        .header("Content-Encoding", "gzip")
                        .POST(HttpRequest.BodyPublishers.ofByteArray(gzip(bomb)))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).isEqualTo(413);
    }

    @Test
    void thePixelTakesItsEventFromTheQueryAndWhatTheBrowserSends() throws Exception {
        start(Map.of());
        String q = "user_id=u9&event_id=e9&source=web&p.campaign="
                + URLEncoder.encode("black friday", StandardCharsets.UTF_8);
        HttpResponse<byte[]> r = http.send(
                HttpRequest.newBuilder(uri("/v1/pixel.gif?" + q))
                        .header("Referer", "https://shop.example.com/p/1")
                        .header("User-Agent", "Mozilla/5.0 test")
                        .build(),
                HttpResponse.BodyHandlers.ofByteArray());
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.headers().firstValue("Content-Type")).contains("image/gif");
        assertThat(r.body()).isEqualTo(Collector.PIXEL);
        JsonNode e = json(sink.sent.get(0).value());
        assertThat(e.get("event_type").asText()).isEqualTo("page_view");
        assertThat(e.get("url").asText()).isEqualTo("https://shop.example.com/p/1");
        assertThat(e.get("user_agent").asText()).isEqualTo("Mozilla/5.0 test");
        assertThat(e.get("properties").get("campaign").asText()).isEqualTo("black friday");
        assertThat(e.get("ts").asLong()).isPositive();
        // Refused (no user id), or Kafka down: a browser still gets the image; the refusal is counted.
        HttpResponse<byte[]> refused = http.send(
                HttpRequest.newBuilder(uri("/v1/pixel.gif?event_id=x&source=web"))
                        .build(),
                HttpResponse.BodyHandlers.ofByteArray());
        assertThat(refused.statusCode()).isEqualTo(200);
        assertThat(refused.body()).isEqualTo(Collector.PIXEL);
        sink.ready = false;
        HttpResponse<byte[]> down = http.send(
                HttpRequest.newBuilder(uri("/v1/pixel.gif?user_id=u1&source=web"))
                        .build(),
                HttpResponse.BodyHandlers.ofByteArray());
        assertThat(down.headers().firstValue("Content-Type")).contains("image/gif");
        assertThat(get(admin("/metrics")).body())
                .contains("collector_events_refused_total{reason=\"missing_user_id\"} 1.0")
                .contains("collector_events_refused_total{reason=\"kafka_unavailable\"} 1.0");
    }

    @Test
    void corsAllowsOnlyConfiguredOrigins() throws Exception {
        start(Map.of("cors-origins", "https://shop.example.com"));
        HttpResponse<String> ok = http.send(
                HttpRequest.newBuilder(uri("/v1/events"))
                        .method("OPTIONS", HttpRequest.BodyPublishers.noBody())
                        .header("Origin", "https://shop.example.com")
                        .header("Access-Control-Request-Method", "POST")
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(ok.headers().firstValue("Access-Control-Allow-Origin")).contains("https://shop.example.com");
        HttpResponse<String> other = http.send(
                HttpRequest.newBuilder(uri("/v1/events"))
                        .method("OPTIONS", HttpRequest.BodyPublishers.noBody())
                        .header("Origin", "https://evil.example.com")
                        .header("Access-Control-Request-Method", "POST")
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(other.headers().firstValue("Access-Control-Allow-Origin")).isEmpty();
        assertThat(other.statusCode()).isEqualTo(403);
    }

    @Test
    void forwardedForCountsOnlyFromTrustedProxies() throws Exception {
        start(Map.of());
        post("/v1/events", "{\"user_id\":\"u1\",\"source\":\"web\"}", "X-Forwarded-For", "81.2.69.142");
        assertThat(json(sink.sent.get(0).value()).get("client_ip").asText()).isEqualTo("127.0.0.1");
        collector.close();
        sink.sent.clear();
        start(Map.of("trusted-proxies", "127.0.0.1"));
        post("/v1/events", "{\"user_id\":\"u1\",\"source\":\"web\"}", "X-Forwarded-For", "6.6.6.6, 81.2.69.142");
        assertThat(json(sink.sent.get(0).value()).get("client_ip").asText()).isEqualTo("81.2.69.142");
        sink.sent.clear();
        // A second header line (a proxy adding its own rather than appending), with a port.
        post(
                "/v1/events",
                "{\"user_id\":\"u1\",\"source\":\"web\"}",
                "X-Forwarded-For",
                "6.6.6.6",
                "X-Forwarded-For",
                "81.2.69.142:40111");
        assertThat(json(sink.sent.get(0).value()).get("client_ip").asText()).isEqualTo("81.2.69.142");
    }

    @Test
    void anIpInTheBodyIsRemovedUnlessTheOperatorTrustsIt() throws Exception {
        start(Map.of());
        post("/v1/events", "{\"user_id\":\"u1\",\"source\":\"web\",\"ip\":\"6.6.6.6\"}");
        assertThat(json(sink.sent.get(0).value()).has("ip")).isFalse();
        collector.close();
        sink.sent.clear();
        start(Map.of("trust-body-ip", "true"));
        post("/v1/events", "{\"user_id\":\"u1\",\"source\":\"web\",\"ip\":\"81.2.69.142\"}");
        assertThat(json(sink.sent.get(0).value()).get("ip").asText()).isEqualTo("81.2.69.142");
    }

    @Test
    void anEmptyArrayIsAnsweredAtOnce() throws Exception {
        start(Map.of());
        HttpResponse<String> r = http.send(
                HttpRequest.newBuilder(uri("/v1/events"))
                        .timeout(Duration.ofSeconds(2))
                        .POST(HttpRequest.BodyPublishers.ofString("[]"))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(json(r.body()).get("accepted").asInt()).isZero();
    }

    @Test
    void aBodyThatDoesNotArriveInTimeIsAnswered408AndItsConnectionClosed() throws Exception {
        start(Map.of("body-read-timeout", "300ms"));
        try (java.net.Socket socket = new java.net.Socket("127.0.0.1", collector.port())) {
            socket.setSoTimeout(5000);
            var out = socket.getOutputStream();
            out.write(("POST /v1/events HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n{\"user_id\"")
                    .getBytes(StandardCharsets.US_ASCII));
            out.flush();
            String answer = new String(socket.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);
            assertThat(answer).startsWith("HTTP/1.1 408").contains("body_timeout");
        }
    }

    @Test
    void requestsBeyondTheConcurrencyLimitGet503BeforeTheirBodyIsRead() throws Exception {
        start(Map.of("max-concurrent-requests", "1"));
        CompletableFuture<HttpResponse<String>> first = postHeldByKafka("{\"user_id\":\"u1\",\"source\":\"web\"}", 1);
        HttpResponse<String> second = post("/v1/events", "{\"user_id\":\"u2\",\"source\":\"web\"}");
        assertThat(second.statusCode()).isEqualTo(503);
        assertThat(json(second.body()).get("error").asText()).isEqualTo("overloaded");
        sink.release();
        assertThat(first.get().statusCode()).isEqualTo(200);
        assertThat(post("/v1/events", "{\"user_id\":\"u3\",\"source\":\"web\"}").statusCode())
                .isEqualTo(200);
    }

    @Test
    void connectionsBeyondTheLimitAreClosed() throws Exception {
        start(Map.of("max-connections", "1"));
        try (java.net.Socket first = new java.net.Socket("127.0.0.1", collector.port());
                java.net.Socket second = new java.net.Socket("127.0.0.1", collector.port())) {
            Thread.sleep(200);
            second.setSoTimeout(3000);
            assertThat(second.getInputStream().read())
                    .as("closed by the collector")
                    .isEqualTo(-1);
        }
    }

    @Test
    void eventsKafkaRefusesForGoodAreNamedAnd400SoClientsDoNotRetryThem() throws Exception {
        start(Map.of());
        sink.failFor = v ->
                v.contains("huge") ? new org.apache.kafka.common.errors.RecordTooLargeException("too large") : null;
        HttpResponse<String> r = post(
                "/v1/events",
                "[{\"user_id\":\"u1\",\"source\":\"web\"},{\"user_id\":\"u2\",\"source\":\"web\",\"x\":\"huge\"}]");
        assertThat(r.statusCode()).isEqualTo(400);
        assertThat(json(r.body()).get("error").asText()).isEqualTo("event_rejected");
        assertThat(json(r.body()).get("rejected_indexes").toString()).isEqualTo("[1]");
        assertThat(json(r.body()).get("accepted").asInt()).isEqualTo(1);
    }

    @Test
    void anUnexpectedFailureAnswers500WithoutTheExceptionsText() throws Exception {
        start(Map.of());
        sink.throwOnSend = new IllegalStateException("secret internal detail");
        HttpResponse<String> r = post("/v1/events", "{\"user_id\":\"u1\",\"source\":\"web\"}");
        assertThat(r.statusCode()).isEqualTo(500);
        assertThat(r.body()).doesNotContain("secret").contains("internal_error");
    }

    @Test
    void metricsAreOnTheAdminPortOnly() throws Exception {
        start(Map.of());
        assertThat(get(uri("/metrics")).statusCode()).isEqualTo(404);
        assertThat(get(admin("/metrics")).statusCode()).isEqualTo(200);
    }

    @Test
    void shutdownWaitsForARequestWhoseBodyIsStillArriving() throws Exception {
        start(Map.of("shutdown-timeout", "10s"));
        try (java.net.Socket socket = new java.net.Socket("127.0.0.1", collector.port())) {
            String event = "{\"user_id\":\"u1\",\"source\":\"web\"}";
            var out = socket.getOutputStream();
            out.write(("POST /v1/events HTTP/1.1\r\nHost: x\r\nContent-Length: " + event.length() + "\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            out.write(event.substring(0, 5).getBytes(StandardCharsets.US_ASCII));
            out.flush();
            Thread.sleep(200);
            CompletableFuture<Void> closing = CompletableFuture.runAsync(collector::close);
            Thread.sleep(300);
            assertThat(closing).as("waits for the request being read").isNotDone();
            out.write(event.substring(5).getBytes(StandardCharsets.US_ASCII));
            out.flush();
            socket.setSoTimeout(5000);
            byte[] head = new byte[12];
            assertThat(socket.getInputStream().readNBytes(head, 0, 12)).isEqualTo(12);
            assertThat(new String(head, StandardCharsets.US_ASCII)).isEqualTo("HTTP/1.1 200");
            closing.get(10, java.util.concurrent.TimeUnit.SECONDS);
        }
        assertThat(sink.sent).hasSize(1);
        collector = null;
    }

    @Test
    void shutdownLetsOpenRequestsFinishAndFlushes() throws Exception {
        start(Map.of("shutdown-timeout", "10s"));
        CompletableFuture<HttpResponse<String>> pending = postHeldByKafka("{\"user_id\":\"u1\",\"source\":\"web\"}", 1);
        CompletableFuture<Void> closing = CompletableFuture.runAsync(collector::close);
        Thread.sleep(500);
        assertThat(closing).as("waits for the open request").isNotDone();
        sink.release();
        assertThat(pending.get().statusCode()).isEqualTo(200);
        closing.get();
        assertThat(sink.flushed).isTrue();
        collector = null;
    }

    @Test
    void metricsCountAcceptedEventsAndRequestsByStatus() throws Exception {
        start(Map.of());
        post("/v1/events", "{\"user_id\":\"u1\",\"source\":\"web\"}{\"user_id\":\"u2\",\"source\":\"web\"}");
        post("/v1/events", "{\"event_id\":\"x\"}");
        String m = get(admin("/metrics")).body();
        assertThat(m).contains("collector_events_accepted_total 2.0");
        assertThat(m).contains("collector_events_refused_total{reason=\"missing_user_id\"} 1.0");
        assertThat(m).containsPattern("collector_requests_seconds_count\\{endpoint=\"events\",status=\"400\"\\} 1");
    }

    private static byte[] gzip(String s) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (GZIPOutputStream g = new GZIPOutputStream(out)) {
            g.write(s.getBytes(StandardCharsets.UTF_8));
        }
        return out.toByteArray();
    }
}
