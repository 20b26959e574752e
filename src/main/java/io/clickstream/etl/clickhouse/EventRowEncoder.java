package io.clickstream.etl.clickhouse;

import io.clickstream.etl.event.Event;
import java.util.List;

/**
 * The columns of the events table (sql/V001__events.sql) the job writes, and their RowBinary encoding. The
 * column list is sent with every insert, so the table may carry more columns (with defaults) than these.
 */
public final class EventRowEncoder implements RowEncoder<Event> {
    private static final long serialVersionUID = 1L;

    static final List<String> COLUMNS = List.of(
            "dt",
            "ts",
            "ts_ms",
            "event_id",
            "user_id",
            "event_type",
            "source",
            "url",
            "referrer",
            "ip",
            "user_agent",
            "props.key",
            "props.value",
            "kafka_topic",
            "kafka_partition",
            "kafka_offset",
            "version",
            "country_code",
            "country",
            "region",
            "city",
            "latitude",
            "longitude",
            "browser",
            "browser_version",
            "os",
            "os_version",
            "device_type",
            "is_bot",
            "session_id",
            "session_number",
            "session_index",
            "funnels.id",
            "funnels.step");

    private static final long MILLIS_PER_DAY = 86_400_000L;

    /** The job's own columns only (no schema file); after {@link #COLUMNS}, which it takes. */
    public static final EventRowEncoder INSTANCE = new EventRowEncoder(null);

    /** The declared columns and error_log after the job's own; null: none. */
    private final DeclaredRow declared;

    private final List<String> columns;

    private EventRowEncoder(DeclaredRow declared) {
        this.declared = declared;
        if (declared == null) {
            this.columns = COLUMNS;
        } else {
            List<String> all = new java.util.ArrayList<>(COLUMNS);
            all.addAll(declared.columnNames());
            this.columns = List.copyOf(all);
        }
    }

    /** The job's columns, then those of a schema file ({@code declared}: each event's {@link Event#declared}). */
    public static EventRowEncoder withDeclared(DeclaredRow declared) {
        return declared == null ? INSTANCE : new EventRowEncoder(declared);
    }

    @Override
    public List<String> columns() {
        return columns;
    }

    @Override
    public long publishedAt(Event e) {
        return e.kafkaTimestamp;
    }

    @Override
    public String userId(Event e) {
        return e.userId;
    }

    @Override
    public SourcePosition position(Event e) {
        return e.kafkaTopic == null ? null : new SourcePosition(e.kafkaTopic, e.kafkaPartition, e.kafkaOffset);
    }

    @Override
    public void addPosition(Event e, SourcePositions out) {
        out.add(e.kafkaTopic, e.kafkaPartition, e.kafkaOffset);
    }

    @Override
    public void encode(Event e, RowBinaryBuffer out) {
        out.uint16((int) Math.floorDiv(e.eventTime, MILLIS_PER_DAY)); // dt Date (UTC day)
        out.uint32(Math.floorDiv(e.eventTime, 1000L)); // ts DateTime
        out.uint16((int) Math.floorMod(e.eventTime, 1000L)); // ts_ms UInt16 (no DateTime64 on 18.16)
        out.string(e.eventId);
        out.string(e.userId);
        out.string(e.eventType);
        out.string(e.source);
        out.string(e.url);
        out.string(e.referrer);
        out.string(e.ip);
        out.string(e.userAgent);
        out.stringArray(e.propertyKeys);
        out.stringArray(e.propertyValues);
        out.string(e.kafkaTopic);
        out.uint32(e.kafkaPartition);
        out.uint64(e.kafkaOffset);
        // ReplacingMergeTree version: the record time, not the wall clock, so a replay writes identical rows.
        out.uint64(e.kafkaTimestamp > 0 ? e.kafkaTimestamp : e.eventTime);
        out.string(e.countryCode);
        out.string(e.country);
        out.string(e.region);
        out.string(e.city);
        out.nullableFloat64(e.latitude);
        out.nullableFloat64(e.longitude);
        out.string(e.browser);
        out.string(e.browserVersion);
        out.string(e.os);
        out.string(e.osVersion);
        out.string(e.deviceType);
        out.uint8(e.bot ? 1 : 0);
        out.string(e.sessionId);
        out.uint32(e.sessionNumber);
        out.uint32(e.sessionIndex);
        out.stringArray(e.funnelIds);
        out.uint8Array(e.funnelSteps);
        if (declared != null) {
            // An event parsed before the schema file named these columns holds none of them: their defaults.
            out.bytes(e.declared != null ? e.declared : declared.defaults());
        }
    }

    @Override
    public Event decode(RowBinaryInput in) {
        Event e = new Event();
        in.uint16(); // dt: from the time
        long seconds = in.uint32();
        e.eventTime = seconds * 1000L + in.uint16();
        e.eventId = in.string();
        e.userId = in.string();
        e.eventType = in.string();
        e.source = in.string();
        e.url = in.string();
        e.referrer = in.string();
        e.ip = in.string();
        e.userAgent = in.string();
        e.propertyKeys = in.stringArray();
        e.propertyValues = in.stringArray();
        e.kafkaTopic = in.string();
        e.kafkaPartition = (int) in.uint32();
        e.kafkaOffset = in.uint64();
        e.kafkaTimestamp = in.uint64(); // the version: the record time where there was one, else the event time
        e.countryCode = in.string();
        e.country = in.string();
        e.region = in.string();
        e.city = in.string();
        e.latitude = in.nullableFloat64();
        e.longitude = in.nullableFloat64();
        e.browser = in.string();
        e.browserVersion = in.string();
        e.os = in.string();
        e.osVersion = in.string();
        e.deviceType = in.string();
        e.bot = in.uint8() == 1;
        e.sessionId = in.string();
        e.sessionNumber = (int) in.uint32();
        e.sessionIndex = (int) in.uint32();
        e.funnelIds = in.stringArray();
        e.funnelSteps = in.uint8Array();
        if (declared != null) {
            e.declared = declared.read(in);
        }
        return e;
    }
}
