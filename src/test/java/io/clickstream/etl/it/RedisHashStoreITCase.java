package io.clickstream.etl.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.clickstream.etl.redis.HashStore;
import io.clickstream.etl.redis.RedisHashStore;
import io.clickstream.etl.redis.RedisSettings;
import io.clickstream.etl.testing.TestStack;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.Jedis;

/**
 * The per-user hashes' scripts on the stack's real Redis: one call to read a batch's users, one to write (an update
 * never recreates a vanished hash as a partial one), and the erasure's conditional delete.
 */
class RedisHashStoreITCase {
    private static String host;
    private static int port;
    private final String prefix = TestStack.unique("hashes");

    @BeforeAll
    static void stack() {
        TestStack.requireRunning();
        String[] redis = TestStack.redis().split(":");
        host = redis[0];
        port = Integer.parseInt(redis[1]);
    }

    private RedisHashStore store() {
        return new RedisHashStore(new RedisSettings(host, port, null, null, 5000, prefix));
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void aBatchReadsHashesAndForUsersWithoutOneTheirOlderValuesInOneCall() {
        try (Jedis jedis = new Jedis(host, port);
                RedisHashStore store = store()) {
            jedis.hset(
                    bytes(prefix + ":user:u1"), Map.of(bytes("h"), new byte[] {1, 2}, bytes("s:a"), new byte[] {0, 3}));
            jedis.set(bytes(prefix + ":session:u1"), bytes("ignored: u1 has a hash"));
            jedis.set(bytes(prefix + ":session:u2"), bytes("older history"));

            List<HashStore.Hash> loaded = store.load(List.of(
                    new HashStore.Lookup("user:u1", List.of("session:u1", "join:r:u1")),
                    new HashStore.Lookup("user:u2", List.of("session:u2", "join:r:u2")),
                    new HashStore.Lookup("user:u3", List.of("session:u3"))));

            assertThat(loaded.get(0).fields()).containsOnlyKeys("h", "s:a");
            assertThat(loaded.get(0).fields().get("s:a")).containsExactly(0, 3);
            assertThat(loaded.get(0).olderValues()).isEmpty();
            assertThat(loaded.get(1).fields()).isEmpty();
            assertThat(loaded.get(1).olderValues()).hasSize(2);
            assertThat(new String(loaded.get(1).olderValues().get(0), StandardCharsets.UTF_8))
                    .isEqualTo("older history");
            assertThat(loaded.get(1).olderValues().get(1)).isNull();
            assertThat(loaded.get(2).fields()).isEmpty();
            assertThat(loaded.get(2).olderValues()).containsExactly((byte[]) null);
        } finally {
            try (Jedis jedis = new Jedis(host, port)) {
                jedis.del(prefix + ":user:u1", prefix + ":session:u1", prefix + ":session:u2");
            }
        }
    }

    @Test
    void aWriteSetsAndDeletesFieldsOfManyKeysAndRefreshesTheirTtl() {
        try (Jedis jedis = new Jedis(host, port);
                RedisHashStore store = store()) {
            Map<String, byte[]> many = new LinkedHashMap<>();
            for (int i = 0; i < 450; i++) { // more than one HSET of the script's 200-field chunks
                many.put("s:" + i, bytes("v" + i));
            }
            store.write(
                    Map.of(
                            "user:u1",
                            new HashStore.Changes(many, List.of(), HashStore.Mode.REPLACE),
                            "user:u2",
                            new HashStore.Changes(Map.of("h", bytes("x")), List.of(), HashStore.Mode.REPLACE)),
                    60_000);
            assertThat(jedis.hlen(prefix + ":user:u1")).isEqualTo(450);
            assertThat(jedis.hget(prefix + ":user:u1", "s:449")).isEqualTo("v449");
            assertThat(jedis.pttl(prefix + ":user:u1")).isBetween(1L, 60_000L);

            List<String> delete = new ArrayList<>();
            for (int i = 0; i < 449; i++) {
                delete.add("s:" + i);
            }
            store.write(
                    Map.of(
                            "user:u1",
                            new HashStore.Changes(Map.of("h", bytes("header")), delete),
                            "user:u2",
                            new HashStore.Changes(Map.of(), List.of("h"))),
                    120_000);
            assertThat(jedis.hkeys(prefix + ":user:u1")).containsExactlyInAnyOrder("h", "s:449");
            assertThat(jedis.pttl(prefix + ":user:u1")).isGreaterThan(60_000L);
            assertThat(jedis.exists(prefix + ":user:u2"))
                    .as("a hash whose last field went is gone")
                    .isFalse();

            List<HashStore.Hash> loaded = store.load(List.of(new HashStore.Lookup("user:u1", List.of())));
            assertThat(loaded.get(0).fields()).containsOnlyKeys("h", "s:449");
        } finally {
            try (Jedis jedis = new Jedis(host, port)) {
                jedis.del(prefix + ":user:u1", prefix + ":user:u2", prefix + ":session:u1", prefix + ":session:u2");
            }
        }
    }

    @Test
    void anUpdateThatOnlySetsFieldsRefreshesTheTtlAndAMergeCreatesWithOne() {
        try (Jedis jedis = new Jedis(host, port);
                RedisHashStore store = store()) {
            jedis.hset(prefix + ":user:u1", Map.of("h", "header"));
            jedis.pexpire(prefix + ":user:u1", 5_000);
            List<String> missing = store.write(
                    new LinkedHashMap<>(Map.of(
                            "user:u1",
                            new HashStore.Changes(Map.of("s:a", bytes("x")), List.of()),
                            "join-given:u1",
                            new HashStore.Changes(Map.of("video:v1", bytes("5")), List.of(), HashStore.Mode.MERGE))),
                    60_000);
            assertThat(missing).isEmpty();
            assertThat(jedis.hgetAll(prefix + ":user:u1")).isEqualTo(Map.of("h", "header", "s:a", "x"));
            assertThat(jedis.pttl(prefix + ":user:u1")).isGreaterThan(5_000L);
            assertThat(jedis.pttl(prefix + ":join-given:u1")).isBetween(1L, 60_000L);
        } finally {
            try (Jedis jedis = new Jedis(host, port)) {
                jedis.del(prefix + ":user:u1", prefix + ":join-given:u1");
            }
        }
    }

    @Test
    void anUpdateOfAVanishedHashIsSkippedAndReportedWhileReplaceAndMergeCreateIt() {
        try (Jedis jedis = new Jedis(host, port);
                RedisHashStore store = store()) {
            jedis.hset(prefix + ":user:old", Map.of("h", "header", "s:gone", "x"));
            List<String> missing = store.write(
                    new LinkedHashMap<>(Map.of(
                            "user:vanished",
                            new HashStore.Changes(Map.of("s:a", bytes("partial")), List.of()),
                            "user:old",
                            new HashStore.Changes(Map.of("h", bytes("new")), List.of(), HashStore.Mode.REPLACE),
                            "join-given:u1",
                            new HashStore.Changes(Map.of("video:v1", bytes("5")), List.of(), HashStore.Mode.MERGE))),
                    60_000);
            assertThat(missing).containsExactly("user:vanished");
            assertThat(jedis.exists(prefix + ":user:vanished")).isFalse();
            assertThat(jedis.hgetAll(prefix + ":user:old")).isEqualTo(Map.of("h", "new"));
            assertThat(jedis.hgetAll(prefix + ":join-given:u1")).isEqualTo(Map.of("video:v1", "5"));
        } finally {
            try (Jedis jedis = new Jedis(host, port)) {
                jedis.del(prefix + ":user:old", prefix + ":join-given:u1");
            }
        }
    }

    @Test
    void theErasureDeletesAHashThatHoldsNothingNewerThanItAndTheOlderKeys() {
        try (Jedis jedis = new Jedis(host, port);
                RedisHashStore store = store()) {
            jedis.hset(prefix + ":user:before", Map.of("h", "x", "t", "1000"));
            jedis.hset(prefix + ":user:after", Map.of("h", "x", "t", "3000"));
            jedis.hset(prefix + ":user:untimed", Map.of("h", "x"));
            jedis.set(prefix + ":session:before", "older layout");
            assertThat(store.deleteUpTo("user:before", 2000, List.of("session:before")))
                    .isTrue();
            assertThat(store.deleteUpTo("user:after", 2000, List.of())).isFalse();
            assertThat(store.deleteUpTo("user:untimed", 2000, List.of())).isTrue();
            assertThat(jedis.exists(prefix + ":user:before", prefix + ":session:before", prefix + ":user:untimed"))
                    .isZero();
            assertThat(jedis.exists(prefix + ":user:after")).isTrue();
        } finally {
            try (Jedis jedis = new Jedis(host, port)) {
                jedis.del(prefix + ":user:after");
            }
        }
    }
}
