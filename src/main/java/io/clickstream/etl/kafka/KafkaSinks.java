package io.clickstream.etl.kafka;

import io.clickstream.etl.config.JobConfig;
import io.clickstream.etl.config.Options;
import io.clickstream.etl.event.DeadLetter;
import org.apache.flink.connector.base.DeliveryGuarantee;
import org.apache.flink.connector.kafka.sink.KafkaSink;
import org.apache.flink.connector.kafka.sink.KafkaSinkBuilder;

/** The dead-letter topic writer. Readers of the topic use isolation.level=read_committed. */
public final class KafkaSinks {
    private KafkaSinks() {}

    public static KafkaSink<DeadLetter> deadLetters(JobConfig config) {
        KafkaSinkBuilder<DeadLetter> builder = KafkaSink.<DeadLetter>builder()
                .setBootstrapServers(config.get(Options.KAFKA_BOOTSTRAP_SERVERS))
                // Exactly once: the dead letters of a checkpoint interval are one Kafka transaction, committed with
                // the checkpoint that also commits the input offsets; a restart aborts what came after it, so the
                // inputs read again do not leave a second dead letter for readers with isolation.level
                // read_committed. They become visible at the checkpoint, not at once.
                .setDeliveryGuarantee(DeliveryGuarantee.EXACTLY_ONCE)
                .setTransactionalIdPrefix(transactionalIdPrefix(config))
                // Kafka's default (1 min) would abort a transaction whose checkpoint takes longer, with its dead
                // letters; 15 min is the broker's default ceiling (transaction.max.timeout.ms).
                .setProperty("transaction.timeout.ms", "900000")
                .setRecordSerializer(new DeadLetterSerializer(config.get(Options.DEAD_LETTER_TOPIC)));
        config.kafkaProperties().forEach(builder::setProperty);
        return builder.build();
    }

    /** One per job: two jobs with the same prefix would fence each other's transactions. */
    static String transactionalIdPrefix(JobConfig config) {
        return config.get(Options.KAFKA_GROUP_ID) + "-dead-letters";
    }
}
