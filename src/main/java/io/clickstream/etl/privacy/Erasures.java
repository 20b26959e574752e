package io.clickstream.etl.privacy;

import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;

/**
 * The users erased by {@code tools.Erase}, as read from the erasure list up to some position: each stored user id
 * with the time its erasure covers up to (epoch ms) and the list position ({@link #version}) that recorded it.
 * Immutable; the log hands out a new one when the list changes.
 *
 * <p>An erasure covers every input of the user whose <em>record time</em> (the Kafka timestamp, the clock the job
 * and the eraser share) is at or before its time: a replay of old offsets is left out, an event the user sends after
 * it is a new start.
 */
public final class Erasures {
    public static final Erasures NONE = new Erasures(Map.of(), 0);

    /** One user's erasure: what it covers up to, and the list position that recorded it. */
    public record Entry(long erasedAt, long version) {}

    private final Map<String, Entry> byUser;
    private final long version;

    private Erasures(Map<String, Entry> byUser, long version) {
        this.byUser = byUser;
        this.version = version;
    }

    /** The list read up to {@code version} (exclusive: the next position to read). */
    public long version() {
        return version;
    }

    public boolean isEmpty() {
        return byUser.isEmpty();
    }

    public int size() {
        return byUser.size();
    }

    /** Whether an input of {@code user} published at {@code recordTime} is erased. */
    public boolean covers(String user, long recordTime) {
        if (byUser.isEmpty()) {
            return false;
        }
        Entry e = byUser.get(user);
        return e != null && recordTime <= e.erasedAt();
    }

    /** The erasure of {@code user}, or null. */
    public Entry of(String user) {
        return byUser.get(user);
    }

    /** The users whose erasure was recorded at or after list position {@code version}. */
    public Set<String> recordedSince(long version) {
        Set<String> out = new LinkedHashSet<>();
        byUser.forEach((user, e) -> {
            if (e.version() >= version) {
                out.add(user);
            }
        });
        return out;
    }

    public Map<String, Entry> entries() {
        return Collections.unmodifiableMap(byUser);
    }

    /** Builds the next list from this one, record by record, in list order. */
    public Builder toBuilder() {
        return new Builder(this);
    }

    public static final class Builder {
        private final Map<String, Entry> byUser;
        private long version;

        private Builder(Erasures from) {
            this.byUser = new HashMap<>(from.byUser);
            this.version = from.version;
        }

        /** The record at {@code position}: an erasure (time in ms), or its removal ({@code erasedAt} null). */
        public Builder record(long position, String user, Long erasedAt) {
            if (erasedAt == null) {
                byUser.remove(user);
            } else {
                byUser.put(user, new Entry(erasedAt, position));
            }
            version = Math.max(version, position + 1);
            return this;
        }

        /** Read up to {@code next} (records skipped by compaction or without a user move it too). */
        public Builder readUpTo(long next) {
            version = Math.max(version, next);
            return this;
        }

        public Erasures build() {
            return new Erasures(Map.copyOf(byUser), version);
        }
    }
}
