package io.clickstream.etl.kafka;

import io.clickstream.etl.clickhouse.DeclaredRow;
import io.clickstream.etl.config.JobConfig;
import io.clickstream.etl.config.Options;
import io.clickstream.etl.config.Timestamps;
import io.clickstream.etl.parse.ParseLimits;
import io.clickstream.etl.parse.ParsedRecord;
import java.util.List;
import org.apache.flink.api.connector.source.Source;
import org.apache.flink.connector.kafka.source.KafkaSource;
import org.apache.flink.connector.kafka.source.KafkaSourceBuilder;
import org.apache.flink.connector.kafka.source.enumerator.initializer.OffsetsInitializer;
import org.apache.kafka.clients.consumer.OffsetResetStrategy;

/** The job's Kafka source, from the kafka.* settings. */
public final class KafkaSources {
    private KafkaSources() {}

    /**
     * The events, parsed in the source (the watermarks need their times), telling Flink when they are a backlog
     * (kafka.backlog-lag).
     */
    public static Source<ParsedRecord, ?, ?> events(JobConfig config) {
        KafkaSourceBuilder<ParsedRecord> builder = KafkaSource.<ParsedRecord>builder()
                .setBootstrapServers(config.get(Options.KAFKA_BOOTSTRAP_SERVERS))
                .setTopics(topics(config))
                .setGroupId(config.get(Options.KAFKA_GROUP_ID))
                .setClientIdPrefix(config.get(Options.KAFKA_GROUP_ID))
                .setStartingOffsets(startingOffsets(config))
                .setDeserializer(new ParsingDeserializer(ParseLimits.from(config), DeclaredRow.from(config)))
                .setProperty("commit.offsets.on.checkpoint", "true")
                // tools.Backfill writes in transactions; an import stopped half-way leaves an aborted one behind, whose
                // records the next import sends again.
                .setProperty("isolation.level", "read_committed")
                .setProperty(
                        "partition.discovery.interval.ms",
                        String.valueOf(
                                config.get(Options.KAFKA_PARTITION_DISCOVERY).toMillis()));
        config.kafkaProperties().forEach(builder::setProperty);
        if (config.get(Options.KAFKA_BOUNDED)) {
            builder.setBounded(OffsetsInitializer.latest());
        }
        KafkaSource<ParsedRecord> source = builder.build();
        long backlogLag = config.get(Options.KAFKA_BACKLOG_LAG).toMillis();
        return backlogLag > 0 ? BacklogReportingSource.of(source, backlogLag) : source;
    }

    /** Partitions of backfill.topic when the job or tools.Backfill creates it. */
    public static final int BACKFILL_PARTITIONS = 4;

    /** Creates backfill.topic, when set and missing: the source fails on a topic that does not exist. */
    public static void ensureBackfillTopic(JobConfig config) throws Exception {
        String backfill = config.get(Options.BACKFILL_TOPIC);
        if (backfill == null || backfill.isBlank()) {
            return;
        }
        java.util.Properties p = new java.util.Properties();
        p.putAll(config.kafkaClientProperties());
        try (org.apache.kafka.clients.admin.Admin admin = org.apache.kafka.clients.admin.Admin.create(p)) {
            Topics.of(config).createMissing(admin, List.of(backfill), BACKFILL_PARTITIONS);
        }
    }

    /** kafka.topics, and backfill.topic when it is set: history is read in event-time order with the rest. */
    public static List<String> topics(JobConfig config) {
        return Topics.readByTheJob(config);
    }

    @SuppressWarnings("deprecation") // OffsetResetStrategy: the connector's API still takes it (1.20 and 2.x)
    static OffsetsInitializer startingOffsets(JobConfig config) {
        switch (config.get(Options.KAFKA_START_FROM)) {
            case "earliest":
                return OffsetsInitializer.earliest();
            case "latest":
                return OffsetsInitializer.latest();
            case "timestamp":
                return OffsetsInitializer.timestamp(Timestamps.parseMillis(config.get(Options.KAFKA_START_TIMESTAMP)));
            case "group-offsets":
                return OffsetsInitializer.committedOffsets(
                        "latest".equals(config.get(Options.KAFKA_GROUP_OFFSETS_RESET))
                                ? OffsetResetStrategy.LATEST
                                : OffsetResetStrategy.EARLIEST);
            default:
                throw new IllegalArgumentException("kafka.start-from: " + config.get(Options.KAFKA_START_FROM));
        }
    }
}
