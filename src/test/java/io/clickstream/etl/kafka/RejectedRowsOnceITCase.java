package io.clickstream.etl.kafka;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.json.JsonMapper;
import io.clickstream.etl.config.JobConfig;
import io.clickstream.etl.deadletter.SendOnce;
import io.clickstream.etl.event.Event;
import io.clickstream.etl.redis.RedisSendLedger;
import io.clickstream.etl.redis.RedisSettings;
import io.clickstream.etl.testing.TestStack;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.Jedis;

/**
 * Rows ClickHouse refused, refused again after a restart or replay, on the real Kafka and Redis: one dead letter
 * per input, also when the run before stopped between the broker's acknowledgement and the ledger's "sent".
 */
class RejectedRowsOnceITCase {
    private static final JsonMapper JSON = new JsonMapper();

    private static Event event(long offset, String topic) {
        Event e = new Event();
        e.eventId = "e" + offset;
        e.userId = "u" + offset % 3;
        e.kafkaTopic = topic;
        e.kafkaPartition = 1;
        e.kafkaOffset = offset;
        e.kafkaTimestamp = System.currentTimeMillis();
        return e;
    }

    @Test
    void rowsRefusedAgainByLaterRunsHaveOneDeadLetterEach() throws Exception {
        TestStack.requireRunning();
        String source = TestStack.unique("src");
        String dead = TestStack.unique("dead");
        TestStack.createTopics(2, source, dead);
        String[] redis = TestStack.redis().split(":");
        RedisSettings settings =
                new RedisSettings(redis[0], Integer.parseInt(redis[1]), null, null, 2000, TestStack.unique("rej"));
        Map<String, String> kafka = Map.of("bootstrap.servers", TestStack.kafkaBootstrap());
        JobConfig config = JobConfig.of(Map.of("kafka.bootstrap-servers", TestStack.kafkaBootstrap()));
        // Notes the ledger's first value per input (partition:offset), to put it back as a stopped run leaves it.
        Map<String, String> notes = new HashMap<>();
        SendOnce.Ledger.Factory noting = () -> new SendOnce.Ledger() {
            private final SendOnce.Ledger real = new RedisSendLedger(settings, 3_600_000);

            @Override
            public String get(String key) throws Exception {
                return real.get(key);
            }

            @Override
            public void put(String key, String value) throws Exception {
                notes.putIfAbsent(key, value);
                real.put(key, value);
            }

            @Override
            public void close() {
                real.close();
            }
        };
        List<Event> first = List.of(event(10, source), event(11, source), event(12, source));
        try (RejectedRowsToKafka<Event> run = new RejectedRowsToKafka<>(
                kafka, dead, noting.open(), KafkaTopicIds.factory(config).open())) {
            run.reject(first, "db.events", "Code: 53. Type mismatch");
        }
        // A run that stopped after the broker took them but before the ledger said "sent".
        try (Jedis jedis = new Jedis(redis[0], Integer.parseInt(redis[1]))) {
            notes.forEach((field, note) -> {
                assertThat(jedis.pttl(settings.keyPrefix() + ":rejected-rows:" + field))
                        .as("a ledger entry expires (redis.rejected-rows-ttl)")
                        .isPositive();
                jedis.set(settings.keyPrefix() + ":rejected-rows:" + field, note);
            });
        }
        List<Event> again = new ArrayList<>(first);
        again.add(event(13, source));
        for (int run = 0; run < 2; run++) { // the restart, then a replay
            try (RejectedRowsToKafka<Event> r = new RejectedRowsToKafka<>(
                    kafka,
                    dead,
                    RedisSendLedger.factory(settings, 3_600_000).open(),
                    KafkaTopicIds.factory(config).open())) {
                r.reject(again, "db.events", "Code: 53. Type mismatch");
            }
        }

        Map<Long, Integer> perInput = new HashMap<>();
        for (ConsumerRecord<byte[], byte[]> r : TestStack.consume(dead, 8, Duration.ofSeconds(10))) {
            perInput.merge(JSON.readTree(r.value()).get("source_offset").asLong(), 1, Integer::sum);
        }
        assertThat(perInput).isEqualTo(Map.of(10L, 1, 11L, 1, 12L, 1, 13L, 1));
    }
}
