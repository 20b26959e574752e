package io.clickstream.etl.redis;

import io.clickstream.etl.config.JobConfig;
import io.clickstream.etl.config.Options;
import java.io.Serializable;
import java.util.Map;

/** Where Redis is and how to log in; the password comes from the environment or a file, never the config text. */
public record RedisSettings(String host, int port, String user, String password, int timeoutMs, String keyPrefix)
        implements Serializable {

    public static RedisSettings from(JobConfig config, Map<String, String> env) {
        return new RedisSettings(
                config.get(Options.REDIS_HOST),
                config.get(Options.REDIS_PORT),
                config.get(Options.REDIS_USER),
                config.redisPassword(env),
                (int) config.get(Options.REDIS_TIMEOUT).toMillis(),
                config.get(Options.REDIS_KEY_PREFIX));
    }

    public BlobStore.Factory store(String namespace) {
        RedisSettings self = this;
        return () -> new RedisBlobStore(self, namespace);
    }

    /** The per-user hashes ({@code user:<id>}) and, for reading, the values of the layout before them. */
    public HashStore.Factory users() {
        RedisSettings self = this;
        return () -> new RedisHashStore(self);
    }

    @Override
    public String toString() {
        return "RedisSettings[" + host + ":" + port + ", user=" + user + ", prefix=" + keyPrefix + "]";
    }
}
