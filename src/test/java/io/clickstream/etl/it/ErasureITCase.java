package io.clickstream.etl.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.clickstream.etl.config.ConfigOption;
import io.clickstream.etl.config.JobConfig;
import io.clickstream.etl.config.Options;
import io.clickstream.etl.testing.TestStack;
import io.clickstream.etl.tools.Erase;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.StateRecoveryOptions;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.core.execution.SavepointFormatType;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.RedisClient;
import redis.clients.jedis.RedisClusterClient;
import redis.clients.jedis.UnifiedJedis;
import redis.clients.jedis.params.ScanParams;
import redis.clients.jedis.resps.ScanResult;

/**
 * An erasure while the job runs, on the real stack, where the erased user's data is stored and still inside the job:
 * events and a session row in ClickHouse, a value the user gave to a join keyed by another field, a savepoint taken
 * before the erasure that the job is restored from, and a replay from the start of the topics after Redis lost its data. Nothing
 * of the user from before the erasure reaches ClickHouse or stays in Redis, and the erased id is in none of the
 * ClickHouse tables an analyst can read (mutations, the distributed DDL queue).
 */
class ErasureITCase {
    /** The billing source's plan goes into web events of the same account: a join keyed by another field. */
    private static final String PLAN_JOIN =
            "[{\"name\": \"plan\", \"from\": \"billing\", \"key\": \"properties.account\","
                    + " \"fields\": [\"properties.tier\"], \"into\": [\"web\"], \"prefix\": \"plan_\"}]";

    private static final String VICTIM = "victim-7f3a";
    private static final int OTHERS = 5;
    private final long base = System.currentTimeMillis() - Duration.ofHours(3).toMillis();

    private record Ev(String id, String user, String source, long minute, String account, String tier) {
        String json(long base) {
            return "{\"event_id\":\"" + id + "\",\"user_id\":\"" + user + "\",\"source\":\"" + source
                    + "\",\"event_type\":\"page_view\",\"ts\":" + (base + minute * 60_000L)
                    + ",\"url\":\"https://shop.example.com/" + id + "\",\"properties\":{"
                    + (account == null ? "" : "\"account\":\"" + account + "\"")
                    + (tier == null ? "" : ",\"tier\":\"" + tier + "\"") + "}}";
        }
    }

