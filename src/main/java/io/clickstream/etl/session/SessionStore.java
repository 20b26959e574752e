package io.clickstream.etl.session;

import java.io.Serializable;
import java.util.List;
import java.util.Map;

/** Where user histories live between batches (Redis in production; a map in unit tests). Each call is one round trip. */
public interface SessionStore extends AutoCloseable {

    /** The stored histories of {@code userIds}, in their order; null where a user has none. */
    List<byte[]> load(List<String> userIds) throws Exception;

    /** Stores histories, each expiring {@code ttlMs} after this write. */
    void store(Map<String, byte[]> histories, long ttlMs) throws Exception;

    @Override
    void close();

    /** Opens a store inside the task; serializable so it travels with the job. */
    @FunctionalInterface
    interface Factory extends Serializable {
        SessionStore open();
    }
}
