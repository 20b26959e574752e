package io.clickstream.etl.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.clickstream.etl.config.JobConfig;
import io.clickstream.etl.redis.HashStore;
import io.clickstream.etl.redis.RedisConnection;
import io.clickstream.etl.redis.RedisHashStore;
import io.clickstream.etl.redis.RedisSettings;
import io.clickstream.etl.testing.ClickstreamTruth;
import io.clickstream.etl.testing.ClickstreamTruth.Expected;
import io.clickstream.etl.testing.TestStack;
import io.clickstream.etl.testing.TruthJob;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.apache.flink.configuration.CheckpointingOptions;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.StateRecoveryOptions;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.RedisClusterClient;

/**
 * The state on the stack's Redis Cluster (3 masters, 3 replicas): a batch's users spread over many slots, read and
 * written in one pipelined call per master; and the job on a backlog in three topics while a master stops and its
 * replica takes over, then killed and restored from its checkpoint, against the event-time truth.
 */
class RedisClusterITCase {
    @RegisterExtension
    static final MiniClusterExtension FLINK = new MiniClusterExtension(TestStack.miniClusterKeepingCheckpoints());

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static RedisSettings settings(String prefix) {
        return new RedisSettings(
                "unused", 6379, List.of(TestStack.redisCluster().split(",")), null, null, 5000, prefix);
    }

    private static RedisClusterClient client() {
        Set<HostAndPort> nodes = new HashSet<>();
        for (String n : TestStack.redisCluster().split(",")) {
            nodes.add(HostAndPort.from(n));
        }
        return RedisClusterClient.create(nodes);
    }

    @Test
    void aBatchOfUsersInManySlotsIsReadWrittenAndErasedKeyByKey() {
        TestStack.requireRunning();
        String prefix = TestStack.unique("rc");
        try (RedisClusterClient redis = client();
                RedisHashStore store = new RedisHashStore(settings(prefix))) {
            Map<String, HashStore.Changes> first = new LinkedHashMap<>();
            Set<Integer> slots = new HashSet<>();
            for (int i = 0; i < 300; i++) {
                first.put(
                        "user:u" + i,
                        new HashStore.Changes(
                                Map.of("h", bytes("h" + i), "t", bytes(Integer.toString(1000 + i))),
                                List.of(),
                                HashStore.Mode.REPLACE));
                slots.add(RedisConnection.slot(bytes(prefix + ":user:u" + i)));
            }
            assertThat(slots).as("keys in many slots of all three masters").hasSizeGreaterThan(250);
            assertThat(store.write(first, 60_000)).isEmpty();
            assertThat(redis.hget(prefix + ":user:u299", "h")).isEqualTo("h299");

            // An update of a hash that vanished is reported by its own name, whatever its slot's group.
            redis.del(prefix + ":user:u17");
            Map<String, HashStore.Changes> second = new LinkedHashMap<>();
            for (int i = 0; i < 300; i++) {
                second.put("user:u" + i, new HashStore.Changes(Map.of("s:a", bytes("x" + i)), List.of("t")));
            }
            assertThat(store.write(second, 60_000)).containsExactly("user:u17");
            assertThat(redis.exists(prefix + ":user:u17")).isFalse();

            List<HashStore.Lookup> lookups = new ArrayList<>();
            for (int i = 0; i < 300; i++) {
                lookups.add(new HashStore.Lookup("user:u" + i, List.of("session:u" + i)));
            }
            List<HashStore.Hash> loaded = store.load(lookups);
            assertThat(loaded).hasSize(300);
            for (int i = 0; i < 300; i++) {
                if (i == 17) {
                    assertThat(loaded.get(i).fields()).isEmpty();
                    continue;
                }
                assertThat(new String(loaded.get(i).fields().get("s:a"), StandardCharsets.UTF_8))
                        .as("user %d's own hash, in the order asked", i)
                        .isEqualTo("x" + i);
                assertThat(loaded.get(i).fields()).containsOnlyKeys("h", "s:a");
                assertThat(loaded.get(i).olderValues())
                        .as("a value per older key, none on a cluster")
                        .containsExactly((byte[]) null);
            }

            redis.set(prefix + ":session:u3", "older layout");
            assertThat(store.deleteUpTo("user:u3", Long.MAX_VALUE, List.of("session:u3")))
                    .isTrue();
            assertThat(redis.exists(prefix + ":user:u3")).isFalse();
            assertThat(redis.exists(prefix + ":session:u3")).isFalse();
        } finally {
            try (RedisClusterClient redis = client()) {
                for (int i = 0; i < 300; i++) {
                    redis.del(prefix + ":user:u" + i);
                }
            }
        }
    }

