package io.clickstream.etl.redrive;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import io.clickstream.etl.event.RejectReason;
import java.io.IOException;
import java.math.BigDecimal;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * The fixes an operator applies to dead letters before they are sent through the job again: a YAML file with a list
 * of rules, applied in order to the payload of each dead letter the rule's filters match. Each rule has one action:
 *
 * <pre>
 * rules:
 *   - reason: timestamp_out_of_range              # optional: the dead letter's reason(s)
 *     source_topic: clickstream-ios               # optional: where the input was read
 *     convert_timestamp: {field: ts, from: seconds}  # seconds | millis | iso | a pattern, with zone
 *   - rename: {uid: user_id}
 *   - set: {source: ios}
 *   - remove: [debug]
 *   - map: {field: event_type, values: {pageview: page_view}}
 *   - convert_type: {field: properties.price, to: number}  # string | number | boolean
 * </pre>
 *
 * A field is a top-level name or a path into objects with dots ({@code properties.price}). A rule whose field is
 * absent does nothing. Mistakes in the file (an unknown key, a rule with no or two actions, an unknown reason) are
 * refused with the rule's number, before anything is read: a rules file is written by hand.
 */
public final class RedriveRules {
    private static final YAMLMapper YAML = new YAMLMapper();
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
    private static final Set<String> ACTIONS =
            Set.of("set", "rename", "remove", "map", "convert_type", "convert_timestamp");
    private static final BigDecimal ALREADY_MILLIS = BigDecimal.valueOf(100_000_000_000L);
    private static final Set<String> FILTERS = Set.of("reason", "source_topic");

    /** What a rule does to a payload: true if it changed it. */
    interface Action {
        boolean apply(ObjectNode payload);
    }

    record Rule(int number, Set<String> reasons, Set<String> sourceTopics, String description, Action action) {
        boolean matches(String reason, String sourceTopic) {
            return (reasons.isEmpty() || reasons.contains(reason))
                    && (sourceTopics.isEmpty() || sourceTopics.contains(sourceTopic));
        }
    }

    private final List<Rule> rules;

    private RedriveRules(List<Rule> rules) {
        this.rules = List.copyOf(rules);
    }

    public static RedriveRules none() {
        return new RedriveRules(List.of());
    }

    public static RedriveRules read(Path file) throws IOException {
        return parse(YAML.readTree(file.toFile()), file.toString());
    }

    public static RedriveRules parse(String yaml) {
        try {
            return parse(YAML.readTree(yaml), "the rules");
        } catch (IOException e) {
            throw new IllegalArgumentException("the rules are not YAML: " + e.getMessage(), e);
        }
    }

    private static RedriveRules parse(JsonNode root, String where) {
        if (root == null || !root.isObject() || !root.path("rules").isArray()) {
            throw new IllegalArgumentException(where + ": expected a top-level 'rules:' list");
        }
        List<Rule> out = new ArrayList<>();
        int number = 0;
        for (JsonNode r : root.get("rules")) {
            number++;
            String at = where + ", rule " + number;
            if (!r.isObject()) {
                throw new IllegalArgumentException(at + ": expected a mapping, got " + r);
            }
            String action = null;
            for (Iterator<String> names = r.fieldNames(); names.hasNext(); ) {
                String name = names.next();
                if (ACTIONS.contains(name)) {
                    if (action != null) {
                        throw new IllegalArgumentException(
                                at + ": has two actions, '" + action + "' and '" + name + "': one per rule");
                    }
                    action = name;
                } else if (!FILTERS.contains(name)) {
                    throw new IllegalArgumentException(at + ": unknown key '" + name + "' (filters: " + FILTERS
                            + "; actions: " + new TreeSet<>(ACTIONS) + ")");
                }
            }
            if (action == null) {
                throw new IllegalArgumentException(at + ": no action (one of " + new TreeSet<>(ACTIONS) + ")");
            }
            Set<String> reasons = strings(r.get("reason"), at + ": reason");
            for (String reason : reasons) {
                if (!knownReason(reason)) {
                    throw new IllegalArgumentException(at + ": unknown reason '" + reason + "'");
                }
            }
            JsonNode spec = r.get(action);
            out.add(new Rule(
                    number,
                    reasons,
                    strings(r.get("source_topic"), at + ": source_topic"),
                    action + " " + spec,
                    action(action, spec, at + ": " + action)));
        }
        return new RedriveRules(out);
    }

    private static boolean knownReason(String code) {
        for (RejectReason r : RejectReason.values()) {
            if (r.code().equals(code)) {
                return true;
            }
        }
        return false;
    }

