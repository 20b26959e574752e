package io.clickstream.etl.event;

import java.util.Arrays;
import java.util.function.Function;

/**
 * The text fields of an event that rules may name (funnel conditions, join keys and fields), by their events-table
 * column. Properties are addressed as {@code properties.<name>} ({@link Event#property}).
 */
public enum EventField {
    USER_ID("user_id", e -> e.userId),
    EVENT_TYPE("event_type", e -> e.eventType),
    SOURCE("source", e -> e.source),
    URL("url", e -> e.url),
    REFERRER("referrer", e -> e.referrer),
    IP("ip", e -> e.ip),
    USER_AGENT("user_agent", e -> e.userAgent),
    COUNTRY_CODE("country_code", e -> e.countryCode),
    COUNTRY("country", e -> e.country),
    REGION("region", e -> e.region),
    CITY("city", e -> e.city),
    BROWSER("browser", e -> e.browser),
    OS("os", e -> e.os),
    DEVICE_TYPE("device_type", e -> e.deviceType);

    public final String column;
    private final Function<Event, String> getter;

    EventField(String column, Function<Event, String> getter) {
        this.column = column;
        this.getter = getter;
    }

    /** The value; '' when absent. */
    public String value(Event e) {
        String v = getter.apply(e);
        return v == null ? "" : v;
    }

    /** The field of that column name, or null. */
    public static EventField byName(String name) {
        for (EventField f : values()) {
            if (f.column.equals(name)) {
                return f;
            }
        }
        return null;
    }

    public static String names() {
        return Arrays.stream(values())
                .map(f -> f.column)
                .reduce((a, b) -> a + ", " + b)
                .orElse("");
    }
}
