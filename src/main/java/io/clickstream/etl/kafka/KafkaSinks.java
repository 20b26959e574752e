package io.clickstream.etl.kafka;

import io.clickstream.etl.config.JobConfig;
import io.clickstream.etl.config.Options;
import io.clickstream.etl.event.DeadLetter;
import org.apache.flink.connector.base.DeliveryGuarantee;
import org.apache.flink.connector.kafka.sink.KafkaSink;
import org.apache.flink.connector.kafka.sink.KafkaSinkBuilder;

/** The dead-letter topic writer. */
public final class KafkaSinks {
    private KafkaSinks() {}

    public static KafkaSink<DeadLetter> deadLetters(JobConfig config) {
        KafkaSinkBuilder<DeadLetter> builder = KafkaSink.<DeadLetter>builder()
                .setBootstrapServers(config.get(Options.KAFKA_BOOTSTRAP_SERVERS))
                // At least once: flushed on every checkpoint, so no dead letter is lost; a replay may repeat
                // one, which the (topic, partition, offset) it carries identifies.
                .setDeliveryGuarantee(DeliveryGuarantee.AT_LEAST_ONCE)
                .setRecordSerializer(new DeadLetterSerializer(config.get(Options.DEAD_LETTER_TOPIC)));
        config.kafkaProperties().forEach(builder::setProperty);
        return builder.build();
    }
}
