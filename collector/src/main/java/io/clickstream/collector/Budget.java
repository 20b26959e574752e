package io.clickstream.collector;

import java.util.concurrent.atomic.AtomicLong;

/**
 * What the collector holds in memory at once, in bytes: request bodies as they arrive and events until Kafka has
 * acknowledged them. A reservation beyond the limit is refused (the request gets 503), so the heap and the producer's
 * buffer never fill, whatever the clients send.
 */
final class Budget {
    private final long limit;
    private final AtomicLong used = new AtomicLong();

    Budget(long limit) {
        this.limit = limit;
    }

    /** Reserves {@code bytes} if they fit under the limit. */
    boolean tryReserve(long bytes) {
        while (true) {
            long now = used.get();
            if (now + bytes > limit) {
                return false;
            }
            if (used.compareAndSet(now, now + bytes)) {
                return true;
            }
        }
    }

    void release(long bytes) {
        used.addAndGet(-bytes);
    }

    long used() {
        return used.get();
    }

    long limit() {
        return limit;
    }
}
