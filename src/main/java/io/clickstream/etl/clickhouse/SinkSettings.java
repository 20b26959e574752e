package io.clickstream.etl.clickhouse;

import io.clickstream.etl.config.JobConfig;
import io.clickstream.etl.config.Options;

import java.io.Serializable;
import java.time.Duration;

/** The clickhouse.sink.* settings the writer needs. */
public final class SinkSettings implements Serializable {
    private static final long serialVersionUID = 1L;

    final int batchRows;
    final long batchBytes;
    final long flushIntervalMs;
    final long catchUpFlushIntervalMs;
    final long catchUpLagMs;
    final int maxInFlight;
    final RetryPolicy retryPolicy;
    /** Whether a catching-up writer keeps its partial batch in the checkpoint (clickhouse.sink.catch-up-hold). */
    final boolean catchUpHold;

    public SinkSettings(int batchRows, long batchBytes, Duration flushInterval, int maxInFlight, RetryPolicy retryPolicy) {
        this(batchRows, batchBytes, flushInterval, flushInterval, Duration.ZERO, maxInFlight, retryPolicy);
    }

    public SinkSettings(int batchRows, long batchBytes, Duration flushInterval, Duration catchUpFlushInterval,
                        Duration catchUpLag, int maxInFlight, RetryPolicy retryPolicy) {
        this(batchRows, batchBytes, flushInterval, catchUpFlushInterval, catchUpLag, false, maxInFlight, retryPolicy);
    }

    public SinkSettings(int batchRows, long batchBytes, Duration flushInterval, Duration catchUpFlushInterval,
                        Duration catchUpLag, boolean catchUpHold, int maxInFlight, RetryPolicy retryPolicy) {
        this.catchUpHold = catchUpHold;
        this.batchRows = batchRows;
        this.batchBytes = batchBytes;
        this.flushIntervalMs = flushInterval.toMillis();
        this.catchUpFlushIntervalMs = catchUpFlushInterval.toMillis();
        this.catchUpLagMs = catchUpLag.toMillis();
        this.maxInFlight = maxInFlight;
        this.retryPolicy = retryPolicy;
    }

    public static SinkSettings from(JobConfig config) {
        return new SinkSettings(config.get(Options.SINK_BATCH_ROWS), config.get(Options.SINK_BATCH_BYTES),
                config.get(Options.SINK_FLUSH_INTERVAL), config.get(Options.SINK_CATCH_UP_FLUSH_INTERVAL),
                config.get(Options.SINK_CATCH_UP_LAG), config.get(Options.SINK_CATCH_UP_HOLD),
                config.get(Options.SINK_MAX_IN_FLIGHT),
                new RetryPolicy(config.get(Options.SINK_MAX_RETRIES), config.get(Options.SINK_RETRY_BACKOFF),
                        config.get(Options.SINK_RETRY_MAX_BACKOFF)));
    }
}
