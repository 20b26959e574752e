package io.clickstream.etl.testing;

import io.clickstream.etl.redis.BlobStore;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/** Redis values in a map for unit tests; counts calls (round trips). */
public final class FakeBlobStore implements BlobStore {
    public final Map<String, byte[]> data = new ConcurrentHashMap<>();
    public final AtomicInteger calls = new AtomicInteger();

    @Override
    public List<byte[]> load(List<String> keys) {
        calls.incrementAndGet();
        List<byte[]> out = new ArrayList<>();
        keys.forEach(k -> out.add(data.get(k)));
        return out;
    }

    @Override
    public void store(Map<String, byte[]> values, long ttlMs) {
        calls.incrementAndGet();
        data.putAll(values);
    }

    @Override
    public void close() {}
}
