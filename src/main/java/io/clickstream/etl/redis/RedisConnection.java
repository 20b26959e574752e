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

    /**
     * Indexes of {@code keys} grouped by their slot, each group in the given order: what one script call of a cluster
     * may cover.
     */
    public static Map<Integer, List<Integer>> bySlot(List<byte[]> keys) {
        Map<Integer, List<Integer>> out = new LinkedHashMap<>();
        for (int i = 0; i < keys.size(); i++) {
            out.computeIfAbsent(slot(keys.get(i)), s -> new ArrayList<>()).add(i);
        }
        return out;
    }

    /**
     * Script calls, each on keys of one slot, pipelined: sent to the masters of their slots together and answered in
     * one round trip per master. Returns the replies in order. Only on a cluster.
     */
    public List<Object> evalEach(byte[] script, List<List<byte[]>> keys, List<List<byte[]>> args) {
        return run(c -> {
            List<Response<Object>> responses = new ArrayList<>(keys.size());
            try (ClusterPipeline p = ((RedisClusterClient) c).pipelined()) {
                for (int i = 0; i < keys.size(); i++) {
                    responses.add(p.eval(script, keys.get(i), args.get(i)));
                }
                p.sync();
            }
            List<Object> out = new ArrayList<>(responses.size());
            for (Response<Object> r : responses) {
                try {
                    out.add(r.get()); // an error reply (MOVED during a failover) throws here: the batch retries
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
