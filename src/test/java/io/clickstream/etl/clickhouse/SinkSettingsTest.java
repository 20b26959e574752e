package io.clickstream.etl.clickhouse;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.clickstream.etl.config.JobConfig;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SinkSettingsTest {

    @Test
    void theSettingsComeFromTheSinkOptions() {
        SinkSettings settings = SinkSettings.from(JobConfig.of(Map.of(
                "clickhouse.sink.batch-rows",
                "5000",
                "clickhouse.sink.flush-interval",
                "2s",
                "clickhouse.sink.catch-up-hold",
                "true",
                "clickhouse.sink.max-retries",
                "3")));
        assertThat(settings.batchRows()).isEqualTo(5000);
        assertThat(settings.flushInterval()).isEqualTo(Duration.ofSeconds(2));
        assertThat(settings.catchUpHold()).isTrue();
        assertThat(settings.retryPolicy().maxRetries()).isEqualTo(3);
        assertThat(settings.retryPolicy().backoffMs(1)).isEqualTo(500);
        assertThat(settings.retryPolicy().backoffMs(20)).as("capped").isEqualTo(30_000);
    }

    /** Good settings but for these three, checked as they are (not through the options' own checks). */
    private static SinkSettings checked(int batchRows, Duration flushInterval, int maxInFlight) {
        SinkSettings good = TestSinkSettings.of(Map.of());
        return new SinkSettings(
                        batchRows,
                        good.batchBytes(),
                        flushInterval,
                        good.catchUpFlushInterval(),
                        good.catchUpLag(),
                        false,
                        maxInFlight,
                        good.retryPolicy())
                .sanityCheck();
    }

    @Test
    void aBadValueIsRefusedNamingItsOption() {
        Duration second = Duration.ofSeconds(1);
        assertThat(checked(1, second, 1).batchRows()).isEqualTo(1);
        assertThatThrownBy(() -> checked(0, second, 1)).hasMessageContaining("clickhouse.sink.batch-rows");
        assertThatThrownBy(() -> checked(1, Duration.ZERO, 1)).hasMessageContaining("clickhouse.sink.flush-interval");
        assertThatThrownBy(() -> checked(1, second, 0)).hasMessageContaining("clickhouse.sink.max-in-flight");
        assertThatThrownBy(() -> SinkSettings.from(JobConfig.of(
                        Map.of("clickhouse.sink.retry-backoff", "10s", "clickhouse.sink.retry-max-backoff", "1s"))))
                .hasMessageContaining("clickhouse.sink.retry-max-backoff")
                .hasMessageContaining("clickhouse.sink.retry-backoff");
    }

    @Test
    void aSinkThatHoldsRowsInCheckpointsMustKnowTheirType() {
        assertThatThrownBy(() -> ClickHouseSink.<io.clickstream.etl.event.Event>builder()
                        .settings(TestSinkSettings.of(Map.of("catch-up-hold", "true")))
                        .encoder(EventRowEncoder.INSTANCE)
                        .inserter(() -> null)
                        .build())
                .hasMessageContaining("clickhouse.sink.catch-up-hold");
    }
}
