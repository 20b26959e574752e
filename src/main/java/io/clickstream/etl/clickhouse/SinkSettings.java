package io.clickstream.etl.clickhouse;

import static io.clickstream.etl.config.SanityChecks.positive;

import io.clickstream.etl.config.JobConfig;
import io.clickstream.etl.config.Options;
import java.io.Serializable;
import java.time.Duration;

/**
 * How a ClickHouse sink batches, sends and retries: the clickhouse.sink.* options. Built from the job's options in
 * {@link #from}; {@link #sanityCheck} names the option of a value that cannot work.
 *
 * @param catchUpFlushInterval the age a batch may reach while the job catches up; at or below {@code flushInterval}
 *     catch-up batching is off
 * @param catchUpHold whether a catching-up writer keeps its partial batch in the checkpoint
 */
public record SinkSettings(
        int batchRows,
        long batchBytes,
        Duration flushInterval,
        Duration catchUpFlushInterval,
        Duration catchUpLag,
        boolean catchUpHold,
        int maxInFlight,
        RetryPolicy retryPolicy)
        implements Serializable {

    public static SinkSettings from(JobConfig config) {
        return new SinkSettings(
                        config.get(Options.SINK_BATCH_ROWS),
                        config.get(Options.SINK_BATCH_BYTES),
                        config.get(Options.SINK_FLUSH_INTERVAL),
                        config.get(Options.SINK_CATCH_UP_FLUSH_INTERVAL),
                        config.get(Options.SINK_CATCH_UP_LAG),
                        config.get(Options.SINK_CATCH_UP_HOLD),
                        config.get(Options.SINK_MAX_IN_FLIGHT),
                        RetryPolicy.from(config))
                .sanityCheck();
    }

    /** Returns this, or throws naming the option whose value cannot work. */
    public SinkSettings sanityCheck() {
        positive(batchRows, Options.SINK_BATCH_ROWS);
        positive(batchBytes, Options.SINK_BATCH_BYTES);
        positive(flushInterval, Options.SINK_FLUSH_INTERVAL);
        positive(catchUpFlushInterval, Options.SINK_CATCH_UP_FLUSH_INTERVAL);
        positive(catchUpLag, Options.SINK_CATCH_UP_LAG);
        positive(maxInFlight, Options.SINK_MAX_IN_FLIGHT);
        if (retryPolicy == null) {
            throw new IllegalArgumentException("the retry policy (" + Options.SINK_MAX_RETRIES.key() + ", "
                    + Options.SINK_RETRY_BACKOFF.key() + ") is missing");
        }
        retryPolicy.sanityCheck();
        return this;
    }
}
