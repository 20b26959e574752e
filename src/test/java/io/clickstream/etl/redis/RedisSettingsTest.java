package io.clickstream.etl.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.clickstream.etl.config.JobConfig;
import java.util.Map;
import org.junit.jupiter.api.Test;

class RedisSettingsTest {

    @Test
    void theSettingsComeFromTheRedisOptionsAndThePasswordFromTheEnvironment() {
        RedisSettings s = RedisSettings.from(
                JobConfig.of(Map.of("redis.host", "redis.internal", "redis.port", "6380", "redis.timeout", "3s")),
                Map.of("CLICKSTREAM_REDIS_PASSWORD", "secret"));
        assertThat(s.host()).isEqualTo("redis.internal");
        assertThat(s.port()).isEqualTo(6380);
        assertThat(s.timeoutMs()).isEqualTo(3000);
        assertThat(s.password()).isEqualTo("secret");
        assertThat(s.toString()).doesNotContain("secret");
    }

    @Test
    void aBadValueIsRefusedNamingItsOption() {
        assertThatThrownBy(() -> new RedisSettings(" ", 6379, null, null, 1000, "p").sanityCheck())
                .hasMessageContaining("redis.host");
        assertThatThrownBy(() -> new RedisSettings("h", 70_000, null, null, 1000, "p").sanityCheck())
                .hasMessageContaining("redis.port");
        assertThatThrownBy(() -> new RedisSettings("h", 6379, null, null, 0, "p").sanityCheck())
                .hasMessageContaining("redis.timeout");
        assertThatThrownBy(() -> new RedisSettings("h", 6379, null, null, 1000, "").sanityCheck())
                .hasMessageContaining("redis.key-prefix");
        assertThatThrownBy(() -> RedisSettings.from(
                        JobConfig.of(Map.of("redis.cluster-nodes", "10.0.0.5:6379,10.0.0.6")), Map.of()))
                .hasMessageContaining("redis.cluster-nodes: '10.0.0.6' is not host:port");
    }

    @Test
    void clusterNodesMakeItACluster() {
        RedisSettings s = RedisSettings.from(
                JobConfig.of(Map.of("redis.cluster-nodes", "10.0.0.5:6379, 10.0.0.6:6379")), Map.of());
        assertThat(s.cluster()).isTrue();
        assertThat(s.clusterNodes()).containsExactly("10.0.0.5:6379", "10.0.0.6:6379");
        assertThat(RedisSettings.from(JobConfig.of(Map.of()), Map.of()).cluster())
                .isFalse();
    }
}
