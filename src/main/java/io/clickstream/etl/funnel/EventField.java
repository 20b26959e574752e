package io.clickstream.etl.funnel;

import io.clickstream.etl.event.Event;

import java.util.Arrays;
import java.util.function.Function;

/**
 * The event fields a funnel step may test, with their events-table column. Properties are addressed as
 * {@code properties.<name>} and read from the props arrays.
 */
enum EventField {
    EVENT_TYPE("event_type", e -> e.eventType),
    SOURCE("source", e -> e.source),
    URL("url", e -> e.url),
    REFERRER("referrer", e -> e.referrer),
    COUNTRY_CODE("country_code", e -> e.countryCode),
    COUNTRY("country", e -> e.country),
    REGION("region", e -> e.region),
    CITY("city", e -> e.city),
    BROWSER("browser", e -> e.browser),
    OS("os", e -> e.os),
    DEVICE_TYPE("device_type", e -> e.deviceType);

    final String column;
    private final Function<Event, String> getter;

    EventField(String column, Function<Event, String> getter) {
        this.column = column;
        this.getter = getter;
    }

    String value(Event e) {
        String v = getter.apply(e);
        return v == null ? "" : v;
    }

    static EventField byName(String name) {
        for (EventField f : values()) {
            if (f.column.equals(name)) {
                return f;
            }
        }
        return null;
    }

    static String names() {
        return Arrays.stream(values()).map(f -> f.column).reduce((a, b) -> a + ", " + b).orElse("");
    }
}
