package io.clickstream.etl.schema;

import java.util.List;

/**
 * A value as the event's JSON held it: its JSON type and its text (a string's characters, a number's literal as
 * written, "true" or "false"), or its elements for an array. The text of a number is kept as written, so that a
 * conversion sees "1e3" or "12.50" and not a double already rounded.
 */
public record JsonValue(Type type, String text, List<JsonValue> elements) {
    /** JSON's types. */
    public enum Type {
        STRING,
        NUMBER,
        BOOLEAN,
        NULL,
        ARRAY,
        OBJECT
    }

    public static JsonValue string(String s) {
        return new JsonValue(Type.STRING, s, List.of());
    }

    public static JsonValue number(String literal) {
        return new JsonValue(Type.NUMBER, literal, List.of());
    }

    public static JsonValue bool(boolean b) {
        return new JsonValue(Type.BOOLEAN, String.valueOf(b), List.of());
    }

    public static JsonValue array(List<JsonValue> elements) {
        return new JsonValue(Type.ARRAY, null, List.copyOf(elements));
    }

    /** A value of a JSON tree; a number read as a BigDecimal keeps its digits. */
    public static JsonValue of(com.fasterxml.jackson.databind.JsonNode n) {
        if (n.isTextual()) {
            return string(n.asText());
        }
        if (n.isNumber()) {
            return number(
                    n.isIntegralNumber()
                            ? n.bigIntegerValue().toString()
                            : n.decimalValue().toString());
        }
        if (n.isBoolean()) {
            return bool(n.asBoolean());
        }
        if (n.isArray()) {
            List<JsonValue> elements = new java.util.ArrayList<>();
            n.forEach(e -> elements.add(of(e)));
            return array(elements);
        }
        return n.isNull() ? NULL : OBJECT;
    }

    public static final JsonValue NULL = new JsonValue(Type.NULL, null, List.of());

    public static final JsonValue OBJECT = new JsonValue(Type.OBJECT, null, List.of());

    /**
     * The value as the event sent it: a string's characters, a number's literal, true or false, an array as JSON (its
     * strings quoted), null, or {} for an object (whose content the converter never needs).
     */
    public String json() {
        if (type == Type.STRING) {
            return text;
        }
        StringBuilder out = new StringBuilder();
        appendJson(out);
        return out.toString();
    }

    private void appendJson(StringBuilder out) {
        switch (type) {
            case STRING -> {
                out.append('"');
                for (int i = 0; i < text.length(); i++) {
                    char c = text.charAt(i);
                    if (c == '"' || c == '\\') {
                        out.append('\\').append(c);
                    } else if (c < 0x20) {
                        out.append(String.format(java.util.Locale.ROOT, "\\u%04x", (int) c));
                    } else {
                        out.append(c);
                    }
                }
                out.append('"');
            }
            case NUMBER, BOOLEAN -> out.append(text);
            case NULL -> out.append("null");
            case OBJECT -> out.append("{}");
            case ARRAY -> {
                out.append('[');
                for (int i = 0; i < elements.size(); i++) {
                    if (i > 0) {
                        out.append(',');
                    }
                    elements.get(i).appendJson(out);
                }
                out.append(']');
            }
        }
    }
}
