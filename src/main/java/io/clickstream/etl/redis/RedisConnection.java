package io.clickstream.etl.redis;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import redis.clients.jedis.ClusterPipeline;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.RedisClusterClient;
import redis.clients.jedis.Response;
import redis.clients.jedis.commands.JedisBinaryCommands;
import redis.clients.jedis.commands.JedisCommands;
import redis.clients.jedis.exceptions.JedisConnectionException;
import redis.clients.jedis.util.JedisClusterCRC16;

/**
 * The Redis of one task: one connection to a server, or a cluster client (redis.cluster-nodes) that routes each key
 * to the master of its slot and follows MOVED/ASK. Either is replaced on the next call after a call failed, so that
 * a retry starts on a fresh connection — for a cluster, with the topology read afresh from the seed nodes (after a
 * failover the old master is gone). Not thread-safe.
 */
public final class RedisConnection implements AutoCloseable {
    private final HostAndPort address;
    private final Set<HostAndPort> clusterNodes;
    private final DefaultJedisClientConfig clientConfig;
    private Jedis jedis;
    private RedisClusterClient cluster;

    public RedisConnection(RedisSettings settings) {
        this.address = new HostAndPort(settings.host(), settings.port());
        Set<HostAndPort> nodes = new HashSet<>();
        settings.clusterNodes().forEach(n -> nodes.add(HostAndPort.from(n)));
        this.clusterNodes = Set.copyOf(nodes);
        // Plain RESP2 commands: no protocol negotiation (Jedis warns on every connection otherwise).
        DefaultJedisClientConfig.Builder b = DefaultJedisClientConfig.builder()
                .connectionTimeoutMillis(settings.timeoutMs())
                .socketTimeoutMillis(settings.timeoutMs())
                .autoNegotiateProtocol(false);
        if (settings.password() != null && !settings.password().isEmpty()) {
            b.password(settings.password());
            if (settings.user() != null && !settings.user().isEmpty()) {
                b.user(settings.user());
            }
        }
        if (settings.tls() != null) {
            b.ssl(true)
                    .sslSocketFactory(RedisTls.socketFactory(settings.tls()))
                    .sslParameters(RedisTls.checkHostName());
        }
        this.clientConfig = b.build();
    }

    /** Whether keys of different slots must go in separate calls (a script may touch only one slot's keys). */
    public boolean cluster() {
        return !clusterNodes.isEmpty();
    }

    /** Runs one call of string commands; a failure drops the connection, so the next call starts afresh. */
    public <R> R call(Function<JedisCommands, R> command) {
        return run(c -> command.apply((JedisCommands) c));
    }

    /** As {@link #call}, with binary commands. */
    public <R> R binary(Function<JedisBinaryCommands, R> command) {
        return run(c -> command.apply((JedisBinaryCommands) c));
    }

    /** The slot of a key in a cluster. */
    public static int slot(byte[] key) {
        return JedisClusterCRC16.getSlot(key);
    }

    /** One script call of {@link #evalPerSlot}: the indexes of its keys in the caller's list, and its reply. */
    public record SlotCall(List<Integer> keys, Object reply) {}

    /**
     * On a cluster, where a script may touch only one slot's keys: {@code script} once per slot over that slot's keys,
     * with ARGV the {@code leading} arguments and then each of its keys' own arguments ({@code perKey}) in order. The
     * calls are pipelined: sent to the masters of their slots together, answered in one round trip per master.
     */
    public List<SlotCall> evalPerSlot(
            byte[] script, List<byte[]> keys, List<byte[]> leading, List<List<byte[]>> perKey) {
        Map<Integer, List<Integer>> bySlot = new LinkedHashMap<>();
        for (int i = 0; i < keys.size(); i++) {
            bySlot.computeIfAbsent(slot(keys.get(i)), s -> new ArrayList<>()).add(i);
        }
        return run(c -> {
            List<Response<Object>> responses = new ArrayList<>(bySlot.size());
            try (ClusterPipeline p = ((RedisClusterClient) c).pipelined()) {
                for (List<Integer> indexes : bySlot.values()) {
                    List<byte[]> k = new ArrayList<>(indexes.size());
                    List<byte[]> a = new ArrayList<>(leading);
                    for (int i : indexes) {
                        k.add(keys.get(i));
                        a.addAll(perKey.get(i));
                    }
                    responses.add(p.eval(script, k, a));
                }
                p.sync();
            }
            List<SlotCall> out = new ArrayList<>(responses.size());
            int g = 0;
            for (List<Integer> indexes : bySlot.values()) {
                try {
                    // An error reply (MOVED during a failover) throws here: the batch retries.
                    out.add(new SlotCall(indexes, responses.get(g++).get()));
                } catch (IllegalStateException unanswered) {
                    // Jedis's word for a reply that never came: the connection to that master broke during the sync.
                    throw new JedisConnectionException(
                            "a Redis Cluster node did not answer a pipelined call", unanswered);
                }
            }
            return out;
        });
    }

    private <R> R run(Function<Object, R> command) {
        Object client;
        if (cluster()) {
            if (cluster == null) {
                cluster = RedisClusterClient.builder()
                        .nodes(clusterNodes)
                        .clientConfig(clientConfig)
                        .build();
            }
            client = cluster;
        } else {
            if (jedis == null || jedis.isBroken() || !jedis.isConnected()) {
                close();
                jedis = new Jedis(address, clientConfig);
            }
            client = jedis;
        }
        try {
            return command.apply(client);
        } catch (RuntimeException e) {
            close();
            throw e;
        }
    }

    @Override
    public void close() {
        AutoCloseable c = jedis != null ? jedis : cluster;
        jedis = null;
        cluster = null;
        if (c != null) {
            try {
                c.close();
            } catch (Exception ignored) {
                // a broken connection cannot be closed cleanly; it is dropped either way
            }
        }
    }
}