    /** {@code cluster}: the job's state, the erasure list's acknowledgements and the tool on the Redis Cluster. */
    @ParameterizedTest(name = "Redis Cluster {0}")
    @ValueSource(booleans = {false, true})
    void nothingOfAnErasedUserComesBackFromStoredRowsJoinsAnOlderSavepointOrAReplay(
            boolean cluster, @TempDir Path savepoints) throws Exception {
        TestStack.requireRunning();
        String topic = TestStack.unique("erasure");
        String dead = TestStack.unique("dead");
        TestStack.createTopics(2, topic, dead);
        String db = TestStack.migratedDatabase();
        JobConfig settings = TestStack.settings(
                topic,
                dead,
                db,
                Map.of(
                        "clickhouse.cluster", TestStack.cluster(),
                        "funnel.definitions-topic", TestStack.unique("funnels"),
                        "device.enabled", "false",
                        "join.rules", PLAN_JOIN,
                        // Session rows wait for no update interval: every checkpoint writes them (it commits
                        // their events' offsets).
                        "session.update-interval", "4m",
                        "privacy.erasure-check-interval", "1s",
                        "privacy.erasure-lead", "12s"));
        JobConfig config = cluster ? settings.with("redis.cluster-nodes", TestStack.redisCluster()) : settings;
        String node = TestStack.clickHouseUrls().get(0);
        String prefix = config.get(Options.REDIS_KEY_PREFIX);

        List<Ev> events = new ArrayList<>();
        events.add(new Ev("v-1", VICTIM, "web", 0, null, null));
        events.add(new Ev("v-bill", VICTIM, "billing", 1, "acme", "gold"));
        events.add(new Ev("v-2", VICTIM, "web", 2, null, null));
        for (int u = 0; u < OTHERS; u++) {
            String user = "other-" + u;
            events.add(new Ev(user + "-1", user, "web", 0, null, null));
            events.add(new Ev(user + "-2", user, "web", 5, u == 0 ? "acme" : null, null));
            events.add(new Ev(user + "-3", user, "web", 10, null, null));
        }
        // The join keyed by account works in processing order: the plan is given before other-0's event comes.
        TestStack.produce(records(topic, events.subList(0, 3)));
        JobClient job = TestStack.job(config, 500).executeAsync("ErasureITCase-running");
        try {
            awaitCount(node, "SELECT count() FROM " + db + ".events", 3);
            TestStack.produce(records(topic, events.subList(3, events.size())));
            awaitCount(node, "SELECT count() FROM " + db + ".events", events.size());
            assertThat(TestStack.query(
                                    node,
                                    "SELECT props.value[indexOf(props.key, 'plan_tier')] FROM " + db
                                            + ".events WHERE event_id = 'other-0-2' FORMAT TabSeparated")
                            .strip())
                    .as("the victim's plan reached another user's event through the join")
                    .isEqualTo("gold");
            awaitCount(
                    node,
                    "SELECT uniqExact(session_id) FROM " + db + ".sessions WHERE user_id = '" + VICTIM + "'",
                    1); // the erasure must delete it as it does the events
            String beforeErasure = job.triggerSavepoint(savepoints.toUri().toString(), SavepointFormatType.CANONICAL)
                    .get(2, TimeUnit.MINUTES);

            Erase.run(eraseArgs(config, VICTIM));

            for (String table : List.of("events", "sessions", "user_days", "users_daily")) {
                assertThat(TestStack.count(
                                node, "SELECT count() FROM " + db + "." + table + " WHERE user_id = '" + VICTIM + "'"))
                        .as(table)
                        .isZero();
            }
            try (UnifiedJedis redis = redis(cluster)) {
                assertThat(redis.exists(prefix + ":user:" + VICTIM)).isFalse();
                assertThat(redis.exists(prefix + ":join-given:" + VICTIM)).isFalse();
                assertThat(redis.hkeys(prefix + ":joinv:plan:acme"))
                        .as("the value the victim gave is gone")
                        .isEmpty();
            }

            // The watermark passes every session's end: the others' rows are written again, the victim's is not.
            TestStack.produce(records(topic, late("after", 60)));
            awaitCount(node, "SELECT uniqExact(user_id) FROM " + db + ".sessions", OTHERS);
            assertThat(TestStack.count(
                            node, "SELECT count() FROM " + db + ".sessions WHERE user_id = '" + VICTIM + "'"))
                    .as("the pending row of the erased user")
                    .isZero();
            awaitCount(node, "SELECT count() FROM " + db + ".events WHERE event_id = 'other-0-after'", 1);
            assertThat(TestStack.query(
                                    node,
                                    "SELECT props.value[indexOf(props.key, 'plan_tier')] FROM " + db
                                            + ".events WHERE event_id = 'other-0-after' FORMAT TabSeparated")
                            .strip())
                    .as("no later event gets the erased user's value")
                    .isEmpty();
            job.cancel().get(60, TimeUnit.SECONDS);

            // Restored from the savepoint taken before the erasure: its pending rows and offsets are from then.
            Configuration restore = new Configuration();
            restore.set(StateRecoveryOptions.SAVEPOINT_PATH, beforeErasure);
            job = TestStack.job(config, 500, restore).executeAsync("ErasureITCase-restored");
            TestStack.produce(records(topic, late("restored", 120)));
            awaitCount(node, "SELECT count() FROM " + db + ".events WHERE event_id LIKE '%-restored'", OTHERS);
            Thread.sleep(3000); // rows restored and due would be written by now
            assertVictimGone(node, db);
            job.cancel().get(60, TimeUnit.SECONDS);

            // Redis loses everything, and the job reads the topic again from its start: the list is in Kafka.
            deleteKeys(cluster, prefix);
            job = TestStack.job(config.with("kafka.group-id", TestStack.unique("replay")), 500)
                    .executeAsync("ErasureITCase-replay");
            TestStack.produce(records(topic, late("replayed", 180)));
            awaitCount(node, "SELECT count() FROM " + db + ".events WHERE event_id LIKE '%-replayed'", OTHERS);
            Thread.sleep(3000);
            assertVictimGone(node, db);
            try (UnifiedJedis redis = redis(cluster)) {
                assertThat(redis.exists(prefix + ":user:" + VICTIM)).isFalse();
                assertThat(redis.hkeys(prefix + ":joinv:plan:acme")).isEmpty();
            }
        } finally {
            job.cancel().get(60, TimeUnit.SECONDS);
        }

        // What an analyst can read of the erasure: hashes, never the id.
        for (String url : TestStack.clickHouseUrls()) {
            assertThat(TestStack.count(url, "SELECT count() FROM system.mutations WHERE database = '" + db + "'"))
                    .as("the erasure's mutations on " + url) // events, sessions, user_days, users_daily, corrected_days
                    .isEqualTo(5);
            assertThat(TestStack.count(
                            url, "SELECT count() FROM system.mutations WHERE position(command, '" + VICTIM + "') > 0"))
                    .isZero();
        }
        assertThat(TestStack.count(
                        node,
                        "SELECT count() FROM system.zookeeper WHERE path = '/clickhouse/task_queue/ddl' "
                                + "AND position(value, '" + VICTIM + "') > 0"))
                .as("the distributed DDL queue")
                .isZero();
    }

