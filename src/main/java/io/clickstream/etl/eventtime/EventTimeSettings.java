package io.clickstream.etl.eventtime;

import io.clickstream.etl.config.JobConfig;
import io.clickstream.etl.config.Options;
import java.io.Serializable;
import java.time.Duration;

/**
 * How the job puts events in time order (event-time.* settings): the disorder it waits for, when a quiet partition
 * stops holding the others back, and how far partitions may read ahead of each other.
 */
public record EventTimeSettings(
        Duration maxOutOfOrderness,
        Duration idleTimeout,
        Duration maxDrift,
        Duration alignmentUpdateInterval,
        boolean aligned,
        Duration maxSourceDelay)
        implements Serializable {

    public EventTimeSettings(
            Duration maxOutOfOrderness,
            Duration idleTimeout,
            Duration maxDrift,
            Duration alignmentUpdateInterval,
            boolean aligned) {
        this(maxOutOfOrderness, idleTimeout, maxDrift, alignmentUpdateInterval, aligned, Duration.ZERO);
    }

    /**
     * A partition that has delivered nothing yet is waited for at least this long before it stops holding the
     * watermark back: a slow first fetch must not let the other partitions' backlogs run ahead of it.
     */
    public static final Duration FIRST_RECORD_GRACE = Duration.ofSeconds(10);

    public static EventTimeSettings from(JobConfig config) {
        // A bounded run reads without alignment: Flink's Kafka connector (5.0.0) fails the job when alignment pauses a
        // partition that has just reached its end (FLINK-39728, fixed after that release). Unbounded partitions never
        // end. Without alignment the order stays right; only the events held while topics are read at different
        // speeds are not bounded by max-drift.
        return new EventTimeSettings(
                        config.get(Options.EVENT_TIME_OUT_OF_ORDERNESS),
                        config.get(Options.EVENT_TIME_IDLE_TIMEOUT),
                        config.get(Options.EVENT_TIME_MAX_DRIFT),
                        config.get(Options.EVENT_TIME_ALIGNMENT_INTERVAL),
                        !config.get(Options.KAFKA_BOUNDED),
                        config.get(Options.EVENT_TIME_MAX_SOURCE_DELAY))
                .sanityCheck();
    }

    public EventTimeSettings sanityCheck() {
        if (maxOutOfOrderness.isNegative()) {
            throw new IllegalArgumentException(
                    "event-time.max-out-of-orderness must be 0 or more: " + maxOutOfOrderness);
        }
        if (idleTimeout.isNegative() || idleTimeout.isZero()) {
            throw new IllegalArgumentException("event-time.idle-timeout must be more than zero: " + idleTimeout);
        }
        if (maxDrift.compareTo(maxOutOfOrderness) < 0) {
            throw new IllegalArgumentException("event-time.max-drift (" + maxDrift + ") must be at least "
                    + "event-time.max-out-of-orderness (" + maxOutOfOrderness + "): otherwise partitions pause before "
                    + "their events are even due");
        }
        if (maxSourceDelay.isNegative()
                || (!maxSourceDelay.isZero() && maxSourceDelay.compareTo(maxOutOfOrderness) < 0)) {
            throw new IllegalArgumentException("event-time.max-source-delay must be 0 (no bound) or at least "
                    + "event-time.max-out-of-orderness (" + maxOutOfOrderness + "): " + maxSourceDelay);
        }
        if (alignmentUpdateInterval.isNegative() || alignmentUpdateInterval.isZero()) {
            throw new IllegalArgumentException(
                    "event-time.alignment-update-interval must be more than zero: " + alignmentUpdateInterval);
        }
        return this;
    }

    /** The watermark that a reader with event times up to {@code time} may emit. */
    long watermarkFor(long time) {
        return time - maxOutOfOrderness.toMillis() - 1;
    }
}
