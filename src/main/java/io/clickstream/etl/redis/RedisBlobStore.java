package io.clickstream.etl.redis;

import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.Pipeline;
import redis.clients.jedis.params.SetParams;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

/**
 * Binary values in Redis under {@code <prefix>:<namespace>:<key>} (namespace: session, funnel, join), with a TTL
 * refreshed on every write. Loads are one MGET, stores one pipeline: one round trip each per batch.
 * One connection per task; a connection that failed is replaced on the next call.
 */
public final class RedisBlobStore implements BlobStore {
    private final HostAndPort address;
    private final DefaultJedisClientConfig clientConfig;
    private final String prefix;
    private Jedis jedis;

    public RedisBlobStore(RedisSettings settings, String namespace) {
        this.address = new HostAndPort(settings.host(), settings.port());
        // Plain RESP2 GET/SET/MGET: no protocol negotiation (Jedis warns on every connection otherwise).
        DefaultJedisClientConfig.Builder b = DefaultJedisClientConfig.builder()
                .connectionTimeoutMillis(settings.timeoutMs()).socketTimeoutMillis(settings.timeoutMs())
                .autoNegotiateProtocol(false);
        if (settings.password() != null && !settings.password().isEmpty()) {
            b.password(settings.password());
            if (settings.user() != null && !settings.user().isEmpty()) {
                b.user(settings.user());
            }
        }
        this.clientConfig = b.build();
        this.prefix = settings.keyPrefix() + ":" + namespace + ":";
    }

    public static byte[] key(String prefix, String namespace, String key) {
        return (prefix + ":" + namespace + ":" + key).getBytes(StandardCharsets.UTF_8);
    }

    private byte[] key(String k) {
        return (prefix + k).getBytes(StandardCharsets.UTF_8);
    }

    private Jedis connection() {
        if (jedis == null || jedis.isBroken() || !jedis.isConnected()) {
            close();
            jedis = new Jedis(address, clientConfig);
        }
        return jedis;
    }

    @Override
    public List<byte[]> load(List<String> keys) {
        byte[][] raw = new byte[keys.size()][];
        for (int i = 0; i < raw.length; i++) {
            raw[i] = key(keys.get(i));
        }
        try {
            return connection().mget(raw);
        } catch (RuntimeException e) {
            close();
            throw e;
        }
    }

    @Override
    public void store(Map<String, byte[]> values, long ttlMs) {
        try {
            Pipeline p = connection().pipelined();
            SetParams expiry = SetParams.setParams().px(ttlMs);
            values.forEach((k, bytes) -> p.set(key(k), bytes, expiry));
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