    /** An event of every other user at {@code minute} (other-0's of the joined account): the watermark moves on. */
    private static List<Ev> late(String name, long minute) {
        List<Ev> out = new ArrayList<>();
        for (int u = 0; u < OTHERS; u++) {
            out.add(new Ev("other-" + u + "-" + name, "other-" + u, "web", minute, u == 0 ? "acme" : null, null));
        }
        return out;
    }

    private static void assertVictimGone(String node, String db) throws Exception {
        for (String table : List.of("events", "sessions", "user_days", "users_daily")) {
            assertThat(TestStack.count(
                            node, "SELECT count() FROM " + db + "." + table + " WHERE user_id = '" + VICTIM + "'"))
                    .as(table)
                    .isZero();
        }
    }

    private static String[] eraseArgs(JobConfig config, String user) {
        List<String> args = new ArrayList<>();
        for (ConfigOption<?> option : List.of(
                Options.KAFKA_BOOTSTRAP_SERVERS,
                Options.CLICKHOUSE_URLS,
                Options.CLICKHOUSE_DATABASE,
                Options.CLICKHOUSE_CLUSTER,
                Options.REDIS_HOST,
                Options.REDIS_PORT,
                Options.REDIS_KEY_PREFIX,
                Options.JOIN_RULES,
                Options.PRIVACY_ERASURE_TOPIC,
                Options.PRIVACY_ERASURE_LEAD)) {
            Object value = config.get(option);
            args.add("--set");
            args.add(option.key() + "="
                    + (value instanceof List<?> l
                            ? String.join(",", l.stream().map(String::valueOf).toList())
                            : value instanceof java.time.Duration d ? d.toMillis() + "ms" : String.valueOf(value)));
        }
        if (config.get(Options.REDIS_CLUSTER_NODES) != null) {
            args.add("--set");
            args.add(Options.REDIS_CLUSTER_NODES.key() + "="
                    + String.join(",", config.get(Options.REDIS_CLUSTER_NODES)));
        }
        args.add("--user");
        args.add(user);
        return args.toArray(new String[0]);
    }

    private static void awaitCount(String node, String query, long expected) throws InterruptedException {
        TestStack.await(
                query + " = " + expected,
                Duration.ofSeconds(120),
                TestStack.unchecked(() -> TestStack.count(node, query) == expected));
    }

    private static UnifiedJedis redis(boolean cluster) {
        if (cluster) {
            Set<HostAndPort> nodes = new HashSet<>();
            for (String n : TestStack.redisCluster().split(",")) {
                nodes.add(HostAndPort.from(n));
            }
            return RedisClusterClient.create(nodes);
        }
        return RedisClient.create(HostAndPort.from(TestStack.redis()));
    }

    /** What FLUSHALL does to the job's keys, without touching other tests' prefixes (on a cluster: every master). */
    private static void deleteKeys(boolean cluster, String prefix) {
        List<HostAndPort> nodes = new ArrayList<>();
        if (cluster) {
            int base = HostAndPort.from(TestStack.redisCluster().split(",")[0]).getPort();
            for (int port = base; port < base + 6; port++) {
                nodes.add(new HostAndPort("127.0.0.1", port));
            }
        } else {
            nodes.add(HostAndPort.from(TestStack.redis()));
        }
        for (HostAndPort node : nodes) {
            try (Jedis redis = new Jedis(node)) {
                if (cluster && !redis.info("replication").contains("role:master")) {
                    continue;
                }
                String cursor = ScanParams.SCAN_POINTER_START;
                do {
                    ScanResult<String> page = redis.scan(
                            cursor, new ScanParams().match(prefix + ":*").count(500));
                    for (String key : page.getResult()) {
                        redis.del(key); // one by one: on a cluster, keys of one node are in many slots
                    }
                    cursor = page.getCursor();
                } while (!cursor.equals(ScanParams.SCAN_POINTER_START));
            }
        }
    }

    private List<ProducerRecord<byte[], byte[]>> records(String topic, List<Ev> events) {
        List<ProducerRecord<byte[], byte[]>> out = new ArrayList<>();
        for (Ev e : events) {
            out.add(new ProducerRecord<>(
                    topic,
                    e.user().getBytes(StandardCharsets.UTF_8),
                    e.json(base).getBytes(StandardCharsets.UTF_8)));
        }
        return out;
    }
}
