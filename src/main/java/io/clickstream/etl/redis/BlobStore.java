package io.clickstream.etl.redis;

import java.io.Serializable;
import java.util.List;
import java.util.Map;

/**
 * Where per-key state lives between batches (Redis in production; a map in unit tests): sessions per user,
 * funnel progress per session, joined values per key. Each call is one round trip.
 */
public interface BlobStore extends AutoCloseable {

    /** The stored values of {@code keys}, in their order; null where a key has none. */
    List<byte[]> load(List<String> keys) throws Exception;

    /** Stores values, each expiring {@code ttlMs} after this write. */
    void store(Map<String, byte[]> values, long ttlMs) throws Exception;

    /** The name under which {@code key} is stored, for messages (the Redis key with its prefix). */
    default String describe(String key) {
        return key;
    }

    @Override
    void close();

    /** Opens a store inside the task; serializable so it travels with the job. */
    @FunctionalInterface
    interface Factory extends Serializable {
        BlobStore open();
    }
}
