package io.clickstream.etl.clickhouse;

import java.io.Serializable;
import java.time.Duration;

/** Exponential backoff: initial, doubled per retry, capped; a fixed number of retries. */
public final class RetryPolicy implements Serializable {
    private static final long serialVersionUID = 1L;

    private final int maxRetries;
    private final long initialBackoffMs;
    private final long maxBackoffMs;

    public RetryPolicy(int maxRetries, Duration initialBackoff, Duration maxBackoff) {
        this.maxRetries = maxRetries;
        this.initialBackoffMs = initialBackoff.toMillis();
        this.maxBackoffMs = maxBackoff.toMillis();
    }

    public int maxRetries() {
        return maxRetries;
    }

    /** Wait before retry number {@code retry} (1-based). */
    public long backoffMs(int retry) {
        long backoff = initialBackoffMs;
        for (int i = 1; i < retry && backoff < maxBackoffMs; i++) {
            backoff *= 2;
        }
        return Math.min(backoff, maxBackoffMs);
    }
}
