package io.clickstream.etl.redis;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Binary values in Redis under {@code <prefix>:<namespace>:<key>} (namespace: join; the per-user state lives in
 * hashes, {@link RedisHashStore}), with a TTL refreshed on every write. Loads are one MGET, stores one script call:
 * one round trip and one command each per batch.
 */
public final class RedisBlobStore implements BlobStore {
    /**
     * All of a batch's writes as one command: a pipeline of SETs would be one round trip too, but one command per key
     * for Redis to parse and count. Redis caches the compiled script by its hash after the first call.
     */
    private static final byte[] SET_ALL =
            ("for i, k in ipairs(KEYS) do redis.call('SET', k, ARGV[i + 1], 'PX', ARGV[1]) end " + "return #KEYS")
                    .getBytes(StandardCharsets.UTF_8);

    private final RedisConnection connection;
    private final String prefix;

    public RedisBlobStore(RedisSettings settings, String namespace) {
        this.connection = new RedisConnection(settings);
        this.prefix = settings.keyPrefix() + ":" + namespace + ":";
    }

    public static byte[] key(String prefix, String namespace, String key) {
        return (prefix + ":" + namespace + ":" + key).getBytes(StandardCharsets.UTF_8);
    }

    @Override
    public String describe(String key) {
        return prefix + key;
    }

    private byte[] key(String k) {
        return (prefix + k).getBytes(StandardCharsets.UTF_8);
    }

    @Override
    public List<byte[]> load(List<String> keys) {
        byte[][] raw = new byte[keys.size()][];
        for (int i = 0; i < raw.length; i++) {
            raw[i] = key(keys.get(i));
        }
        if (connection.cluster()) {
            List<byte[]> out = new ArrayList<>(raw.length);
            for (byte[] k : raw) {
                out.add(connection.binary(jedis -> jedis.get(k)));
            }
            return out;
        }
        return connection.binary(jedis -> jedis.mget(raw));
    }

    @Override
    public void store(Map<String, byte[]> values, long ttlMs) {
        if (values.isEmpty()) {
            return;
        }
        List<byte[]> keys = new ArrayList<>(values.size());
        List<byte[]> args = new ArrayList<>(values.size() + 1);
        args.add(String.valueOf(ttlMs).getBytes(StandardCharsets.US_ASCII));
        values.forEach((k, bytes) -> {
            keys.add(key(k));
            args.add(bytes);
        });
        if (!connection.cluster()) {
            connection.binary(jedis -> jedis.eval(SET_ALL, keys, args));
            return;
        }
        List<List<byte[]>> groupKeys = new ArrayList<>();
        List<List<byte[]>> groupArgs = new ArrayList<>();
        RedisConnection.bySlot(keys).values().forEach(indexes -> {
            List<byte[]> k = new ArrayList<>(indexes.size());
            List<byte[]> a = new ArrayList<>(indexes.size() + 1);
            a.add(args.get(0));
            indexes.forEach(i -> {
                k.add(keys.get(i));
                a.add(args.get(i + 1));
            });
            groupKeys.add(k);
            groupArgs.add(a);
        });
        connection.evalEach(SET_ALL, groupKeys, groupArgs);
    }

    @Override
    public void close() {
        connection.close();
    }
}
