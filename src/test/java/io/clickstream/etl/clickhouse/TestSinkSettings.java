package io.clickstream.etl.clickhouse;

import io.clickstream.etl.config.JobConfig;
import java.util.HashMap;
import java.util.Map;

/**
 * Sink settings for tests, from clickhouse.sink.* keys: catch-up batching off, two retries after 100 and 250 ms,
 * unless a test sets them.
 */
final class TestSinkSettings {
    private TestSinkSettings() {}

    /** {@code settings}: keys without the "clickhouse.sink." prefix and their values. */
    static SinkSettings of(Map<String, String> settings) {
        Map<String, String> values = new HashMap<>(Map.of(
                "catch-up-flush-interval", "1ms", // at or below flush-interval: off
                "max-retries", "2",
                "retry-backoff", "100ms",
                "retry-max-backoff", "250ms"));
        values.putAll(settings);
        Map<String, String> options = new HashMap<>();
        values.forEach((key, value) -> options.put("clickhouse.sink." + key, value));
        return SinkSettings.from(JobConfig.of(options));
    }
}
