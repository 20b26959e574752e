package io.clickstream.etl.funnel;

import io.clickstream.etl.config.JobConfig;
import io.clickstream.etl.config.Options;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.connector.kafka.source.KafkaSource;
import org.apache.flink.connector.kafka.source.KafkaSourceBuilder;
import org.apache.flink.connector.kafka.source.enumerator.initializer.OffsetsInitializer;
import org.apache.flink.connector.kafka.source.reader.deserializer.KafkaRecordDeserializationSchema;
import org.apache.flink.util.Collector;
import org.apache.kafka.clients.consumer.ConsumerRecord;

import java.nio.charset.StandardCharsets;

/** The definitions topic ({@link FunnelTopic}) as the job's broadcast input. */
public final class FunnelSource {
    private FunnelSource() {}

    /** The broadcast input: the whole topic from its start, then every later change. */
    public static KafkaSource<FunnelUpdate> source(JobConfig config) {
        KafkaSourceBuilder<FunnelUpdate> b = KafkaSource.<FunnelUpdate>builder()
                .setBootstrapServers(config.get(Options.KAFKA_BOOTSTRAP_SERVERS))
                .setTopics(config.get(Options.FUNNEL_TOPIC))
                .setGroupId(config.get(Options.KAFKA_GROUP_ID) + "-funnels")
                .setClientIdPrefix(config.get(Options.KAFKA_GROUP_ID) + "-funnels")
                .setStartingOffsets(OffsetsInitializer.earliest())
                .setDeserializer(new Deserializer())
                .setProperty("partition.discovery.interval.ms", "60000");
        config.kafkaProperties().forEach(b::setProperty);
        if (config.get(Options.KAFKA_BOUNDED)) {
            b.setBounded(OffsetsInitializer.latest());
        }
        return b.build();
    }


    static final class Deserializer implements KafkaRecordDeserializationSchema<FunnelUpdate> {
        private static final long serialVersionUID = 1L;

        @Override
        public void deserialize(ConsumerRecord<byte[], byte[]> r, Collector<FunnelUpdate> out) {
            if (r.key() != null) { // a record without a funnel id cannot be a definition; the operator would reject it
                out.collect(FunnelTopic.update(new String(r.key(), StandardCharsets.UTF_8), r.value(), r.timestamp(), r.offset()));
            }
        }

        @Override
        public TypeInformation<FunnelUpdate> getProducedType() {
            return TypeInformation.of(FunnelUpdate.class);
        }
    }

}
