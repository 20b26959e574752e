package io.clickstream.etl.redis;

import java.util.List;
import java.util.Map;

/**
 * One hash per key: the state of a user as fields (a header, a field per session, per session's funnel progress,
 * per join rule), so that a batch writes the fields it changed rather than the user's whole state. Keys are given
 * with their namespace ({@code user:<id>}; {@code session:<id>} for a value of the older layout). Each call is one
 * round trip.
 */
public interface HashStore extends RedisStore {

    /**
     * The fields of each looked-up key's hash, in the lookups' order; for a key without a hash, the plain values under
     * its older keys instead (the layout before hashes; null where none), so that a new user costs no second trip.
     */
    List<Hash> load(List<Lookup> lookups) throws Exception;

    /** Plain values under {@code keys} (the layout before hashes), in their order; null where a key has none. */
    List<byte[]> loadValues(List<String> keys) throws Exception;

    /** Sets and deletes fields of each key, and makes each key expire {@code ttlMs} after this write. */
    void write(Map<String, Changes> changes, long ttlMs) throws Exception;

    /** A hash to read, and the keys of the older layout to read when it does not exist. */
    record Lookup(String key, List<String> olderKeys) {}

    /** A hash's fields (empty when it does not exist) and then the values of its lookup's older keys. */
    record Hash(Map<String, byte[]> fields, List<byte[]> olderValues) {}

    /** The fields to set and to delete in one key's hash. */
    record Changes(Map<String, byte[]> set, List<String> delete) {
        public boolean isEmpty() {
            return set.isEmpty() && delete.isEmpty();
        }
    }

    @FunctionalInterface
    interface Factory extends RedisStore.Factory<HashStore> {}
}
