package io.clickstream.etl.parse;

import io.clickstream.etl.event.DeadLetter;
import io.clickstream.etl.event.Event;
import io.clickstream.etl.event.RejectReason;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.Map;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.streaming.api.functions.ProcessFunction;
import org.apache.flink.util.Collector;
import org.apache.flink.util.OutputTag;

/**
 * Splits the parsed records (parsing itself happens in the source, which needs the event times): valid events go
 * downstream, rejected ones to {@link #DEAD_LETTERS} with their reason; counts both.
 */
public class ParseEventsFunction extends ProcessFunction<ParsedRecord, Event> {
    private static final long serialVersionUID = 1L;

    public static final OutputTag<DeadLetter> DEAD_LETTERS = new OutputTag<>("dead-letters") {};

    /** 'source' is producer input: cap the number of per-source counters so a bad producer cannot flood metrics. */
    static final int MAX_SOURCE_COUNTERS = 50;

    static final String OTHER_SOURCES = "_other";

    private transient Counter eventsIn;
    private transient Counter eventsValid;
    private transient Map<RejectReason, Counter> invalidByReason;
    private transient Map<String, Counter> eventsBySource;
    private transient MetricGroup sourceGroup;
    private transient DeclaredErrorCounters declaredErrors;

    @Override
    public void open(OpenContext openContext) {
        MetricGroup metrics = getRuntimeContext().getMetricGroup();
        eventsIn = metrics.counter("eventsIn");
        eventsValid = metrics.counter("eventsValid");
        MetricGroup invalid = metrics.addGroup("invalidEvents");
        invalidByReason = new EnumMap<>(RejectReason.class);
        for (RejectReason r : RejectReason.values()) {
            invalidByReason.put(r, invalid.counter(r.code()));
        }
        sourceGroup = metrics.addGroup("eventsBySource");
        eventsBySource = new HashMap<>();
        declaredErrors = new DeclaredErrorCounters(metrics);
    }

    private Counter sourceCounter(String source) {
        Counter counter = eventsBySource.get(source);
        if (counter == null) {
            if (eventsBySource.size() >= MAX_SOURCE_COUNTERS) {
                // Not remembered: a producer sending a new source per event would grow the map without end.
                return eventsBySource.computeIfAbsent(OTHER_SOURCES, sourceGroup::counter);
            }
            counter = sourceGroup.counter(source);
            eventsBySource.put(source, counter);
        }
        return counter;
    }

    /** Sources with a counter of their own (or the "other" one): at most {@link #MAX_SOURCE_COUNTERS} + 1. */
    int countedSources() {
        return eventsBySource.size();
    }

    @Override
    public void processElement(ParsedRecord record, Context ctx, Collector<Event> out) {
        eventsIn.inc();
        if (record.isValid()) {
            eventsValid.inc();
            sourceCounter(record.event.source).inc();
            declaredErrors.count(record.event);
            out.collect(record.event);
        } else {
            invalidByReason.get(record.reason).inc();
            ctx.output(DEAD_LETTERS, record.deadLetter);
        }
    }
}