    private static Set<String> strings(JsonNode n, String at) {
        Set<String> out = new TreeSet<>();
        if (n == null) {
            return out;
        }
        if (n.isTextual()) {
            out.add(n.asText());
        } else if (n.isArray()) {
            n.forEach(v -> {
                if (!v.isTextual()) {
                    throw new IllegalArgumentException(at + ": expected names, got " + v);
                }
                out.add(v.asText());
            });
        } else {
            throw new IllegalArgumentException(at + ": expected a name or a list of names, got " + n);
        }
        return out;
    }

    private static Map<String, JsonNode> mapping(JsonNode spec, String at) {
        if (spec == null || !spec.isObject() || spec.isEmpty()) {
            throw new IllegalArgumentException(at + ": expected a mapping, got " + spec);
        }
        Map<String, JsonNode> out = new LinkedHashMap<>();
        spec.fields().forEachRemaining(e -> out.put(e.getKey(), e.getValue()));
        return out;
    }

    private static String text(Map<String, JsonNode> m, String key, String at) {
        JsonNode v = m.get(key);
        if (v == null || !v.isTextual() || v.asText().isBlank()) {
            throw new IllegalArgumentException(at + ": '" + key + "' is required (a name)");
        }
        return v.asText();
    }

    private static void only(Map<String, JsonNode> m, Set<String> keys, String at) {
        for (String k : m.keySet()) {
            if (!keys.contains(k)) {
                throw new IllegalArgumentException(at + ": unknown key '" + k + "' (expected " + keys + ")");
            }
        }
    }

    private static Action action(String name, JsonNode spec, String at) {
        switch (name) {
            case "set": {
                Map<String, JsonNode> values = mapping(spec, at);
                return p -> {
                    boolean changed = false;
                    for (Map.Entry<String, JsonNode> e : values.entrySet()) {
                        changed |= Paths.put(p, e.getKey(), e.getValue().deepCopy());
                    }
                    return changed;
                };
            }
            case "rename": {
                Map<String, JsonNode> pairs = mapping(spec, at);
                Map<String, String> names = new LinkedHashMap<>();
                pairs.forEach((from, to) -> {
                    if (!to.isTextual() || to.asText().isBlank()) {
                        throw new IllegalArgumentException(at + ": the new name of '" + from + "' is not a name");
                    }
                    names.put(from, to.asText());
                });
                return p -> {
                    boolean changed = false;
                    for (Map.Entry<String, String> e : names.entrySet()) {
                        JsonNode v = Paths.remove(p, e.getKey());
                        if (v != null) {
                            Paths.put(p, e.getValue(), v);
                            changed = true;
                        }
                    }
                    return changed;
                };
            }
            case "remove": {
                Set<String> fields = strings(spec, at);
                if (fields.isEmpty()) {
                    throw new IllegalArgumentException(at + ": no fields named");
                }
                return p -> {
                    boolean changed = false;
                    for (String f : fields) {
                        changed |= Paths.remove(p, f) != null;
                    }
                    return changed;
                };
            }
            case "map": {
                Map<String, JsonNode> m = mapping(spec, at);
                only(m, Set.of("field", "values"), at);
                String field = text(m, "field", at);
                Map<String, JsonNode> values = mapping(m.get("values"), at + ": values");
                return p -> {
                    JsonNode v = Paths.get(p, field);
                    if (v == null || !v.isValueNode() || !values.containsKey(v.asText())) {
                        return false;
                    }
                    return Paths.put(p, field, values.get(v.asText()).deepCopy());
                };
            }
            case "convert_type": {
                Map<String, JsonNode> m = mapping(spec, at);
                only(m, Set.of("field", "to"), at);
                String field = text(m, "field", at);
                String to = text(m, "to", at);
                if (!Set.of("string", "number", "boolean").contains(to)) {
                    throw new IllegalArgumentException(at + ": 'to' must be string, number or boolean, not " + to);
                }
                return p -> {
                    JsonNode v = Paths.get(p, field);
                    JsonNode converted = v == null || !v.isValueNode() || v.isNull() ? null : convertType(v, to);
                    return converted != null && Paths.put(p, field, converted);
                };
            }
            case "convert_timestamp": {
                Map<String, JsonNode> m = mapping(spec, at);
                only(m, Set.of("field", "from", "zone"), at);
                String field = text(m, "field", at);
                String from = text(m, "from", at);
                ZoneId zone;
                try {
                    zone = m.containsKey("zone") ? ZoneId.of(text(m, "zone", at)) : ZoneId.of("UTC");
                } catch (java.time.DateTimeException e) {
                    throw new IllegalArgumentException(at + ": unknown zone " + m.get("zone"));
                }
                DateTimeFormatter pattern = null;
                if (!Set.of("seconds", "millis", "iso").contains(from)) {
                    try {
                        pattern = DateTimeFormatter.ofPattern(from);
                    } catch (IllegalArgumentException e) {
                        throw new IllegalArgumentException(at + ": 'from' is neither seconds, millis, iso nor a"
                                + " date-time pattern: " + e.getMessage());
                    }
                }
                DateTimeFormatter parsed = pattern;
                return p -> {
                    JsonNode v = Paths.get(p, field);
                    Long ms = v == null ? null : epochMillis(v, from, parsed, zone);
                    return ms != null && Paths.put(p, field, NODES.numberNode(ms));
                };
            }
            default:
                throw new IllegalStateException(name);
        }
    }

