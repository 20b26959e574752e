package io.clickstream.etl.kafka;

import static org.assertj.core.api.Assertions.assertThat;

import io.clickstream.etl.config.JobConfig;
import java.util.Map;
import org.apache.kafka.clients.admin.NewTopic;
import org.junit.jupiter.api.Test;

/** What the job and its tools ask the brokers for when they create a topic. */
class TopicsTest {
    @Test
    void withoutASettingTheBrokersDefaultReplicationIsAskedFor() {
        NewTopic t = Topics.of(JobConfig.of(Map.of())).request("clickstream-backfill", 4);
        assertThat(t.replicationFactor())
                .as("-1: the brokers' default.replication.factor, never a hard-coded 1")
                .isEqualTo((short) -1);
        assertThat(t.numPartitions()).isEqualTo(4);
        NewTopic compacted = Topics.of(JobConfig.of(Map.of())).compactedRequest("clickstream-erasures");
        assertThat(compacted.replicationFactor()).isEqualTo((short) -1);
        assertThat(compacted.configs()).containsEntry("cleanup.policy", "compact");
    }

    @Test
    void theSettingSetsTheReplicationFactor() {
        JobConfig config = JobConfig.of(Map.of("kafka.topic-replication-factor", "3"));
        assertThat(Topics.of(config).request("clickstream-backfill", 4).replicationFactor())
                .isEqualTo((short) 3);
        assertThat(Topics.of(config).compactedRequest("clickstream-funnels").replicationFactor())
                .isEqualTo((short) 3);
    }
}
