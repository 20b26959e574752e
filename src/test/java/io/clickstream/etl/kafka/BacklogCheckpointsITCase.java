package io.clickstream.etl.kafka;

import static org.assertj.core.api.Assertions.assertThat;

import io.clickstream.etl.testing.TestStack;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.functions.MapFunction;
import org.apache.flink.api.common.serialization.SimpleStringSchema;
import org.apache.flink.api.common.state.CheckpointListener;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.RestartStrategyOptions;
import org.apache.flink.connector.kafka.source.KafkaSource;
import org.apache.flink.connector.kafka.source.enumerator.initializer.OffsetsInitializer;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.functions.sink.v2.DiscardingSink;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;

/**
 * On the real Kafka and a Flink MiniCluster: a source that reads records published two hours ago tells Flink it reads
 * a backlog, and Flink checkpoints at the backlog interval; once it reads records published now, at the regular
 * one. Every record passes once.
 */
class BacklogCheckpointsITCase {
    private static final int OLD = 8_000;
    private static final int LIVE = 3_000;
    private static final long INTERVAL_MS = 200;
    private static final long BACKLOG_INTERVAL_MS = 2_000;

    /** Records that passed the map so far, and at each completed checkpoint. */
    static final AtomicLong PASSED = new AtomicLong();

    static final Queue<Long> PASSED_AT_CHECKPOINTS = new ConcurrentLinkedQueue<>();

    /** About a millisecond per record, so that reading the backlog takes seconds; counts the records. */
    static final class SlowCount implements MapFunction<String, String>, CheckpointListener {
        private static final long serialVersionUID = 1L;

        @Override
        public String map(String value) throws Exception {
            Thread.sleep(1);
            PASSED.incrementAndGet();
            return value;
        }

        @Override
        public void notifyCheckpointComplete(long checkpointId) {
            PASSED_AT_CHECKPOINTS.add(PASSED.get());
        }
    }

    @Test
    void checkpointsAreFurtherApartWhileTheSourceReadsABacklogAndAsUsualOnceItIsLive() throws Exception {
        TestStack.requireRunning();
        String topic = TestStack.unique("backlog");
        TestStack.createTopics(1, topic);
        long twoHoursAgo = System.currentTimeMillis() - 2 * 3_600_000;
        List<ProducerRecord<byte[], byte[]>> old = new ArrayList<>();
        for (int i = 0; i < OLD; i++) {
            old.add(new ProducerRecord<>(
                    topic, null, twoHoursAgo + i, null, ("old " + i).getBytes(StandardCharsets.UTF_8)));
        }
        TestStack.produce(old);

        Configuration flink = new Configuration();
        flink.set(RestartStrategyOptions.RESTART_STRATEGY, "none");
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(flink);
        env.setParallelism(1);
        env.enableCheckpointing(INTERVAL_MS);
        env.getCheckpointConfig().setCheckpointIntervalDuringBacklog(BACKLOG_INTERVAL_MS);
        KafkaSource<String> kafka = KafkaSource.<String>builder()
                .setBootstrapServers(TestStack.kafkaBootstrap())
                .setTopics(topic)
                .setGroupId(topic)
                .setStartingOffsets(OffsetsInitializer.earliest())
                .setValueOnlyDeserializer(new SimpleStringSchema())
                .build();
        env.fromSource(BacklogReportingSource.of(kafka, 30_000), WatermarkStrategy.noWatermarks(), "Kafka")
                .map(new SlowCount())
                .sinkTo(new DiscardingSink<>());
        PASSED.set(0);
        PASSED_AT_CHECKPOINTS.clear();
        JobClient job = env.executeAsync("backlog checkpoints");
        try {
            TestStack.await("the backlog read", Duration.ofMinutes(2), () -> PASSED.get() >= OLD);
            long[] sendAt = new long[LIVE];
            List<ProducerRecord<byte[], byte[]>> live = new ArrayList<>();
            long start = System.currentTimeMillis() + 500;
            for (int i = 0; i < LIVE; i++) {
                live.add(new ProducerRecord<>(topic, ("live " + i).getBytes(StandardCharsets.UTF_8)));
                sendAt[i] = start + i; // 1,000 records a second, about what the map takes: the source stays live
            }
            TestStack.produce(live, sendAt);
            TestStack.await("the live records", Duration.ofMinutes(1), () -> PASSED.get() >= OLD + LIVE);
            Thread.sleep(1_000);
        } finally {
            job.cancel().get();
        }

        assertThat(PASSED.get()).isEqualTo(OLD + LIVE);
        // The reader says "backlog" after its first thousand-odd records: count the checkpoints after that. At the
        // regular interval the ~7 s of backlog would take about 35; at the backlog interval about 4.
        long inBacklog = PASSED_AT_CHECKPOINTS.stream()
                .filter(n -> n > 2 * BacklogSignal.POLLS_PER_CHECK && n < OLD)
                .count();
        long live = PASSED_AT_CHECKPOINTS.stream().filter(n -> n > OLD).count();
        assertThat(inBacklog)
                .as("checkpoints while the backlog was read: %s", PASSED_AT_CHECKPOINTS)
                .isBetween(1L, 8L);
        assertThat(live).as("checkpoints once live: %s", PASSED_AT_CHECKPOINTS).isGreaterThanOrEqualTo(6L);
    }
}
