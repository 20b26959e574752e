package io.clickstream.collector;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;

/** The collector's metrics, scraped as Prometheus text at {@code /metrics}. */
public final class CollectorMetrics {
    final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    final AtomicLong inFlightEvents = new AtomicLong();
    final Counter accepted;
    final Counter failed;
    final Counter bodyIpRemoved;
    private final Timer.Builder requests;
    /** One timer per endpoint and status, looked up without building tags on every request. */
    private final java.util.concurrent.ConcurrentHashMap<String, Timer> timers =
            new java.util.concurrent.ConcurrentHashMap<>();

    CollectorMetrics() {
        accepted = Counter.builder("collector.events.accepted")
                .description("events acknowledged by Kafka")
                .register(registry);
        failed = Counter.builder("collector.events.failed")
                .description("events Kafka did not acknowledge (request got 503)")
                .register(registry);
        bodyIpRemoved = Counter.builder("collector.events.body_ip_removed")
                .description("events whose client-sent `ip` was removed (trust-body-ip is false)")
                .register(registry);
        registry.gauge("collector.events.in_flight", inFlightEvents);
        requests = Timer.builder("collector.requests")
                .description("requests by endpoint and status, from arrival to answer")
                // Buckets only: Prometheus computes the quantiles; client-side percentiles would cost every request.
                .publishPercentileHistogram()
                .maximumExpectedValue(Duration.ofSeconds(30));
    }

    void request(String endpoint, int status, long startNanos) {
        timers.computeIfAbsent(
                        endpoint + status,
                        k -> requests.tags("endpoint", endpoint, "status", Integer.toString(status))
                                .register(registry))
                .record(System.nanoTime() - startNanos, java.util.concurrent.TimeUnit.NANOSECONDS);
    }

    void refused(String reason, int events) {
        registry.counter("collector.events.refused", "reason", reason).increment(Math.max(events, 1));
    }

    String scrape() {
        return registry.scrape();
    }
}
