package io.clickstream.etl.testing;

import io.clickstream.etl.redis.HashStore;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import redis.clients.jedis.exceptions.JedisConnectionException;

/**
 * Redis hashes (and plain values of the older layout) in maps for unit tests; counts calls (round trips) and the
 * bytes written, and can fail the next n calls.
 */
public final class FakeHashStore implements HashStore {
    public final Map<String, Map<String, byte[]>> hashes = new ConcurrentHashMap<>();
    public final Map<String, byte[]> values = new ConcurrentHashMap<>();
    public final AtomicInteger calls = new AtomicInteger();
    public final AtomicLong bytesWritten = new AtomicLong();
    public final AtomicInteger failNext = new AtomicInteger();
    public final AtomicInteger failures = new AtomicInteger();
    /** The changes of every write, in order. */
    public final List<Map<String, Changes>> writes = new ArrayList<>();
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
    public List<Hash> load(List<Lookup> lookups) {
        maybeFail();
        List<Hash> out = new ArrayList<>();
        for (Lookup l : lookups) {
            Map<String, byte[]> fields = new LinkedHashMap<>(hashes.getOrDefault(l.key(), Map.of()));
            List<byte[]> older = new ArrayList<>();
            if (fields.isEmpty()) {
                l.olderKeys().forEach(k -> older.add(values.get(k)));
            }
            out.add(new Hash(fields, older));
        }
        return out;
    }

    @Override
    public List<byte[]> loadValues(List<String> keys) {
        maybeFail();
        List<byte[]> out = new ArrayList<>();
        keys.forEach(k -> out.add(values.get(k)));
        return out;
    }

    @Override
    public synchronized List<String> write(Map<String, Changes> changes, long ttlMs) {
        maybeFail();
        List<String> missing = new ArrayList<>();
        changes.forEach((key, c) -> {
            if (c.mode() == Mode.UPDATE && !hashes.containsKey(key)) {
                missing.add(key); // never a partial record where the hash vanished
                return;
            }
            if (c.mode() == Mode.REPLACE) {
                hashes.remove(key);
            }
            Map<String, byte[]> hash = hashes.computeIfAbsent(key, k -> new ConcurrentHashMap<>());
            c.set().forEach((field, value) -> {
                hash.put(field, value);
                bytesWritten.addAndGet(field.length() + value.length);
            });
            c.delete().forEach(hash::remove);
            if (hash.isEmpty()) {
                hashes.remove(key);
            }
        });
        writes.add(changes);
        return missing;
    }

    @Override
    public synchronized boolean deleteUpTo(String key, long erasedAt, List<String> others) {
        maybeFail();
        others.forEach(values::remove);
        Map<String, byte[]> hash = hashes.get(key);
        byte[] t = hash == null ? null : hash.get(RECORD_TIME);
        if (hash != null
                && (t == null
                        || Long.parseLong(new String(t, java.nio.charset.StandardCharsets.US_ASCII)) <= erasedAt)) {
            hashes.remove(key);
            return true;
        }
        return false;
    }

    @Override
    public void close() {}
}
