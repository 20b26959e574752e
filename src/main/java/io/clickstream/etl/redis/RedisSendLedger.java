package io.clickstream.etl.redis;

import io.clickstream.etl.deadletter.SendOnce;

/**
 * The ledger of refused rows' dead letters as one Redis hash, {@code <prefix>:rejected-rows}: a field per refused
 * input. No TTL: a replay may come long after; refused rows are rare (a row that passed validation and that
 * ClickHouse still would not take).
 */
public final class RedisSendLedger implements SendOnce.Ledger {
    private final RedisConnection connection;
    private final String key;

    public RedisSendLedger(RedisSettings settings) {
        this.connection = new RedisConnection(settings);
        this.key = settings.keyPrefix() + ":rejected-rows";
    }

    public static SendOnce.Ledger.Factory factory(RedisSettings settings) {
        return () -> new RedisSendLedger(settings);
    }

    @Override
    public String get(String field) {
        return connection.call(jedis -> jedis.hget(key, field));
    }

    @Override
    public void put(String field, String value) {
        connection.call(jedis -> jedis.hset(key, field, value));
    }

    @Override
    public void close() {
        connection.close();
    }
}
