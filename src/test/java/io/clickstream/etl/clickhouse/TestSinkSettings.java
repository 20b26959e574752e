package io.clickstream.etl.clickhouse;

import io.clickstream.etl.config.JobConfig;
import java.util.HashMap;
import java.util.Map;

/** Sink settings for tests, from clickhouse.sink.* keys; catch-up batching off unless a test sets it. */
final class TestSinkSettings {
    private TestSinkSettings() {}

    /** {@code keyValues}: pairs of keys without the "clickhouse.sink." prefix and their values. */
    static SinkSettings of(String... keyValues) {
        Map<String, String> values = new HashMap<>();
        values.put("clickhouse.sink.catch-up-flush-interval", "1ms"); // at or below flush-interval: off
        for (int i = 0; i < keyValues.length; i += 2) {
            values.put("clickhouse.sink." + keyValues[i], keyValues[i + 1]);
        }
        return SinkSettings.from(JobConfig.of(values));
    }
}
