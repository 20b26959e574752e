package io.clickstream.etl.kafka;

import java.util.function.LongSupplier;

/**
 * Whether one source reader is reading a backlog: the newest record it read since the last check was published at
 * least {@code lagMs} before the check. A check comes every {@value #POLLS_PER_CHECK} polls that left more records
 * waiting, and at every poll that did not (so a reader that caught up says so before it waits for data); a check
 * without records in between says "caught up" only when nothing was waiting. The clock is read at checks, not per
 * record.
 */
final class BacklogSignal {
    static final int POLLS_PER_CHECK = 1024;

    private final long lagMs;
    private long newest = Long.MIN_VALUE;
    private int polls;
    private boolean backlog;

    BacklogSignal(long lagMs) {
        this.lagMs = lagMs;
    }

    /** A record published at {@code timestamp} (Kafka's record time) was read. */
    void read(long timestamp) {
        if (timestamp > newest) {
            newest = timestamp;
        }
    }

    /** After a poll that left more records waiting or not; returns whether {@link #backlog()} changed. */
    boolean polled(boolean moreWaiting, LongSupplier clock) {
        if (moreWaiting && ++polls < POLLS_PER_CHECK) {
            return false;
        }
        polls = 0;
        boolean now;
        if (newest != Long.MIN_VALUE) {
            now = newest <= clock.getAsLong() - lagMs;
            newest = Long.MIN_VALUE;
        } else {
            now = moreWaiting && backlog; // records without a time say nothing; nothing waiting means caught up
        }
        boolean changed = now != backlog;
        backlog = now;
        return changed;
    }

    boolean backlog() {
        return backlog;
    }
}
