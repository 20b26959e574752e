package io.clickstream.etl.session;

import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.Pipeline;
import redis.clients.jedis.params.SetParams;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

/**
 * User histories in Redis, one key per user: {@code <prefix>:session:<user_id>} holding {@link UserHistory}'s binary
 * form, with a TTL refreshed on every write. Loads are one MGET, stores one pipeline: one round trip each per batch.
 * One connection per task; a connection that failed is replaced on the next call.
 */
public final class RedisSessionStore implements SessionStore {
    private final HostAndPort address;
    private final DefaultJedisClientConfig clientConfig;
    private final String prefix;
    private Jedis jedis;

    public RedisSessionStore(String host, int port, String user, String password, int timeoutMs, String keyPrefix) {
        this.address = new HostAndPort(host, port);
        // Plain RESP2 GET/SET/MGET: no protocol negotiation (Jedis warns on every connection otherwise).
        DefaultJedisClientConfig.Builder b = DefaultJedisClientConfig.builder()
                .connectionTimeoutMillis(timeoutMs).socketTimeoutMillis(timeoutMs).autoNegotiateProtocol(false);
        if (password != null && !password.isEmpty()) {
            b.password(password);
            if (user != null && !user.isEmpty()) {
                b.user(user);
            }
        }
        this.clientConfig = b.build();
        this.prefix = keyPrefix + ":session:";
    }

    public static byte[] key(String prefix, String userId) {
        return (prefix + ":session:" + userId).getBytes(StandardCharsets.UTF_8);
    }

    private byte[] key(String userId) {
        return (prefix + userId).getBytes(StandardCharsets.UTF_8);
    }

    private Jedis connection() {
        if (jedis == null || jedis.isBroken() || !jedis.isConnected()) {
            close();
            jedis = new Jedis(address, clientConfig);
        }
        return jedis;
    }

    @Override
    public List<byte[]> load(List<String> userIds) {
        byte[][] keys = new byte[userIds.size()][];
        for (int i = 0; i < keys.length; i++) {
            keys[i] = key(userIds.get(i));
        }
        try {
            return connection().mget(keys);
        } catch (RuntimeException e) {
            close();
            throw e;
        }
    }

    @Override
    public void store(Map<String, byte[]> histories, long ttlMs) {
        try {
            Pipeline p = connection().pipelined();
            SetParams expiry = SetParams.setParams().px(ttlMs);
            histories.forEach((user, bytes) -> p.set(key(user), bytes, expiry));
            p.sync();
        } catch (RuntimeException e) {
            close();
            throw e;
        }
    }

    @Override
    public void close() {
        if (jedis != null) {
            try {
                jedis.close();
            } catch (RuntimeException ignored) {
                // a broken connection cannot be closed cleanly; it is dropped either way
            }
            jedis = null;
        }
    }
}
