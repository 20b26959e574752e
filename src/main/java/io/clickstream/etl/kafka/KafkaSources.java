package io.clickstream.etl.kafka;

import io.clickstream.etl.config.JobConfig;
import io.clickstream.etl.config.Options;
import io.clickstream.etl.config.Timestamps;
import io.clickstream.etl.parse.ParseLimits;
import io.clickstream.etl.parse.ParsedRecord;
import org.apache.flink.connector.kafka.source.KafkaSource;
import org.apache.flink.connector.kafka.source.KafkaSourceBuilder;
import org.apache.flink.connector.kafka.source.enumerator.initializer.OffsetsInitializer;
import org.apache.kafka.clients.consumer.OffsetResetStrategy;

/** The job's Kafka source, from the kafka.* settings. */
public final class KafkaSources {
    private KafkaSources() {}

    /** The events, parsed in the source (the watermarks need their times). */
    public static KafkaSource<ParsedRecord> events(JobConfig config) {
        KafkaSourceBuilder<ParsedRecord> builder = KafkaSource.<ParsedRecord>builder()
                .setBootstrapServers(config.get(Options.KAFKA_BOOTSTRAP_SERVERS))
                .setTopics(config.get(Options.KAFKA_TOPICS))
                .setGroupId(config.get(Options.KAFKA_GROUP_ID))
                .setClientIdPrefix(config.get(Options.KAFKA_GROUP_ID))
                .setStartingOffsets(startingOffsets(config))
                .setDeserializer(new ParsingDeserializer(ParseLimits.from(config)))
                .setProperty("commit.offsets.on.checkpoint", "true")
                .setProperty("partition.discovery.interval.ms",
                        String.valueOf(config.get(Options.KAFKA_PARTITION_DISCOVERY).toMillis()));
        config.kafkaProperties().forEach(builder::setProperty);
        if (config.get(Options.KAFKA_BOUNDED)) {
            builder.setBounded(OffsetsInitializer.latest());
        }
        return builder.build();
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
                return OffsetsInitializer.committedOffsets("latest".equals(config.get(Options.KAFKA_GROUP_OFFSETS_RESET))
                        ? OffsetResetStrategy.LATEST : OffsetResetStrategy.EARLIEST);
            default:
                throw new IllegalArgumentException("kafka.start-from: " + config.get(Options.KAFKA_START_FROM));
        }
    }
}
