package io.clickstream.etl.kafka;

import static org.assertj.core.api.Assertions.assertThat;

import io.clickstream.etl.config.JobConfig;
import java.io.ByteArrayOutputStream;
import java.io.ObjectOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.config.SaslConfigs;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Kafka credentials through Kafka's own config providers: the settings (and so the job graph, the logs and the
 * YAML file) hold only a reference; the Kafka client reads the secret where it runs.
 */
class KafkaSecretsTest {
    private static final String JAAS = "org.apache.kafka.common.security.scram.ScramLoginModule required "
            + "username=\"etl\" password=\"s3cret-from-file\";";

    @Test
    void aCredentialFromAFileReachesTheKafkaClientsButNotTheSettings(@TempDir Path dir) throws Exception {
        Path secrets = dir.resolve("kafka-client.properties");
        Files.writeString(secrets, "jaas=" + JAAS.replace("\"", "\\\"") + "\n");
        JobConfig config = JobConfig.of(Map.of(
                "kafka.properties.config.providers",
                "file",
                "kafka.properties.config.providers.file.class",
                "org.apache.kafka.common.config.provider.FileConfigProvider",
                "kafka.properties.sasl.jaas.config",
                "${file:" + secrets + ":jaas}"));

        Map<String, Object> consumer = new HashMap<>(config.kafkaProperties());
        consumer.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, "127.0.0.1:9092");
        consumer.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
        consumer.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
        Map<String, Object> producer = new HashMap<>(config.kafkaProperties());
        producer.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, "127.0.0.1:9092");
        producer.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);
        producer.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);

        assertThat(new ConsumerConfig(consumer)
                        .getPassword(SaslConfigs.SASL_JAAS_CONFIG)
                        .value())
                .isEqualTo(JAAS);
        assertThat(new ProducerConfig(producer)
                        .getPassword(SaslConfigs.SASL_JAAS_CONFIG)
                        .value())
                .isEqualTo(JAAS);
        ByteArrayOutputStream serialized = new ByteArrayOutputStream();
        try (ObjectOutputStream out = new ObjectOutputStream(serialized)) {
            out.writeObject(config);
        }
        assertThat(serialized.toString(StandardCharsets.ISO_8859_1)).doesNotContain("s3cret");
        assertThat(config.toString()).doesNotContain("s3cret");
    }

    @Test
    void aCredentialFromTheEnvironmentReachesTheKafkaClients() {
        try {
            Class.forName("org.apache.kafka.common.config.provider.EnvVarConfigProvider");
        } catch (ClassNotFoundException e) {
            // The -Pflink-1.20 build's connector brings kafka-clients 3.4, before the env provider (3.5); the README
            // points that build to the file provider, tested above.
            assertThat(org.apache.kafka.common.utils.AppInfoParser.getVersion()).startsWith("3.4");
            return;
        }
        String home = System.getenv("HOME");
        JobConfig config = JobConfig.of(Map.of(
                "kafka.properties.config.providers",
                "env",
                "kafka.properties.config.providers.env.class",
                "org.apache.kafka.common.config.provider.EnvVarConfigProvider",
                "kafka.properties.sasl.jaas.config",
                "${env:HOME}"));
        Map<String, Object> consumer = new HashMap<>(config.kafkaProperties());
        consumer.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, "127.0.0.1:9092");
        consumer.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
        consumer.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);

        assertThat(new ConsumerConfig(consumer)
                        .getPassword(SaslConfigs.SASL_JAAS_CONFIG)
                        .value())
                .isEqualTo(home);
    }
}
