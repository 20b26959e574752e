package io.clickstream.etl.redis;

import java.io.Serializable;

/** Where a batching operator keeps its state between batches: Redis in production, maps in unit tests. */
public interface RedisStore extends AutoCloseable {

    /** The name under which {@code key} is stored, for messages (the Redis key with its prefix). */
    default String describe(String key) {
        return key;
    }

    @Override
    void close();

    /** Opens a store inside the task; serializable so it travels with the job. */
    @FunctionalInterface
    interface Factory<S extends RedisStore> extends Serializable {
        S open();
    }
}