    /** The value as the type, or null when it cannot be (left as it is: validation then says why). */
    private static JsonNode convertType(JsonNode v, String to) {
        String s = v.asText().strip();
        switch (to) {
            case "string":
                return NODES.textNode(v.asText());
            case "number":
                try {
                    BigDecimal d = new BigDecimal(s).stripTrailingZeros();
                    return d.scale() <= 0 ? NODES.numberNode(d.toBigIntegerExact()) : NODES.numberNode(d);
                } catch (NumberFormatException | ArithmeticException e) {
                    return null;
                }
            case "boolean":
                return s.equalsIgnoreCase("true") || s.equals("1")
                        ? NODES.booleanNode(true)
                        : s.equalsIgnoreCase("false") || s.equals("0") ? NODES.booleanNode(false) : null;
            default:
                throw new IllegalStateException(to);
        }
    }

    private static Long epochMillis(JsonNode v, String from, DateTimeFormatter pattern, ZoneId zone) {
        String s = v.asText().strip();
        try {
            switch (from) {
                case "seconds":
                    // Already milliseconds (any time after 1973): a rule run twice must not scale it twice.
                    BigDecimal seconds = new BigDecimal(s);
                    return seconds.abs().compareTo(ALREADY_MILLIS) >= 0
                            ? null
                            : seconds.movePointRight(3)
                                    .setScale(0, java.math.RoundingMode.FLOOR)
                                    .longValueExact();
                case "millis":
                    return new BigDecimal(s).longValueExact();
                case "iso":
                    return OffsetDateTime.parse(s).toInstant().toEpochMilli();
                default:
                    return LocalDateTime.parse(s, pattern)
                            .atZone(zone)
                            .toInstant()
                            .toEpochMilli();
            }
        } catch (NumberFormatException | ArithmeticException | DateTimeParseException e) {
            return null;
        }
    }

    /** Applies the matching rules in order; returns the numbers of the rules that changed the payload. */
    public List<Integer> apply(ObjectNode payload, String reason, String sourceTopic) {
        List<Integer> applied = new ArrayList<>();
        for (Rule r : rules) {
            if (r.matches(reason, sourceTopic) && r.action().apply(payload)) {
                applied.add(r.number());
            }
        }
        return applied;
    }

    public int size() {
        return rules.size();
    }

    /** Rule number → what it does, for the report. */
    public String describe(int number) {
        return rules.get(number - 1).description();
    }

    /** Dotted paths into nested objects. */
    static final class Paths {
        private Paths() {}

        static JsonNode get(ObjectNode root, String path) {
            JsonNode n = root;
            for (String part : path.split("\\.")) {
                n = n == null || !n.isObject() ? null : n.get(part);
            }
            return n;
        }

        /** Sets the value, creating objects on the way; false if it was already that. */
        static boolean put(ObjectNode root, String path, JsonNode value) {
            String[] parts = path.split("\\.");
            ObjectNode at = root;
            for (int i = 0; i < parts.length - 1; i++) {
                JsonNode next = at.get(parts[i]);
                if (next == null || !next.isObject()) {
                    next = at.putObject(parts[i]);
                }
                at = (ObjectNode) next;
            }
            JsonNode old = at.get(parts[parts.length - 1]);
            if (value.equals(old)) {
                return false;
            }
            at.set(parts[parts.length - 1], value);
            return true;
        }

        static JsonNode remove(ObjectNode root, String path) {
            int dot = path.lastIndexOf('.');
            JsonNode parent = dot < 0 ? root : get(root, path.substring(0, dot));
            return parent instanceof ObjectNode o ? o.remove(path.substring(dot + 1)) : null;
        }
    }
}
