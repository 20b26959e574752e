package io.clickstream.etl.parse;

import io.clickstream.etl.event.DeadLetter;
import io.clickstream.etl.event.Event;
import io.clickstream.etl.event.RawEvent;
import io.clickstream.etl.event.RejectReason;
import io.clickstream.etl.eventtime.EventTimeWatermarks;

/**
 * A Kafka record after parsing: the event, or the dead letter and reason that say why not. Parsing happens in the
 * source because the source needs the event time (per-partition watermarks); {@link ParseEventsFunction} splits
 * the two. A Flink POJO.
 */
public class ParsedRecord {
    /** What the source's watermarks need of a record. */
    public static final EventTimeWatermarks.Times<ParsedRecord> TIMES = times(null);

    /**
     * The times of records read from the job's topics; {@code backfillTopic} (null: none) holds history, whose
     * publish time says nothing of how late the source is.
     */
    public static EventTimeWatermarks.Times<ParsedRecord> times(String backfillTopic) {
        return new EventTimeWatermarks.Times<>() {
            private static final long serialVersionUID = 1L;

            @Override
            public long eventTime(ParsedRecord r) {
                return r.eventTime();
            }

            @Override
            public long watermarkTime(ParsedRecord r) {
                return r.watermarkTime();
            }

            @Override
            public long publishTime(ParsedRecord r) {
                return r.event == null
                                || r.event.kafkaTimestamp <= 0
                                || (backfillTopic != null && backfillTopic.equals(r.event.kafkaTopic))
                        ? Long.MIN_VALUE
                        : r.event.kafkaTimestamp;
            }
        };
    }

    public Event event;
    public DeadLetter deadLetter;
    public RejectReason reason;

    public ParsedRecord() {}

    public static ParsedRecord of(RawEvent raw, ParseResult result) {
        ParsedRecord r = new ParsedRecord();
        if (result.isValid()) {
            r.event = result.event();
        } else {
            r.reason = result.reason();
            r.deadLetter = DeadLetter.of(raw, result.reason().code(), result.detail());
        }
        return r;
    }

    public boolean isValid() {
        return event != null;
    }

    /** The event time, or the record time for a dead letter (which takes no part in event time). */
    public long eventTime() {
        return event != null ? event.eventTime : deadLetter.timestamp;
    }

    /** The event time this record proves its partition has reached ({@link Event#vouchedTime}); none for a dead letter. */
    public long watermarkTime() {
        return event == null ? Long.MIN_VALUE : event.vouchedTime();
    }
}
