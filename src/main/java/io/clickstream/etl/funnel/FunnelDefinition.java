package io.clickstream.etl.funnel;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.clickstream.etl.config.Parsers;
import io.clickstream.etl.event.Event;
import io.clickstream.etl.event.EventField;
import java.io.Serializable;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * An analyst's funnel: ordered steps tracked inside one session (format in docs/funnels.md). An event counts as
 * the first step it matches (the lowest number), as ClickHouse's windowFunnel counts it, so that stream tags and
 * the retroactive query agree.
 */
public final class FunnelDefinition implements Serializable {
    private static final long serialVersionUID = 1L;
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern ID = Pattern.compile("[a-z0-9][a-z0-9_-]{0,63}");
    /** windowFunnel takes at most 32 conditions; the step column is a UInt8. */
    public static final int MAX_STEPS = 32;
    /** No window means "the whole session": sessions are far shorter than this. */
    static final long NO_WINDOW_MS = Duration.ofDays(30).toMillis();

    public enum Mode {
        SEQUENTIAL,
        STRICT
    }

    public record Step(String name, String eventType, List<Condition> conditions) implements Serializable {
        boolean matches(Event e) {
            if (eventType != null && !eventType.equals(e.eventType)) {
                return false;
            }
            for (Condition c : conditions) {
                if (!c.matches(e)) {
                    return false;
                }
            }
            return true;
        }
    }

    private final String id;
    private final String name;
    private final Mode mode;
    private final long windowMs;
    private final List<Step> steps;
    /** The JSON it was parsed from: what a correction carries to tag a session again elsewhere. */
    private final String source;

    private FunnelDefinition(String id, String name, Mode mode, long windowMs, List<Step> steps, String source) {
        this.id = id;
        this.source = source;
        this.name = name;
        this.mode = mode;
        this.windowMs = windowMs;
        this.steps = List.copyOf(steps);
    }

    public String id() {
        return id;
    }

    public String name() {
        return name;
    }

    public Mode mode() {
        return mode;
    }

    /** From first to last step; {@link #NO_WINDOW_MS} when the definition sets none. */
    public long windowMs() {
        return windowMs;
    }

    public List<Step> steps() {
        return steps;
    }

    /** The JSON text the definition was parsed from. */
    public String source() {
        return source;
    }

    /** The number (0-based) of the first step {@code e} matches, or -1. */
    int stepOf(Event e) {
        for (int i = 0; i < steps.size(); i++) {
            if (steps.get(i).matches(e)) {
                return i;
            }
        }
        return -1;
    }

    /** Parses and checks a definition; the message of the exception names the bad part. */
    public static FunnelDefinition parse(String json) {
        if (json == null) {
            throw new IllegalArgumentException("a funnel definition is a JSON object, got nothing");
        }
        JsonNode root;
        try {
            root = JSON.readTree(json);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("not valid JSON: " + e.getOriginalMessage());
        }
        if (root == null || !root.isObject()) {
            throw new IllegalArgumentException("a funnel definition is a JSON object");
        }
        allowOnly(root, "", Set.of("id", "name", "mode", "window", "steps", "description"));
        String id = text(root, "id", true);
        if (!ID.matcher(id).matches()) {
            throw new IllegalArgumentException(
                    "id '" + id + "': use 1-64 of a-z, 0-9, '_' and '-', starting with a letter or digit");
        }
        String name = root.has("name") ? text(root, "name", false) : id;
        Mode mode;
        String m = root.has("mode") ? text(root, "mode", false) : "sequential";
        switch (m) {
            case "sequential":
                mode = Mode.SEQUENTIAL;
                break;
            case "strict":
                mode = Mode.STRICT;
                break;
            default:
                throw new IllegalArgumentException("mode '" + m + "': expected sequential or strict");
        }
        long windowMs = NO_WINDOW_MS;
        if (root.has("window") && !root.get("window").isNull()) {
            try {
                windowMs = Parsers.duration(text(root, "window", false)).toMillis();
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("window: " + e.getMessage());
            }
            if (windowMs <= 0 || windowMs > NO_WINDOW_MS) {
                throw new IllegalArgumentException("window: must be above 0 and at most 30d");
            }
        }
        JsonNode steps = root.get("steps");
        if (steps == null || !steps.isArray() || steps.size() < 2) {
            throw new IllegalArgumentException("steps: a list of at least 2 steps is needed");
        }
        if (steps.size() > MAX_STEPS) {
            throw new IllegalArgumentException("steps: at most " + MAX_STEPS + ", got " + steps.size());
        }
        List<Step> out = new ArrayList<>();
        for (int i = 0; i < steps.size(); i++) {
            out.add(step(steps.get(i), "steps[" + (i + 1) + "]"));
        }
        return new FunnelDefinition(id, name, mode, windowMs, out, json);
    }

