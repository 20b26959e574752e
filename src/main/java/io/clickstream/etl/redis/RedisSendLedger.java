package io.clickstream.etl.redis;

import io.clickstream.etl.deadletter.SendOnce;

/**
 * The ledger of refused rows' dead letters: a key per refused input, {@code <prefix>:rejected-rows:<input>}, that
 * expires after {@code ttlMs} (redis.rejected-rows-ttl: as long as a replay of that input may come, i.e. as long as
 * Kafka keeps the topics). Refused rows are rare (a row that passed validation and that ClickHouse still would not
 * take). The earlier layout's one hash without a TTL ({@code <prefix>:rejected-rows}) is still read.
 */
public final class RedisSendLedger implements SendOnce.Ledger {
    private final RedisConnection connection;
    private final String key;
    private final long ttlMs;

    public RedisSendLedger(RedisSettings settings, long ttlMs) {
        this.connection = new RedisConnection(settings);
        this.key = settings.keyPrefix() + ":rejected-rows";
        this.ttlMs = ttlMs;
    }

    public static SendOnce.Ledger.Factory factory(RedisSettings settings, long ttlMs) {
        return () -> new RedisSendLedger(settings, ttlMs);
    }

    @Override
    public String get(String field) {
        String value = connection.call(jedis -> jedis.get(key + ":" + field));
        return value != null ? value : connection.call(jedis -> jedis.hget(key, field));
    }

    @Override
    public void put(String field, String value) {
        connection.call(jedis -> jedis.psetex(key + ":" + field, ttlMs, value));
    }

    @Override
    public void close() {
        connection.close();
    }
}
