package io.clickstream.etl.redis;

import java.util.function.Function;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.Jedis;

/** One Redis connection per task, replaced on the next call after it failed. Not thread-safe. */
public final class RedisConnection implements AutoCloseable {
    private final HostAndPort address;
    private final DefaultJedisClientConfig clientConfig;
    private Jedis jedis;

    public RedisConnection(RedisSettings settings) {
        this.address = new HostAndPort(settings.host(), settings.port());
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
        this.clientConfig = b.build();
    }

    /** Runs one call; a failure drops the connection, so the next call (a retry) starts on a fresh one. */
    public <R> R call(Function<Jedis, R> command) {
        if (jedis == null || jedis.isBroken() || !jedis.isConnected()) {
            close();
            jedis = new Jedis(address, clientConfig);
        }
        try {
            return command.apply(jedis);
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
