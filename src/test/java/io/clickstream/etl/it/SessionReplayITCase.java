package io.clickstream.etl.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.clickstream.etl.config.JobConfig;
import io.clickstream.etl.testing.TestStack;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import redis.clients.jedis.Jedis;

/**
 * Sessions on real Kafka, Redis and ClickHouse: the same topics processed twice (the second time by a new consumer
 * group reading from the start, with Redis already holding the first run's state) give identical session ids,
 * numbers and indexes for every event.
 */
class SessionReplayITCase {
    @RegisterExtension
    static final MiniClusterExtension FLINK = new MiniClusterExtension(new MiniClusterResourceConfiguration.Builder()
            .setNumberTaskManagers(1)
            .setNumberSlotsPerTaskManager(2)
            .build());

    @Test
    void replayingTheTopicsGivesIdenticalSessions() throws Exception {
        TestStack.requireRunning();
        String web = TestStack.unique("web");
        String app = TestStack.unique("app");
        String dead = TestStack.unique("dead");
        TestStack.createTopics(3, web, app, dead);
        // 60 users, each with visits on web and app; some pauses of 40+ minutes start new sessions.
        Random random = new Random(11);
        long t0 = System.currentTimeMillis() - 6 * 3_600_000L;
        List<ProducerRecord<byte[], byte[]>> records = new ArrayList<>();
        for (int u = 0; u < 60; u++) {
            long t = t0 + random.nextInt(600_000);
            for (int i = 0; i < 25; i++) {
                t += random.nextInt(10) == 0 ? 41 * 60_000L : random.nextInt(300_000);
                String user = "user-" + u;
                String json = "{\"event_id\":\"s" + u + "-" + i + "\",\"user_id\":\"" + user
                        + "\",\"event_type\":\"page_view\",\"ts\":" + t + "}";
                records.add(new ProducerRecord<>(
                        random.nextBoolean() ? web : app,
                        user.getBytes(StandardCharsets.UTF_8),
                        json.getBytes(StandardCharsets.UTF_8)));
            }
        }
        TestStack.produce(records);
        Map<String, String> settings = new HashMap<>(TestStack.jobSettings());
        settings.put("kafka.topics", web + "," + app);
        settings.put("kafka.dead-letter-topic", dead);
        settings.put("kafka.start-from", "earliest");
        settings.put("kafka.bounded", "true");
        settings.put("redis.batch-size", "97");

        String firstDb = run(settings);
        String secondDb = run(settings);

        String query =
                "SELECT event_id, session_id, session_number, session_index FROM %s.events ORDER BY event_id FORMAT TabSeparated";
        String first = TestStack.query(TestStack.clickHouseUrls().get(0), String.format(query, firstDb));
        String second = TestStack.query(TestStack.clickHouseUrls().get(0), String.format(query, secondDb));
        assertThat(first.split("\n")).hasSize(1500);
        assertThat(second).isEqualTo(first);

        String node = TestStack.clickHouseUrls().get(0);
        long sessions = TestStack.count(node, "SELECT uniqExact(session_id) FROM " + firstDb + ".events");
        assertThat(sessions).as("pauses started new sessions").isGreaterThan(60);
        assertThat(TestStack.count(
                        node,
                        "SELECT count() FROM (SELECT session_id FROM " + firstDb
                                + ".events GROUP BY session_id HAVING uniqExact(kafka_topic) = 2)"))
                .as("sessions across both sources")
                .isPositive();
        assertThat(TestStack.count(
                        node,
                        "SELECT count() FROM (SELECT session_id, max(session_index) + 1 AS n, count() AS c FROM "
                                + firstDb + ".events GROUP BY session_id HAVING n != c)"))
                .as("indexes are 0..n-1 in every session")
                .isZero();
        // The sessions table: one row per session after FINAL, agreeing with the events, the same in both runs.
        String perDay =
                "SELECT dt, count() AS sessions, sum(page_views) AS page_views, sum(events) AS events FROM %s.sessions "
                        + "FINAL GROUP BY dt ORDER BY dt FORMAT TabSeparated";
        TestStack.await(
                "session rows of the first run",
                java.time.Duration.ofSeconds(30),
                TestStack.unchecked(
                        () -> TestStack.count(node, "SELECT sum(events) FROM " + firstDb + ".sessions FINAL") == 1500));
        assertThat(TestStack.count(node, "SELECT count() FROM " + firstDb + ".sessions FINAL"))
                .isEqualTo(sessions);
        assertThat(TestStack.count(node, "SELECT sum(page_views) FROM " + firstDb + ".sessions FINAL"))
                .isEqualTo(1500);
        assertThat(TestStack.count(
                        node,
                        "SELECT count() FROM " + firstDb
                                + ".sessions FINAL WHERE duration_s != toUInt32(end) - toUInt32(start)"))
                .isZero();
        // 18.16 answers FINAL through a Distributed table only in aggregating queries, hence the GROUP BY.
        assertThat(TestStack.query(
                        node,
                        "SELECT session_id, max(events), any(user_id), any(session_number) FROM " + firstDb
                                + ".sessions FINAL GROUP BY session_id ORDER BY session_id FORMAT TabSeparated"))
                .as("every session row agrees with its events")
                .isEqualTo(TestStack.query(
                        node,
                        "SELECT session_id, count(), " + "any(user_id), any(session_number) FROM " + firstDb
                                + ".events GROUP BY session_id ORDER BY session_id FORMAT TabSeparated"));
        TestStack.await(
                "session rows of the second run",
                java.time.Duration.ofSeconds(30),
                TestStack.unchecked(() ->
                        TestStack.count(node, "SELECT sum(events) FROM " + secondDb + ".sessions FINAL") == 1500));
        assertThat(TestStack.query(node, String.format(perDay, secondDb)))
                .isEqualTo(TestStack.query(node, String.format(perDay, firstDb)));

        String[] redis = TestStack.redis().split(":");
        try (Jedis jedis = new Jedis(redis[0], Integer.parseInt(redis[1]))) {
            String key = settings.get("redis.key-prefix") + ":user:user-7";
            assertThat(jedis.type(key)).as("one hash per user").isEqualTo("hash");
            assertThat(jedis.hkeys(key))
                    .as("a header and a field per session")
                    .contains("h")
                    .anyMatch(f -> f.startsWith("s:"));
            assertThat(jedis.pttl(key)).as("state expires").isPositive();
        }
    }

    private static String run(Map<String, String> settings) throws Exception {
        String database = TestStack.migratedDatabase();
        Map<String, String> s = new HashMap<>(settings);
        s.put("clickhouse.database", database);
        s.put("kafka.group-id", TestStack.unique("g"));
        JobConfig config = JobConfig.of(s);
        StreamExecutionEnvironment env = TestStack.job(config, 0);
        env.execute("SessionReplayITCase");
        return database;
    }
}
