package io.clickstream.etl.cache;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;

/**
 * What a task looked up or computed last (per-user states, geo answers, parsed user agents), up to a size; beyond it
 * one that was not used again since the last sweep is dropped (CLOCK, an approximation of least recently used). Only
 * the task's own thread touches it. Not an access-ordered {@code LinkedHashMap}: that relinks an entry on every read, and with a cache of 100,000
 * long-lived entries each relink is a reference written into the old generation, which G1 tracks card by card
 * (docs/benchmarks.md, issue 27). A hit here sets a boolean; a full cache reuses the dropped entry's slot.
 */
public final class StateCache<K, V> {
    private static final class Slot<K, V> {
        K key;
        V value;
        /** Used again since the hand last passed. */
        boolean used;
    }

    private final int max;
    private final HashMap<K, Slot<K, V>> map = new HashMap<>();
    private final List<Slot<K, V>> ring = new ArrayList<>();
    /** Slots emptied by {@link #remove}, to fill before the ring grows or anything is dropped. */
    private final List<Slot<K, V>> free = new ArrayList<>();

    private int hand;

    public StateCache(long maxEntries) {
        this.max = (int) Math.min(Integer.MAX_VALUE - 8, Math.max(1, maxEntries));
    }

    /** The cached state, or null. */
    public V getIfPresent(K key) {
        Slot<K, V> s = map.get(key);
        if (s == null) {
            return null;
        }
        if (!s.used) {
            s.used = true;
        }
        return s.value;
    }

    public void put(K key, V value) {
        Slot<K, V> s = map.get(key);
        if (s != null) {
            if (s.value != value) {
                s.value = value;
            }
            if (!s.used) {
                s.used = true;
            }
            return;
        }
        if (!free.isEmpty()) {
            s = free.remove(free.size() - 1);
        } else if (ring.size() < max) {
            s = new Slot<>();
            ring.add(s);
        } else {
            s = victim();
            map.remove(s.key);
        }
        s.key = key;
        s.value = value;
        s.used = false; // a new entry survives a sweep only if it is used again
        map.put(key, s);
    }

    public void remove(K key) {
        Slot<K, V> s = map.remove(key);
        if (s != null) {
            s.key = null;
            s.value = null;
            s.used = false;
            free.add(s);
        }
    }

    /** Drops everything (the source of the answers changed). */
    public void clear() {
        map.clear();
        ring.clear();
        free.clear();
        hand = 0;
    }

    public int size() {
        return map.size();
    }

    /** The first slot the hand finds not used since it last passed (clearing the marks it passes). */
    private Slot<K, V> victim() {
        while (true) {
            Slot<K, V> s = ring.get(hand);
            hand = hand + 1 == ring.size() ? 0 : hand + 1;
            if (s.used) {
                s.used = false;
            } else {
                return s;
            }
        }
    }
}