    private static Step step(JsonNode n, String where) {
        if (!n.isObject()) {
            throw new IllegalArgumentException(where + ": a step is an object");
        }
        allowOnly(n, where + ".", Set.of("name", "event_type", "where"));
        String eventType = n.has("event_type") ? text(n, "event_type", false) : null;
        List<Condition> conditions = new ArrayList<>();
        JsonNode w = n.get("where");
        if (w != null && !w.isNull()) {
            if (!w.isObject()) {
                throw new IllegalArgumentException(where + ".where: an object of field: condition");
            }
            Iterator<Map.Entry<String, JsonNode>> it = w.fields();
            while (it.hasNext()) {
                Map.Entry<String, JsonNode> c = it.next();
                conditions.add(condition(c.getKey(), c.getValue(), where + ".where." + c.getKey()));
            }
        }
        if (eventType == null && conditions.isEmpty()) {
            throw new IllegalArgumentException(
                    where + ": needs event_type or a where condition (it would match every event)");
        }
        String name = n.has("name") ? text(n, "name", false) : eventType != null ? eventType : where;
        return new Step(name, eventType, conditions);
    }

    private static Condition condition(String target, JsonNode spec, String where) {
        EventField field = null;
        String property = null;
        if (target.startsWith("properties.") && target.length() > "properties.".length()) {
            property = target.substring("properties.".length());
        } else {
            field = EventField.byName(target);
            if (field == null) {
                throw new IllegalArgumentException(
                        where + ": unknown field; use one of " + EventField.names() + " or properties.<name>");
            }
        }
        if (spec.isValueNode()) { // shorthand: "field": "value"
            return new Condition(target, field, property, Condition.Op.EQUALS, List.of(spec.asText()), 0);
        }
        if (!spec.isObject() || spec.size() != 1) {
            throw new IllegalArgumentException(where + ": a value, or an object with one of " + Condition.Op.names());
        }
        Map.Entry<String, JsonNode> e = spec.fields().next();
        Condition.Op op = Condition.Op.byName(e.getKey());
        if (op == null) {
            throw new IllegalArgumentException(
                    where + ": unknown operator '" + e.getKey() + "'; use one of " + Condition.Op.names());
        }
        JsonNode v = e.getValue();
        switch (op) {
            case EQUALS:
            case PREFIX:
                if (!v.isValueNode() || v.isNull()) {
                    throw new IllegalArgumentException(where + "." + e.getKey() + ": expected a value");
                }
                return new Condition(target, field, property, op, List.of(v.asText()), 0);
            case IN:
                if (!v.isArray() || v.isEmpty()) {
                    throw new IllegalArgumentException(where + ".in: expected a non-empty list of values");
                }
                List<String> values = new ArrayList<>();
                v.forEach(x -> values.add(x.asText()));
                return new Condition(target, field, property, op, values, 0);
            case EXISTS:
                if (!v.isBoolean() || !v.asBoolean()) {
                    throw new IllegalArgumentException(where + ".exists: expected true");
                }
                return new Condition(target, field, property, op, List.of(), 0);
            default:
                if (!v.isNumber()) {
                    throw new IllegalArgumentException(where + "." + e.getKey() + ": expected a number");
                }
                return new Condition(target, field, property, op, List.of(), v.asDouble());
        }
    }

    private static void allowOnly(JsonNode n, String where, Set<String> allowed) {
        n.fieldNames().forEachRemaining(k -> {
            if (!allowed.contains(k)) {
                throw new IllegalArgumentException(
                        where + k + ": unknown key; allowed: " + String.join(", ", new java.util.TreeSet<>(allowed)));
            }
        });
    }

    private static String text(JsonNode n, String key, boolean required) {
        JsonNode v = n.get(key);
        if (v == null || v.isNull()) {
            if (required) {
                throw new IllegalArgumentException(key + ": missing");
            }
            return null;
        }
        if (!v.isTextual() || v.asText().isBlank()) {
            throw new IllegalArgumentException(key + ": expected a non-empty string");
        }
        return v.asText();
    }

    @Override
    public String toString() {
        return "Funnel{" + id + ", " + mode + ", " + steps.size() + " steps}";
    }
}
