package io.clickstream.etl.redis;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The states a Redis-backed operator read or wrote last, least recently used dropped first. Only the operator's
 * task thread touches it, so a plain access-ordered {@link LinkedHashMap} does: Caffeine's concurrent bookkeeping
 * (read buffers, frequency sketch, maintenance on another thread) showed in profiles (docs/benchmarks.md) for a
 * cache that is never shared.
 */
public final class StateCache<K, V> {
    private final LinkedHashMap<K, V> map;

    public StateCache(long maxEntries) {
        int max = (int) Math.min(Integer.MAX_VALUE - 8, Math.max(1, maxEntries));
        this.map = new LinkedHashMap<>(16, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<K, V> eldest) {
                return size() > max;
            }
        };
    }

    /** The cached state, or null. */
    public V getIfPresent(K key) {
        return map.get(key);
    }

    public void put(K key, V value) {
        map.put(key, value);
    }

    public void remove(K key) {
        map.remove(key);
    }

    public int size() {
        return map.size();
    }
}
