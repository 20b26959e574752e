package io.clickstream.etl.schema;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The typed columns a schema file declares (issue 29; the file sits next to the funnel definitions in the user's
 * repository):
 *
 * <pre>{"columns": [
 *   {"name": "video_id", "type": "String", "path": "properties.video_id", "event_types": ["video_view"]},
 *   {"name": "price", "type": "Decimal(12, 2)", "path": "properties.price", "default": 0}]}</pre>
 *
 * Each column: a name (lower case, not one of the table's own columns), a ClickHouse type ({@link ColumnType}), the
 * path of the property it comes from, optionally a default (else the type's zero value) and the event types that
 * have it (else all; the table stays one wide table, other types get the default). Every problem is refused at load
 * with the key to fix.
 */
public final class DeclaredColumns {
    /** One declared column; {@code defaultValue} in the column's representation ({@link ValueConverter.Converted}). */
    public record Column(String name, ColumnType type, List<String> path, Object defaultValue, Set<String> eventTypes)
            implements java.io.Serializable {
        /** Whether an event of this type has the column (no list: every type). */
        public boolean appliesTo(String eventType) {
            return eventTypes.isEmpty() || eventTypes.contains(eventType);
        }
    }

    /** ClickHouse keeps identifiers case-sensitive; lower case keeps the DDL and the queries plain. */
    private static final Pattern NAME = Pattern.compile("[a-z_][a-z0-9_]{0,62}");

    private static final Pattern PATH_PART = Pattern.compile("[A-Za-z0-9_$@-][A-Za-z0-9_$@.-]{0,127}");
    /** The teams this comes from keep 50 to 200 columns per table; beyond it a table is hard to read and merge. */
    public static final int MAX_COLUMNS = 300;

    private static final Set<String> KEYS = Set.of("name", "type", "path", "default", "event_types");

    /** Decimals read as written: a default of 0.1 is the decimal 0.1, not the double nearest to it. */
    private static final ObjectMapper JSON =
            new ObjectMapper().enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS);

    private DeclaredColumns() {}

    /**
     * The columns of a schema file's text; {@code reserved}: the events table's own columns, which no declared one
     * may take.
     *
     * @throws IllegalArgumentException naming the bad key ({@code columns[i].type} and so on) and what to fix
     */
    public static List<Column> parse(String text, Set<String> reserved) {
        JsonNode root;
        try {
            root = JSON.readTree(text);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("schema: not JSON: " + e.getOriginalMessage());
        }
        if (root == null || !root.isObject() || !root.path("columns").isArray()) {
            throw new IllegalArgumentException("schema: an object with a \"columns\" array is expected");
        }
        JsonNode columns = root.get("columns");
        if (columns.size() > MAX_COLUMNS) {
            throw new IllegalArgumentException(
                    "columns: " + columns.size() + " declared, at most " + MAX_COLUMNS + " are supported");
        }
        List<Column> out = new ArrayList<>();
        Set<String> names = new HashSet<>();
        for (int i = 0; i < columns.size(); i++) {
            String at = "columns[" + i + "]";
            JsonNode c = columns.get(i);
            if (!c.isObject()) {
                throw new IllegalArgumentException(at + ": an object is expected");
            }
            for (Iterator<String> keys = c.fieldNames(); keys.hasNext(); ) {
                String key = keys.next();
                if (!KEYS.contains(key)) {
                    throw new IllegalArgumentException(at + "." + key + ": not a key of a column (" + KEYS + ")");
                }
            }
            String name = c.path("name").asText("");
            if (!NAME.matcher(name).matches()) {
                throw new IllegalArgumentException(at + ".name: '" + name
                        + "' is not a column name (lower case letters, digits and _, at most 63, not starting with"
                        + " a digit)");
            }
            if (reserved.contains(name)) {
                throw new IllegalArgumentException(at + ".name: '" + name + "' is a column of the events table");
            }
            if (!names.add(name)) {
                throw new IllegalArgumentException(at + ".name: '" + name + "' is declared twice");
            }
            at = "columns[" + i + "] (" + name + ")";
            ColumnType type;
            try {
                type = ColumnType.parse(c.path("type").asText(""));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(at + ".type: " + e.getMessage());
            }
            List<String> path = path(c.path("path").asText(""), at);
            Object defaultValue = zero(type);
            if (c.has("default") && !c.get("default").isNull()) {
                ValueConverter.Result r = ValueConverter.convert(type, value(c.get("default")));
                if (r instanceof ValueConverter.Failed f) {
                    throw new IllegalArgumentException(at + ".default: " + f.detail());
                }
                defaultValue = ((ValueConverter.Converted) r).value();
            }
            Set<String> eventTypes = new java.util.TreeSet<>();
            JsonNode types = c.path("event_types");
            if (!types.isMissingNode() && !types.isNull()) {
                if (!types.isArray() || types.isEmpty()) {
                    throw new IllegalArgumentException(
                            at + ".event_types: a non-empty array of event types is expected (leave it out for all)");
                }
                types.forEach(t -> eventTypes.add(t.asText()));
            }
            out.add(new Column(name, type, path, defaultValue, Set.copyOf(eventTypes)));
        }
        return List.copyOf(out);
    }

    /** "properties.a.b" as [a, b]: a property, or a value inside an object-valued property. */
    private static List<String> path(String text, String at) {
        String[] parts = text.split("\\.", -1);
        if (parts.length < 2 || !parts[0].equals("properties")) {
            throw new IllegalArgumentException(
                    at + ".path: '" + text + "' is not a property's path (properties.<name>[.<name>...])");
        }
        List<String> out = new ArrayList<>();
        for (int k = 1; k < parts.length; k++) {
            if (!PATH_PART.matcher(parts[k]).matches()) {
                throw new IllegalArgumentException(at + ".path: '" + text + "' has an empty or odd name in it");
            }
            out.add(parts[k]);
        }
        return List.copyOf(out);
    }

    /** A value of the schema file as the converter takes it (its own JSON, so a default is checked as data is). */
    static JsonValue value(JsonNode n) {
        return JsonValue.of(n);
    }

    /** What a column holds where an event has no value: ClickHouse's own default of the type. */
    static Object zero(ColumnType type) {
        return switch (type.kind) {
            case INT -> 0L;
            case FLOAT64 -> 0.0;
            case DECIMAL -> java.math.BigDecimal.ZERO.setScale(type.scale);
            case STRING -> "";
            case DATE -> 0;
            case DATETIME -> 0L;
            case BOOL -> false;
            case ARRAY -> List.of();
        };
    }
}
