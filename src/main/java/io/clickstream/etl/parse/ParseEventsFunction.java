package io.clickstream.etl.parse;

import io.clickstream.etl.event.DeadLetter;
import io.clickstream.etl.event.Event;
import io.clickstream.etl.event.RawEvent;
import io.clickstream.etl.event.RejectReason;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.streaming.api.functions.ProcessFunction;
import org.apache.flink.util.Collector;
import org.apache.flink.util.OutputTag;

import java.util.EnumMap;
import java.util.HashMap;
import java.util.Map;

/**
 * Parses raw records; valid events go downstream, rejected ones to {@link #DEAD_LETTERS} with their reason.
 * Never throws for bad input: a bad record must not become a crash loop.
 */
public class ParseEventsFunction extends ProcessFunction<RawEvent, Event> {
    private static final long serialVersionUID = 1L;

    public static final OutputTag<DeadLetter> DEAD_LETTERS = new OutputTag<>("dead-letters") {};

    /** 'source' is producer input: cap the number of per-source counters so a bad producer cannot flood metrics. */
    static final int MAX_SOURCE_COUNTERS = 50;
    static final String OTHER_SOURCES = "_other";

    private final ParseLimits limits;
    private transient EventParser parser;
    private transient Counter eventsIn;
    private transient Counter eventsValid;
    private transient Map<RejectReason, Counter> invalidByReason;
    private transient Map<String, Counter> eventsBySource;
    private transient MetricGroup sourceGroup;

    public ParseEventsFunction(ParseLimits limits) {
        this.limits = limits;
    }

    @Override
    public void open(OpenContext openContext) {
        parser = new EventParser(limits);
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
    }

    private Counter sourceCounter(String source) {
        Counter counter = eventsBySource.get(source);
        if (counter == null) {
            String name = eventsBySource.size() < MAX_SOURCE_COUNTERS ? source : OTHER_SOURCES;
            counter = eventsBySource.computeIfAbsent(name, sourceGroup::counter);
            eventsBySource.put(source, counter);
        }
        return counter;
    }

    @Override
    public void processElement(RawEvent raw, Context ctx, Collector<Event> out) {
        eventsIn.inc();
        ParseResult result;
        try {
            result = parser.parse(raw);
        } catch (RuntimeException e) {
            // A parser bug must not turn one odd record into a restart loop: keep the record, count it, go on.
            result = ParseResult.rejected(RejectReason.PARSER_ERROR, e.toString());
        }
        if (result.isValid()) {
            eventsValid.inc();
            sourceCounter(result.event().source).inc();
            out.collect(result.event());
        } else {
            invalidByReason.get(result.reason()).inc();
            ctx.output(DEAD_LETTERS, DeadLetter.of(raw, result.reason().code(), result.detail()));
        }
    }
}
