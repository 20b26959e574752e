package io.clickstream.etl.backfill;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * Events exported with {@code mongoexport} come in MongoDB Extended JSON (relaxed or canonical mode): {@code
 * {"$oid": …}}, {@code {"$date": "2025-…Z"}} or {@code {"$date": {"$numberLong": "…"}}}, {@code {"$numberLong": "…"}}
 * and friends. This turns them into the plain JSON the job reads: ids as strings, dates as ISO-8601 text, numbers as
 * numbers; and a document's {@code _id} becomes its {@code event_id} when it has none.
 */
public final class MongoJson {
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    private MongoJson() {}

    /** Normalizes {@code doc} in place and returns it. */
    public static ObjectNode normalize(ObjectNode doc) {
        List<String> names = new ArrayList<>();
        doc.fieldNames().forEachRemaining(names::add);
        for (String name : names) {
            doc.set(name, plain(doc.get(name)));
        }
        JsonNode id = doc.get("_id");
        if (id != null && (doc.get("event_id") == null || doc.get("event_id").isNull()) && id.isValueNode()) {
            doc.put("event_id", id.asText());
            doc.remove("_id");
        }
        return doc;
    }

    private static JsonNode plain(JsonNode v) {
        if (v.isArray()) {
            var out = NODES.arrayNode();
            v.forEach(e -> out.add(plain(e)));
            return out;
        }
        if (!v.isObject()) {
            return v;
        }
        if (v.size() == 1) {
            Map.Entry<String, JsonNode> only = v.fields().next();
            JsonNode inner = only.getValue();
            switch (only.getKey()) {
                case "$oid", "$symbol" -> {
                    return NODES.textNode(inner.asText());
                }
                case "$numberLong", "$numberInt" -> {
                    try {
                        return NODES.numberNode(Long.parseLong(inner.asText()));
                    } catch (NumberFormatException e) {
                        return inner;
                    }
                }
                case "$numberDouble" -> {
                    try {
                        double d = Double.parseDouble(inner.asText());
                        return Double.isFinite(d) ? NODES.numberNode(d) : NODES.textNode(inner.asText());
                    } catch (NumberFormatException e) {
                        return inner;
                    }
                }
                case "$numberDecimal" -> {
                    try {
                        return NODES.numberNode(new java.math.BigDecimal(inner.asText()));
                    } catch (NumberFormatException e) {
                        return NODES.textNode(inner.asText());
                    }
                }
                case "$date" -> {
                    return date(inner);
                }
                default -> {
                    // an ordinary one-field object
                }
            }
        }
        ObjectNode out = NODES.objectNode();
        Iterator<Map.Entry<String, JsonNode>> fields = v.fields();
        while (fields.hasNext()) {
            Map.Entry<String, JsonNode> f = fields.next();
            out.set(f.getKey(), plain(f.getValue()));
        }
        return out;
    }

    /** Relaxed mode: ISO text; canonical mode and dates outside 1970–9999: {"$numberLong": ms}. */
    private static JsonNode date(JsonNode inner) {
        if (inner.isTextual()) {
            return inner;
        }
        JsonNode ms = inner.isObject() && inner.has("$numberLong") ? inner.get("$numberLong") : inner;
        try {
            return NODES.textNode(
                    Instant.ofEpochMilli(Long.parseLong(ms.asText())).toString());
        } catch (NumberFormatException e) {
            return inner;
        }
    }
}
