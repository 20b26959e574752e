package io.clickstream.etl.clickhouse;

import static io.clickstream.etl.config.SanityChecks.positive;

import io.clickstream.etl.config.JobConfig;
import io.clickstream.etl.config.Options;
import java.io.Serializable;
import java.time.Duration;

/** Exponential backoff: initial, doubled per retry, capped; a fixed number of retries. */
public record RetryPolicy(int maxRetries, Duration initialBackoff, Duration maxBackoff) implements Serializable {

    public static RetryPolicy from(JobConfig config) {
        return new RetryPolicy(
                        config.get(Options.SINK_MAX_RETRIES),
                        config.get(Options.SINK_RETRY_BACKOFF),
                        config.get(Options.SINK_RETRY_MAX_BACKOFF))
                .sanityCheck();
    }

    /** Returns this, or throws naming the option whose value cannot work. */
    public RetryPolicy sanityCheck() {
        if (maxRetries < 0) {
            throw new IllegalArgumentException(
                    Options.SINK_MAX_RETRIES.key() + " must be 0 or more, not " + maxRetries);
        }
        positive(initialBackoff, Options.SINK_RETRY_BACKOFF);
        positive(maxBackoff, Options.SINK_RETRY_MAX_BACKOFF);
        if (maxBackoff.compareTo(initialBackoff) < 0) {
            throw new IllegalArgumentException(Options.SINK_RETRY_MAX_BACKOFF.key() + " (" + maxBackoff
                    + ") must be at least " + Options.SINK_RETRY_BACKOFF.key() + " (" + initialBackoff + ")");
        }
        return this;
    }

    /** Wait before retry number {@code retry} (1-based). */
    public long backoffMs(int retry) {
        long max = maxBackoff.toMillis();
        long backoff = initialBackoff.toMillis();
        for (int i = 1; i < retry && backoff < max; i++) {
            backoff *= 2;
        }
        return Math.min(backoff, max);
    }
}
