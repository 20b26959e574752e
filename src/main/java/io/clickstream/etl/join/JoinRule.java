package io.clickstream.etl.join;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.clickstream.etl.event.Event;
import io.clickstream.etl.event.EventField;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;

/**
 * "Events of the {@code into} sources get {@code fields} from the latest event of source {@code from} with the same
 * {@code key}." Values are copied into the receiving event's properties as {@code <prefix><field>}.
 * Format: docs/funnels.md#joins (option join.rules).
 */
public record JoinRule(String name, String from, String key, List<String> fields, List<String> into, String prefix)
        implements Serializable {
    private static final Pattern NAME = Pattern.compile("[a-z0-9][a-z0-9_-]{0,63}");

    /** The key of {@code e} for this rule; '' when it has none (then the rule does nothing for it). */
    String keyOf(Event e) {
        return read(e, key);
    }

    /** Whether the rule's key is the user: its values then live in the user's record, in the per-user step. */
    public boolean keyedByUser() {
        return "user_id".equals(key);
    }

    /** Reads the rule's key field of an event ('' when it has none): the keyBy of a rule keyed by another field. */
    public static String keyOf(Event e, String field) {
        return read(e, field);
    }

    boolean gives(Event e) {
        return from.equals(e.source);
    }

    boolean receives(Event e) {
        return !from.equals(e.source) && (into.isEmpty() || into.contains(e.source));
    }

    static String read(Event e, String field) {
        if (field.startsWith("properties.")) {
            String v = e.property(field.substring("properties.".length()));
            return v == null ? "" : v;
        }
        return EventField.byName(field).value(e); // checked when the rule was parsed
    }

    /** Output property name of a field: the prefix and the field's own name (without "properties."). */
    String outputName(String field) {
        return prefix + (field.startsWith("properties.") ? field.substring("properties.".length()) : field);
    }

    /** Parses the option's JSON list; messages name the rule and the bad key. */
    public static List<JoinRule> parseAll(String json) {
        List<JoinRule> rules = new ArrayList<>();
        if (json == null || json.isBlank()) {
            return rules;
        }
        JsonNode root;
        try {
            root = new ObjectMapper().readTree(json);
        } catch (java.io.IOException e) {
            throw new IllegalArgumentException("not valid JSON: " + e.getMessage());
        }
        if (root == null || !root.isArray()) {
            throw new IllegalArgumentException("expected a list of rules");
        }
        Set<String> names = new TreeSet<>();
        for (int i = 0; i < root.size(); i++) {
            JoinRule r = parse(root.get(i), "rule " + (i + 1));
            if (!names.add(r.name())) {
                throw new IllegalArgumentException("rule " + (i + 1) + ": name '" + r.name() + "' is used twice");
            }
            rules.add(r);
        }
        return rules;
    }

    private static JoinRule parse(JsonNode n, String where) {
        if (!n.isObject()) {
            throw new IllegalArgumentException(where + ": a rule is an object");
        }
        n.fieldNames().forEachRemaining(k -> {
            if (!Set.of("name", "from", "key", "fields", "into", "prefix").contains(k)) {
                throw new IllegalArgumentException(
                        where + "." + k + ": unknown key; allowed: fields, from, into, key, name, prefix");
            }
        });
        String from = text(n, "from", where);
        String name = n.has("name") ? text(n, "name", where) : from;
        if (!NAME.matcher(name).matches()) {
            throw new IllegalArgumentException(where + ".name '" + name + "': use 1-64 of a-z, 0-9, '_' and '-'");
        }
        String key = n.has("key") ? text(n, "key", where) : "user_id";
        checkField(key, where + ".key");
        List<String> fields = list(n, "fields", where, true);
        for (String f : fields) {
            checkField(f, where + ".fields");
        }
        List<String> into = list(n, "into", where, false);
        String prefix = n.has("prefix") ? n.get("prefix").asText() : name + ".";
        return new JoinRule(name, from, key, fields, into, prefix);
    }

    private static void checkField(String f, String where) {
        if (EventField.byName(f) == null && !(f.startsWith("properties.") && f.length() > "properties.".length())) {
            throw new IllegalArgumentException(
                    where + ": '" + f + "' is not a field; use one of " + EventField.names() + " or properties.<name>");
        }
    }

    private static String text(JsonNode n, String key, String where) {
        JsonNode v = n.get(key);
        if (v == null || !v.isTextual() || v.asText().isBlank()) {
            throw new IllegalArgumentException(where + "." + key + ": expected a non-empty string");
        }
        return v.asText();
    }

    private static List<String> list(JsonNode n, String key, String where, boolean required) {
        JsonNode v = n.get(key);
        List<String> out = new ArrayList<>();
        if (v == null || v.isNull()) {
            if (required) {
                throw new IllegalArgumentException(where + "." + key + ": missing");
            }
            return out;
        }
        if (!v.isArray() || (required && v.isEmpty())) {
            throw new IllegalArgumentException(
                    where + "." + key + ": expected a " + (required ? "non-empty " : "") + "list");
        }
        v.forEach(x -> out.add(x.asText()));
        return out;
    }
}
