package io.clickstream.collector;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The collector's memory stays bounded whatever the clients do: in a JVM with a 96 MB heap, 3,000 concurrent
 * requests of 60 KB each (180 MB) against a Kafka that never acknowledges get 503s for what does not fit, the process
 * never runs out of memory, and {@code /health} answers all along, each probe within the 10 s a load balancer's health
 * check commonly allows (on a 2-core machine shared with the flooding client, answers take up to a few seconds).
 */
class CollectorMemoryITCase {
    private static final int REQUESTS = 3000;

    @Test
    void aFloodOfLargeRequestsGets503sWithoutRunningOutOfMemory(@TempDir Path dir) throws Exception {
        Path log = dir.resolve("collector.log");
        Process p = new ProcessBuilder(
                        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                        "-Xmx96m",
                        "-XX:+ExitOnOutOfMemoryError",
                        "-cp",
                        System.getProperty("java.class.path"),
                        HeldAcksCollector.class.getName())
                .redirectErrorStream(true)
                .redirectOutput(log.toFile())
                .start();
        try {
            Map<String, Integer> ports = awaitPorts(log);
            int port = ports.get("PORT");
            HttpClient http = HttpClient.newBuilder()
                    .version(HttpClient.Version.HTTP_1_1)
                    .executor(Executors.newFixedThreadPool(8))
                    .connectTimeout(Duration.ofSeconds(20))
                    .build();
            String event = "{\"user_id\":\"u1\",\"source\":\"web\",\"url\":\"" + "x".repeat(60_000) + "\"}";
            Map<Integer, AtomicInteger> statuses = new ConcurrentHashMap<>();
            AtomicInteger unanswered = new AtomicInteger();
            List<CompletableFuture<Void>> all = new ArrayList<>();
            for (int i = 0; i < REQUESTS; i++) {
                all.add(http.sendAsync(
                                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/v1/events"))
                                        .timeout(Duration.ofSeconds(30))
                                        .POST(HttpRequest.BodyPublishers.ofString(event))
                                        .build(),
                                HttpResponse.BodyHandlers.discarding())
                        .handle((r, e) -> {
                            if (r != null) {
                                statuses.computeIfAbsent(r.statusCode(), s -> new AtomicInteger())
                                        .incrementAndGet();
                            } else {
                                unanswered.incrementAndGet(); // held by Kafka, or its connection closed on a 503
                            }
                            return null;
                        }));
            }
            // /health answers while the requests come and wait.
            HttpClient probe = HttpClient.newHttpClient();
            AtomicLong slowest = new AtomicLong();
            long until = System.currentTimeMillis() + 15_000;
            int probes = 0;
            while (System.currentTimeMillis() < until) {
                long t0 = System.nanoTime();
                HttpResponse<String> health;
                try {
                    health = probe.send(
                            HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/health"))
                                    .timeout(Duration.ofSeconds(10))
                                    .build(),
                            HttpResponse.BodyHandlers.ofString());
                } catch (java.io.IOException e) {
                    throw new AssertionError(
                            "/health did not answer (" + e + "); alive " + p.isAlive() + "; the collector said:\n"
                                    + Files.readString(log),
                            e);
                }
                assertThat(health.statusCode()).isEqualTo(200);
                slowest.accumulateAndGet((System.nanoTime() - t0) / 1_000_000, Math::max);
                probes++;
                Thread.sleep(200);
            }
            CompletableFuture.allOf(all.toArray(new CompletableFuture<?>[0])).get(2, TimeUnit.MINUTES);
            String output = Files.readString(log);
            System.out.printf(
                    "statuses %s, without an answer %d; /health answered %d times, slowest %d ms%n",
                    statuses, unanswered.get(), probes, slowest.get());
            assertThat(p.isAlive())
                    .as("the collector is still running:\n" + output)
                    .isTrue();
            assertThat(output).doesNotContain("OutOfMemoryError");
            assertThat(statuses.getOrDefault(503, new AtomicInteger()).get())
                    .as("what does not fit the byte budget is refused")
                    .isGreaterThan(REQUESTS / 2);
            assertThat(statuses)
                    .as("nothing is accepted without Kafka's acknowledgement")
                    .doesNotContainKey(200);
            String metrics = probe.send(
                            HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + ports.get("ADMIN") + "/metrics"))
                                    .build(),
                            HttpResponse.BodyHandlers.ofString())
                    .body();
            double inFlight = Double.parseDouble(metrics.lines()
                    .filter(l -> l.startsWith("collector_bytes_in_flight "))
                    .findFirst()
                    .orElseThrow()
                    .split(" ")[1]);
            assertThat(inFlight)
                    .as("held bytes stay within max-in-flight-bytes")
                    .isLessThanOrEqualTo(16777216);
        } finally {
            p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
    }

    private static Map<String, Integer> awaitPorts(Path log) throws Exception {
        long deadline = System.currentTimeMillis() + 30_000;
        while (System.currentTimeMillis() < deadline) {
            if (Files.exists(log)) {
                for (String line : Files.readAllLines(log, StandardCharsets.UTF_8)) {
                    if (line.startsWith("PORT ")) {
                        String[] f = line.split(" ");
                        return Map.of("PORT", Integer.parseInt(f[1]), "ADMIN", Integer.parseInt(f[3]));
                    }
                }
            }
            Thread.sleep(100);
        }
        throw new IllegalStateException("the collector did not start:\n" + Files.readString(log));
    }
}
