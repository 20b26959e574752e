package io.clickstream.collector;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.vertx.core.MultiMap;
import java.util.Map;

/**
 * A pixel request's query as an event: {@code user_id}, {@code event_id}, {@code event_type}, {@code ts},
 * {@code source}, {@code url}, {@code referrer} as fields, {@code p.<name>} as properties. What a browser sends
 * anyway fills the gaps: the page ({@code Referer}) as {@code url}, its {@code User-Agent}, and the time of arrival
 * as {@code ts}.
 */
final class PixelEvents {
    private static final java.util.Set<String> FIELDS =
            java.util.Set.of("user_id", "event_id", "event_type", "ts", "source", "url", "referrer");

    private PixelEvents() {}

    static ObjectNode fromQuery(MultiMap query, String referer, String userAgent, long now) {
        ObjectNode event = EventReader.MAPPER.createObjectNode();
        ObjectNode props = EventReader.MAPPER.createObjectNode();
        for (Map.Entry<String, String> e : query.entries()) {
            String name = e.getKey();
            if (FIELDS.contains(name)) {
                if (!event.has(name)) {
                    event.put(name, e.getValue());
                }
            } else if (name.startsWith("p.") && name.length() > 2 && !props.has(name.substring(2))) {
                props.put(name.substring(2), e.getValue());
            }
        }
        if (!event.has("event_type")) {
            event.put("event_type", "page_view");
        }
        if (!event.has("ts")) {
            event.put("ts", now);
        }
        if (!event.has("url") && referer != null) {
            event.put("url", referer);
        }
        if (userAgent != null) {
            event.put("user_agent", userAgent);
        }
        if (!props.isEmpty()) {
            event.set("properties", props);
        }
        return event;
    }
}
