package io.clickstream.etl.tools;

import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Sends generated events through the HTTP collector as a client would: NDJSON batches per source, one batch of a
 * source at a time so that each source's events arrive in the order they were made (the generator packs hours of
 * event time into seconds: batches overtaking each other would put minutes of disorder into the stream, far beyond
 * the job's event-time bound); a 503 is sent again after its Retry-After; a 400 is counted by reason (the collector
 * refused the request whole, so a malformed input goes alone, a few at a time, not taking a batch of good ones with
 * it).
 */
final class HttpEventSender implements AutoCloseable {
    private static final Pattern REASON = Pattern.compile("\"error\"\\s*:\\s*\"([a-z_]+)\"");
    private static final int BATCH = 200;
    private static final int IN_FLIGHT = 16;

    private final HttpClient http = HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(10))
            .build();
    private final String url;
    private final Semaphore inFlight = new Semaphore(IN_FLIGHT);
    /** Per source: its batch in flight, at most one. */
    private final Map<String, Semaphore> sourceInFlight = new TreeMap<>();

    private final Map<String, ByteArrayOutputStream> buffers = new TreeMap<>();
    private final Map<String, Integer> buffered = new TreeMap<>();
    final AtomicLong accepted = new AtomicLong();
    final AtomicLong retried = new AtomicLong();
    final Map<String, AtomicLong> refused = new ConcurrentHashMap<>();
    private final AtomicReference<Throwable> failure = new AtomicReference<>();

    HttpEventSender(String url) {
        this.url = url.endsWith("/") ? url.substring(0, url.length() - 1) : url;
    }

    /** A well-formed event joins its source's batch; anything else goes alone. */
    void send(String source, byte[] event, boolean wellFormed) throws Exception {
        check();
        if (!wellFormed) {
            post(inFlight, source, event, 1);
            return;
        }
        ByteArrayOutputStream b = buffers.computeIfAbsent(source, s -> new ByteArrayOutputStream());
        b.write(event);
        b.write('\n');
        int n = buffered.merge(source, 1, Integer::sum);
        if (n == BATCH) {
            flush(source);
        }
    }

    private void flush(String source) throws Exception {
        ByteArrayOutputStream b = buffers.get(source);
        int n = buffered.getOrDefault(source, 0);
        if (n == 0) {
            return;
        }
        post(sourceInFlight.computeIfAbsent(source, s -> new Semaphore(1)), source, b.toByteArray(), n);
        b.reset();
        buffered.put(source, 0);
    }

    private void post(Semaphore permits, String source, byte[] body, int events) throws InterruptedException {
        permits.acquire();
        attempt(source, body, events, 0).whenComplete((v, e) -> {
            permits.release();
            if (e != null) {
                failure.compareAndSet(null, e);
            }
        });
    }

    private CompletableFuture<Void> attempt(String source, byte[] body, int events, int tries) {
        HttpRequest request = HttpRequest.newBuilder(URI.create(url + "/v1/events?source=" + source))
                .header("Content-Type", "application/x-ndjson")
                .timeout(Duration.ofSeconds(60))
                .POST(HttpRequest.BodyPublishers.ofByteArray(body))
                .build();
        return http.sendAsync(request, HttpResponse.BodyHandlers.ofString()).thenCompose(r -> {
            if (r.statusCode() == 200) {
                accepted.addAndGet(events);
                return CompletableFuture.completedFuture(null);
            }
            if (r.statusCode() == 400 || r.statusCode() == 413) {
                Matcher m = REASON.matcher(r.body());
                refused.computeIfAbsent(m.find() ? m.group(1) : "http_" + r.statusCode(), k -> new AtomicLong())
                        .addAndGet(events);
                return CompletableFuture.completedFuture(null);
            }
            if (r.statusCode() == 503 && tries < 60) {
                retried.incrementAndGet();
                long wait = r.headers().firstValueAsLong("Retry-After").orElse(1) * 1000;
                return CompletableFuture.runAsync(
                                () -> {},
                                CompletableFuture.delayedExecutor(wait, java.util.concurrent.TimeUnit.MILLISECONDS))
                        .thenCompose(v -> attempt(source, body, events, tries + 1));
            }
            throw new IllegalStateException(
                    "the collector at " + url + " answered " + r.statusCode() + ": " + r.body());
        });
    }

    private void check() throws Exception {
        Throwable t = failure.get();
        if (t != null) {
            throw new IllegalStateException("sending to the collector failed: " + t.getMessage(), t);
        }
    }

    /** Sends what is buffered and waits for every answer. */
    @Override
    public void close() throws Exception {
        for (String source : buffers.keySet()) {
            flush(source);
        }
        inFlight.acquire(IN_FLIGHT);
        inFlight.release(IN_FLIGHT);
        for (Semaphore one : sourceInFlight.values()) {
            one.acquire();
            one.release();
        }
        check();
    }

    String refusedSummary() {
        Map<String, Long> m = new TreeMap<>();
        refused.forEach((k, v) -> m.put(k, v.get()));
        return m.toString();
    }
}
