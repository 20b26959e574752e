package io.clickstream.etl.testing;

import io.clickstream.etl.redis.BlobStore;
import redis.clients.jedis.exceptions.JedisConnectionException;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

/** Redis in a map for unit tests; counts calls (round trips) and can fail the next n calls. */
public final class FakeBlobStore implements BlobStore {
    public final Map<String, byte[]> data = new ConcurrentHashMap<>();
    public final AtomicInteger calls = new AtomicInteger();
    public final AtomicInteger failNext = new AtomicInteger();
    public final AtomicInteger failures = new AtomicInteger();
    /** What a failing call throws: by default what Jedis throws when Redis is down. */
    public volatile Supplier<RuntimeException> failure = () -> new JedisConnectionException("Redis is down");

    private void maybeFail() {
        if (failNext.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
            failures.incrementAndGet();
            throw failure.get();
        }
        calls.incrementAndGet();
    }

    @Override
    public List<byte[]> load(List<String> userIds) {
        maybeFail();
        List<byte[]> out = new ArrayList<>();
        userIds.forEach(u -> out.add(data.get(u)));
        return out;
    }

    @Override
    public void store(Map<String, byte[]> histories, long ttlMs) {
        maybeFail();
        data.putAll(histories);
    }

    @Override
    public void close() {}
}
