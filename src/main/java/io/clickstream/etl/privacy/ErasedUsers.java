package io.clickstream.etl.privacy;

import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

/**
 * The users {@code tools.Erase} removed, with the time of each erasure, as one Redis hash ({@value #KEY} under the key
 * prefix: field = stored user id, value = epoch ms). The per-user step reads it every
 * {@code privacy.erasure-check-interval}: an event of an erased user timed at or before the erasure (a replay of
 * old offsets, an upload of old events) is left out, so an erasure is not undone by reading Kafka again; events after it are a new
 * start. Users erased since the last read are also forgotten from the step's cache, which would otherwise write
 * their state back.
 */
public final class ErasedUsers {
    public static final String KEY = "erased";

    private final long checkIntervalMs;
    private Map<String, Long> erasedAt = Map.of();
    private long readAt = Long.MIN_VALUE;

    public ErasedUsers(long checkIntervalMs) {
        this.checkIntervalMs = checkIntervalMs;
    }

    public boolean due(long now) {
        return readAt == Long.MIN_VALUE || now - readAt >= checkIntervalMs;
    }

    /** Takes the hash as read at {@code now}; returns the users erased (again) since the last read. */
    public Set<String> update(Map<String, byte[]> fields, long now) {
        Map<String, Long> next = new HashMap<>();
        Set<String> changed = new HashSet<>();
        for (Map.Entry<String, byte[]> f : fields.entrySet()) {
            long at;
            try {
                at = Long.parseLong(new String(f.getValue(), StandardCharsets.UTF_8).trim());
            } catch (NumberFormatException e) {
                throw new IllegalStateException(
                        "the erasure record of user " + f.getKey() + " in hash '" + KEY
                                + "' is not a time in epoch ms: written by something other than tools.Erase? Fix or remove the field");
            }
            next.put(f.getKey(), at);
            Long before = erasedAt.get(f.getKey());
            if (before == null || before != at) {
                changed.add(f.getKey());
            }
        }
        erasedAt = next;
        readAt = now;
        return changed;
    }

    /** Whether an event of {@code user} at {@code eventTime} was erased. */
    public boolean covers(String user, long eventTime) {
        Long at = erasedAt.get(user);
        return at != null && eventTime <= at;
    }

    public int size() {
        return erasedAt.size();
    }
}
