package io.clickstream.etl.kafka;

import io.clickstream.etl.config.JobConfig;
import io.clickstream.etl.deadletter.TopicIds;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;

/** Topic ids from the Kafka cluster, asked once per topic. */
public final class KafkaTopicIds implements TopicIds {
    private final Properties properties;
    private final Map<String, String> ids = new HashMap<>();
    private Admin admin;

    private KafkaTopicIds(Properties properties) {
        this.properties = properties;
    }

    public static TopicIds.Factory factory(JobConfig config) {
        Map<String, String> kafka = config.kafkaClientProperties();
        return () -> {
            Properties p = new Properties();
            p.putAll(kafka);
            return new KafkaTopicIds(p);
        };
    }

    @Override
    public String id(String topic) throws Exception {
        String id = ids.get(topic);
        if (id == null) {
            if (admin == null) {
                admin = Admin.create(properties);
            }
            id = admin.describeTopics(List.of(topic))
                    .allTopicNames()
                    .get(60, TimeUnit.SECONDS)
                    .get(topic)
                    .topicId()
                    .toString();
            ids.put(topic, id);
        }
        return id;
    }

    @Override
    public void close() {
        if (admin != null) {
            admin.close(java.time.Duration.ofSeconds(10));
        }
    }
}