    @Test
    void aMasterThatStopsMidStreamAndAKilledJobRestoredLeaveTheEventTimeTruth(@TempDir Path checkpoints)
            throws Exception {
        TruthJob.Setup setup = TruthJob.setUp(Map.of("redis.cluster-nodes", TestStack.redisCluster()));
        ClickstreamTruth truth = ClickstreamTruth.generate(
                29, 200, ClickstreamTruth.Timing.hours(), System.currentTimeMillis() - 17 * 3_600_000L);
        Map<String, Expected> expected = truth.expected(TruthJob.TRUTH_FUNNELS);
        List<ProducerRecord<byte[], byte[]>> records = new ArrayList<>();
        for (String source : ClickstreamTruth.SOURCES) {
            truth.of(source).forEach(e -> records.add(e.record(setup.topics())));
        }
        TestStack.produce(records);
        int n = truth.events.size();
        String node = TestStack.clickHouseUrls().get(0);
        String db = setup.database();

        // Slow readers, so that the master stops in the middle of the catch-up.
        Configuration retain = new Configuration();
        retain.set(
                CheckpointingOptions.CHECKPOINTS_DIRECTORY, checkpoints.toUri().toString());
        retain.setString("execution.checkpointing.externalized-checkpoint-retention", "RETAIN_ON_CANCELLATION");
        JobConfig slow = setup.config()
                .with("kafka.properties.fetch.min.bytes", "10000000")
                .with("kafka.properties.fetch.max.wait.ms", "100")
                .with("kafka.properties.max.partition.fetch.bytes", "1024");
        String stopped = null;
        JobClient first = TestStack.job(slow, 300, retain).executeAsync("RedisClusterITCase-failover");
        try {
            TestStack.await(
                    "a tenth of the rows", Duration.ofSeconds(120), TestStack.unchecked(() -> rows(node, db) > n / 10));
            stopped = aMaster();
            TestStack.stack("stop", stopped);
            long atStop = rows(node, db);
            TestStack.await(
                    "a replica in the stopped master's place, and the job going on",
                    Duration.ofSeconds(120),
                    TestStack.unchecked(() -> clusterOk() && rows(node, db) > atStop + n / 10));
            Path before = TestStack.latestCheckpoint(checkpoints);
            TestStack.await(
                    "a checkpoint after the failover",
                    Duration.ofSeconds(60),
                    TestStack.unchecked(
                            () -> !java.util.Objects.equals(TestStack.latestCheckpoint(checkpoints), before)));
        } finally {
            first.cancel().get(60, TimeUnit.SECONDS);
            if (stopped != null) {
                TestStack.stack("start", stopped); // back as a replica of the one that took over
            }
        }
        assertThat(rows(node, db)).as("killed before the end of the backlog").isLessThan(n);

        Configuration restore = new Configuration(retain);
        restore.set(
                StateRecoveryOptions.SAVEPOINT_PATH,
                TestStack.latestCheckpoint(checkpoints).toString());
        JobClient second = TestStack.job(setup.config(), 300, restore).executeAsync("RedisClusterITCase-restored");
        try {
            TestStack.await(n + " rows", Duration.ofSeconds(180), TestStack.unchecked(() -> rows(node, db) >= n));
            TestStack.awaitSessionRowsAndNothingInFlight(setup.config(), n);
        } finally {
            second.cancel().get(60, TimeUnit.SECONDS);
        }
        TestStack.await("the cluster whole again", Duration.ofSeconds(60), TestStack.unchecked(() -> clusterOk()));

        TruthJob.assertStoredRowsMatch(db, expected);
        TestStack.BalanceRun balance = TestStack.balance(setup.config(), 1000);
        assertThat(balance.code()).as(balance.printed()).isZero();
        assertThat(balance.printed())
                .contains("balanced: " + n + " inputs = " + n + " stored + 0 dead letters + 0 delivered again");
    }

    /** The stack's name (rc1 … rc6) of a node that is a master now. */
    private static String aMaster() {
        String seed = TestStack.redisCluster().split(",")[0];
        int base = Integer.parseInt(seed.split(":")[1]);
        try (Jedis jedis = new Jedis(HostAndPort.from(seed))) {
            for (String line : jedis.clusterNodes().split("\n")) {
                String[] f = line.split(" ");
                if (f[2].contains("master") && !f[2].contains("fail")) {
                    int port = Integer.parseInt(f[1].substring(f[1].indexOf(':') + 1, f[1].indexOf('@')));
                    return "rc" + (port - base + 1);
                }
            }
        }
        throw new IllegalStateException("no master in the Redis Cluster");
    }

    /** Every reachable node sees the cluster as ok (all slots served). */
    private static boolean clusterOk() {
        String seed = TestStack.redisCluster().split(",")[0];
        int base = Integer.parseInt(seed.split(":")[1]);
        boolean any = false;
        for (int port = base; port < base + 6; port++) {
            try (Jedis jedis = new Jedis("127.0.0.1", port)) {
                if (!jedis.clusterInfo().contains("cluster_state:ok")) {
                    return false;
                }
                any = true;
            } catch (RuntimeException down) {
                // the stopped node
            }
        }
        return any;
    }

    private static long rows(String node, String db) throws Exception {
        return TestStack.count(node, "SELECT count() FROM " + db + ".events");
    }
}
