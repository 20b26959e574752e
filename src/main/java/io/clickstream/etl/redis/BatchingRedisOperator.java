package io.clickstream.etl.redis;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.Histogram;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.runtime.metrics.DescriptiveStatisticsHistogram;
import org.apache.flink.streaming.api.operators.AbstractStreamOperator;
import org.apache.flink.streaming.api.operators.BoundedOneInput;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The common frame of the operators that keep state in Redis (sessions, funnels, joins): events are processed in
 * batches ({@code batchSize} events or every {@code batchDelayMs}) so that a batch costs one read and one write
 * round trip, whatever its size. A batch is also completed before each checkpoint barrier and at the end of
 * input, so a checkpoint never covers an event that has not been emitted. Redis failures that pass (no connection,
 * a server loading or failing over) are retried with backoff while the task waits (back-pressure): no event leaves
 * without its state applied. A refusal that no retry mends (a wrong password, maxmemory reached, a key of another
 * type) and calls that keep timing out fail the job, with what to fix ({@link RedisErrors}).
 */
public abstract class BatchingRedisOperator<IN, OUT, S extends RedisStore> extends AbstractStreamOperator<OUT>
        implements BoundedOneInput {
    private static final long serialVersionUID = 1L;
    private static final Logger LOG = LoggerFactory.getLogger(BatchingRedisOperator.class);

    private final String metricGroup;
    private final RedisStore.Factory<S> storeFactory;
    protected final int batchSize;
    private final long batchDelayMs;
    private final long maxBackoffMs;

    protected transient S store;
    private transient List<IN> buffer;
    private transient StreamRecord<OUT> emitted;
    private transient MetricGroup metrics;
    private transient Counter roundTrips;
    private transient Counter redisFailures;
    private transient Histogram redisLatencyMs;
    private transient long eventsProcessed;

    protected BatchingRedisOperator(
            String metricGroup,
            RedisStore.Factory<S> storeFactory,
            int batchSize,
            long batchDelayMs,
            long maxBackoffMs) {
        this.metricGroup = metricGroup;
        this.storeFactory = storeFactory;
        this.batchSize = batchSize;
        this.batchDelayMs = batchDelayMs;
        this.maxBackoffMs = maxBackoffMs;
    }

    @Override
    public void open() throws Exception {
        super.open();
        store = storeFactory.open();
        buffer = new ArrayList<>(batchSize);
        emitted = new StreamRecord<>(null);
        metrics = getMetricGroup().addGroup(metricGroup);
        roundTrips = metrics.counter("redisRoundTrips");
        redisFailures = metrics.counter("redisFailures");
        redisLatencyMs = metrics.histogram("redisLatencyMs", new DescriptiveStatisticsHistogram(1000));
        metrics.gauge(
                "redisRoundTripsPerEvent",
                () -> eventsProcessed == 0 ? 0.0 : (double) roundTrips.getCount() / eventsProcessed);
        scheduleFlush();
    }

    /** This operator's metric group, for the subclass's own counters. */
    protected MetricGroup metrics() {
        return metrics;
    }

    private void scheduleFlush() {
        long now = getProcessingTimeService().getCurrentProcessingTime();
        getProcessingTimeService().registerTimer(now + batchDelayMs, t -> {
            flush();
            tick();
            scheduleFlush();
        });
    }

    /** Runs after each timed flush (every batch delay), also while no event comes. */
    protected void tick() throws Exception {}

    /** Adds an event to the current batch, completing the batch when it is full. */
    protected void add(IN event) throws Exception {
        buffer.add(event);
        if (buffer.size() >= batchSize) {
            flush();
        }
    }

    @Override
    public void prepareSnapshotPreBarrier(long checkpointId) throws Exception {
        flush();
    }

    @Override
    public void endInput() throws Exception {
        flush();
    }

    @Override
    public void finish() throws Exception {
        flush();
        super.finish();
    }

    @Override
    public void close() throws Exception {
        if (store != null) {
            store.close();
        }
        super.close();
    }

    /** Completes the current batch now. */
    protected void flush() throws Exception {
        if (buffer.isEmpty()) {
            return;
        }
        List<IN> batch = new ArrayList<>(buffer);
        buffer.clear();
        processBatch(batch);
        eventsProcessed += batch.size();
    }

    /** Applies the state to a batch and emits it; reads and writes go through {@link #withRetries}. */
    protected abstract void processBatch(List<IN> batch) throws Exception;

    protected void emit(OUT value) {
        output.collect(emitted.replace(value)); // the operators after this one take the value, never the record
    }

    /**
     * The job's failure for a stored value this version cannot read (an unknown format from a newer version, or
     * damaged bytes): never reset and overwritten, which would lose what a newer version or an operator needs.
     */
    protected IllegalStateException unreadable(String key, String what, IllegalArgumentException cause) {
        String name = store.describe(key);
        return new IllegalStateException(
                what + " under Redis key '" + name + "' cannot be read: " + cause.getMessage()
                        + ". Nothing was changed. Run the job version that wrote it, or delete the key (redis-cli DEL '"
                        + name + "') to start that state afresh.",
                cause);
    }

    /** One call to the store. */
    @FunctionalInterface
    protected interface RedisCall<T> {
        T call() throws Exception;
    }

    /** One round trip, retried until it succeeds (or fails the job, see the class comment). */
    protected <T> T withRetries(RedisCall<T> call) throws InterruptedException {
        long backoff = 100;
        int timeouts = 0;
        for (int attempt = 1; ; attempt++) {
            long start = System.nanoTime();
            try {
                T result = call.call();
                roundTrips.inc();
                redisLatencyMs.update(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start));
                return result;
            } catch (InterruptedException e) {
                throw e;
            } catch (Exception e) {
                redisFailures.inc();
                RedisErrors.Kind kind = RedisErrors.kind(e);
                if (kind == RedisErrors.Kind.TIMEOUT) {
                    timeouts++;
                }
                if (kind == RedisErrors.Kind.PERMANENT || timeouts >= RedisErrors.MAX_TIMEOUTS_IN_A_ROW) {
                    throw new IllegalStateException(
                            metricGroup + ": Redis call failed (attempt " + attempt + "): " + e + ". "
                                    + RedisErrors.advice(e),
                            e);
                }
                if (attempt == 1 || attempt % 10 == 0) {
                    LOG.warn(
                            "{}: Redis call failed (attempt {}), retrying in {} ms; events wait: {}",
                            metricGroup,
                            attempt,
                            backoff,
                            e.toString());
                }
                Thread.sleep(backoff);
                backoff = Math.min(backoff * 2, maxBackoffMs);
            }
        }
    }
}
