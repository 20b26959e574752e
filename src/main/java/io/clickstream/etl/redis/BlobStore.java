package io.clickstream.etl.redis;

import java.util.List;
import java.util.Map;

/** One binary value per key: the values of the join rules keyed by a field other than the user. Each call is one round trip. */
public interface BlobStore extends RedisStore {

    /** The stored values of {@code keys}, in their order; null where a key has none. */
    List<byte[]> load(List<String> keys) throws Exception;

    /** Stores values, each expiring {@code ttlMs} after this write. */
    void store(Map<String, byte[]> values, long ttlMs) throws Exception;

    @FunctionalInterface
    interface Factory extends RedisStore.Factory<BlobStore> {}
}
