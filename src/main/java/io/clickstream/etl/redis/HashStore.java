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

    /**
     * Sets and deletes fields of each key, and makes each key expire {@code ttlMs} after this write. An update is
     * applied only to a hash that exists, so that a key that vanished behind the writer's cache (expired, evicted,
     * deleted by hand) never becomes a partial record: those keys are returned, and the caller writes them whole.
     */
    List<String> write(Map<String, Changes> changes, long ttlMs) throws Exception;

    /**
     * Deletes {@code key}'s hash if it holds nothing written after {@code erasedAt} (its field {@value #RECORD_TIME}
     * is at most that, or missing), and the plain keys {@code others}; one round trip. Returns whether the hash was
     * deleted.
     */
    boolean deleteUpTo(String key, long erasedAt, List<String> others) throws Exception;

    /** The field in which a hash keeps the newest record time (epoch ms, in ASCII digits) of the inputs it holds. */
    String RECORD_TIME = "t";

    /** A hash to read, and the keys of the older layout to read when it does not exist. */
    record Lookup(String key, List<String> olderKeys) {}

    /** A hash's fields (empty when it does not exist) and then the values of its lookup's older keys. */
    record Hash(Map<String, byte[]> fields, List<byte[]> olderValues) {}

    /** How a write treats the hash already there. */
    enum Mode {
        /** Changes a hash that exists; a key that does not is left alone and returned. */
        UPDATE,
        /** These fields replace the hash. */
        REPLACE,
        /** Sets and deletes fields, creating the hash if needed (an index, not a record). */
        MERGE
    }

    /** The fields to set and to delete in one key's hash, and how. */
    record Changes(Map<String, byte[]> set, List<String> delete, Mode mode) {
        public Changes(Map<String, byte[]> set, List<String> delete) {
            this(set, delete, Mode.UPDATE);
        }

        public boolean whole() {
            return mode == Mode.REPLACE;
        }

        public boolean isEmpty() {
            return set.isEmpty() && delete.isEmpty() && mode != Mode.REPLACE;
        }
    }

    @FunctionalInterface
    interface Factory extends RedisStore.Factory<HashStore> {}
}
