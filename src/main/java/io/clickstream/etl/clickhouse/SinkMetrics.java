package io.clickstream.etl.clickhouse;

import java.util.concurrent.atomic.AtomicInteger;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.Histogram;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.runtime.metrics.DescriptiveStatisticsHistogram;

/** What the ClickHouse writer reports (web UI / REST, under the sink's operator, group "clickhouse"). */
final class SinkMetrics {
    final Counter batches;
    final Counter rows;
    final Counter bytes;
    final Counter retries;
    final Counter failures;
    final Counter rejectedRows;
    /** Rows at or below the insert marks of an earlier run, looked up in ClickHouse before sending. */
    final Counter replayCheckedRows;
    /** Of those, the rows found stored already and left out. */
    final Counter replaySkippedRows;
    /** Rows of erased users, from before their erasure (a replay, a restored buffer), left out. */
    final Counter erasedRows;

    final Histogram flushLatencyMs;
    /** Per batch: from the publish of its oldest input to the end of its insert (when the rows are queryable). */
    final Histogram endToEndLagMs;
    /**
     * Per batch: how late its newest row was (since its input's publish) when it reached the sink — what the job
     * before the sink adds, apart from the wait in the buffer and the insert.
     */
    final Histogram arrivalLagMs;

    final AtomicInteger bufferedRows = new AtomicInteger();
    final AtomicInteger inFlightBatches = new AtomicInteger();

    SinkMetrics(MetricGroup parent) {
        MetricGroup g = parent.addGroup("clickhouse");
        batches = g.counter("batches");
        rows = g.counter("rows");
        bytes = g.counter("bytes");
        retries = g.counter("retries");
        failures = g.counter("failures");
        rejectedRows = g.counter("rejectedRows");
        replayCheckedRows = g.counter("replayCheckedRows");
        replaySkippedRows = g.counter("replaySkippedRows");
        erasedRows = g.counter("erasedRows");
        flushLatencyMs = g.histogram("insertLatencyMs", new DescriptiveStatisticsHistogram(1000));
        endToEndLagMs = g.histogram("endToEndLagMs", new DescriptiveStatisticsHistogram(1000));
        arrivalLagMs = g.histogram("arrivalLagMs", new DescriptiveStatisticsHistogram(1000));
        g.gauge("bufferedRows", bufferedRows::get);
        g.gauge("inFlightBatches", inFlightBatches::get);
    }
}
