package io.clickstream.collector;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.Map;
import java.util.Properties;
import org.junit.jupiter.api.Test;

class CollectorSettingsTest {
    @Test
    void defaultsRouteTheJobsThreeTopics() {
        CollectorSettings s = CollectorSettings.from(Map.of());
        assertThat(s.routes()).containsEntry("web", "clickstream-web").containsEntry("backend", "clickstream-backend");
        assertThat(s.port()).isEqualTo(8088);
        assertThat(s.sendTimeout()).isEqualTo(Duration.ofSeconds(10));
        assertThat(s.defaultTopic()).isNull();
    }

    @Test
    void environmentOverridesTheFile() {
        Properties file = new Properties();
        file.setProperty("port", "9000");
        file.setProperty("kafka.properties.compression.type", "lz4");
        Map<String, String> merged = CollectorSettings.merge(
                file,
                Map.of(
                        "CLICKSTREAM_COLLECTOR_PORT",
                        "9100",
                        "CLICKSTREAM_COLLECTOR_MAX_EVENTS_PER_REQUEST",
                        "10",
                        "UNRELATED",
                        "x"));
        CollectorSettings s = CollectorSettings.from(merged);
        assertThat(s.port()).isEqualTo(9100);
        assertThat(s.maxEventsPerRequest()).isEqualTo(10);
        assertThat(s.kafkaProperties()).containsEntry("compression.type", "lz4");
    }

    @Test
    void theIngestPageListsEverySettingWithItsDefault() throws Exception {
        String readme = java.nio.file.Files.readString(java.nio.file.Path.of("../docs/ingest.md"));
        CollectorSettings.KEYS.forEach((key, d) -> assertThat(readme)
                .as(key)
                .contains("| `" + key + "` | " + (d[0].isEmpty() ? "" : "`" + d[0] + "` ") + "| " + d[1] + " |"));
    }

    @Test
    void badValuesNameTheirKey() {
        assertThatThrownBy(() -> CollectorSettings.from(Map.of("prot", "1"))).hasMessageContaining("'prot'");
        assertThatThrownBy(() -> CollectorSettings.from(Map.of("port", "x"))).hasMessageContaining("'port'");
        assertThatThrownBy(() -> CollectorSettings.from(Map.of("send-timeout", "10")))
                .hasMessageContaining("'send-timeout'");
        assertThatThrownBy(() -> CollectorSettings.from(Map.of("routes", "web")))
                .hasMessageContaining("'routes'");
        assertThatThrownBy(() -> CollectorSettings.from(Map.of("max-event-bytes", "10")))
                .hasMessageContaining("'max-event-bytes'");
        assertThatThrownBy(() -> CollectorSettings.from(Map.of("max-in-flight-events", "5")))
                .hasMessageContaining("'max-in-flight-events'");
    }
}
