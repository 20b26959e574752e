package io.clickstream.etl.clickhouse;

import io.clickstream.etl.schema.ColumnType;
import io.clickstream.etl.schema.DeclaredColumns.Column;
import java.math.BigDecimal;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The statements that give the events tables a schema file's declared columns (issue 29): a new column is added to
 * the shards' table and then to the Distributed table (so the sink, which names its columns, can write it once both
 * have it), with its default; a column whose declared type is wider than the stored one is widened; any other change
 * of type is refused, as it could lose stored values (declare a new column instead). A column the tables hold and the
 * file no longer names is left alone: removing one is a decision of its own.
 */
public final class DeclaredColumnsDdl {
    private DeclaredColumnsDdl() {}

    /**
     * The statements for {@code db}'s events_local and events, given the types each has now ({@code stored} and
     * {@code storedDistributed}: name to type as system.columns writes it; each table on its own, so that a run that
     * stopped between the two is finished by the next); {@code cluster}: ON CLUSTER it, or null (one server);
     * {@code version18}: ClickHouse 18.16's type names (no Bool). 18.16 knows no ADD COLUMN IF NOT EXISTS: a column is
     * added where it is missing.
     *
     * @throws IllegalArgumentException naming the column and the two types, for a change that could lose values
     */
    public static List<String> statements(
            String db,
            String cluster,
            List<Column> declared,
            Map<String, String> stored,
            Map<String, String> storedDistributed,
            boolean version18) {
        String on = cluster == null ? "" : " ON CLUSTER " + cluster;
        List<String> local = new ArrayList<>();
        List<String> distributed = new ArrayList<>();
        for (Column c : declared) {
            String type = c.type().ddl(version18);
            String change = change(c, stored.get(c.name()), type, version18);
            if (change != null) {
                local.add("ALTER TABLE " + db + ".events_local" + on + change);
            }
            change = change(c, storedDistributed.get(c.name()), type, version18);
            if (change != null) {
                distributed.add("ALTER TABLE " + db + ".events" + on + change);
            }
        }
        local.addAll(distributed);
        return local;
    }

    /**
     * " ADD COLUMN … DEFAULT …" or " MODIFY COLUMN …" for a table whose column is {@code now} (null: none), or null: as
     * is. The default goes to both tables: older rows of the shards' table read it, and a Distributed table fills a
     * column an insert leaves out with its own default and sends that to the shards.
     */
    private static String change(Column c, String now, String type, boolean version18) {
        if (now == null) {
            return " ADD COLUMN " + c.name() + " " + type + " DEFAULT "
                    + literal(c.type(), c.defaultValue(), version18);
        }
        if (now.equals(type)) {
            return null;
        }
        ColumnType from = ColumnType.parse(now.equals("UInt8") && c.type().kind == ColumnType.Kind.BOOL ? "Bool" : now);
        if (!widens(from, c.type())) {
            throw new IllegalArgumentException("column " + c.name() + ": " + now + " to " + type
                    + " could lose stored values; declare a new column instead");
        }
        return " MODIFY COLUMN " + c.name() + " " + type;
    }

    /** Whether every value of {@code from} is a value of {@code to}. */
    static boolean widens(ColumnType from, ColumnType to) {
        if (from.equals(to)) {
            return true;
        }
        return switch (from.kind) {
            case INT ->
                to.kind == ColumnType.Kind.INT && to.min.compareTo(from.min) <= 0 && to.max.compareTo(from.max) >= 0;
            case DECIMAL -> to.kind == ColumnType.Kind.DECIMAL && to.scale == from.scale && to.size >= from.size;
            case STRING -> to.kind == ColumnType.Kind.STRING; // String and LowCardinality(String) hold the same values
            case ARRAY -> to.kind == ColumnType.Kind.ARRAY && widens(from.element, to.element);
            default -> false;
        };
    }

    /** A value ({@link io.clickstream.etl.schema.ValueConverter.Converted}'s representation) as an SQL literal. */
    static String literal(ColumnType type, Object value, boolean version18) {
        return switch (type.kind) {
            case INT -> type.min.signum() == 0 ? Long.toUnsignedString((Long) value) : value.toString();
            case FLOAT64 -> Double.toString((Double) value);
            case DECIMAL -> "CAST('" + ((BigDecimal) value).toPlainString() + "' AS " + type.name + ")";
            case STRING -> ClickHouseSql.literal((String) value);
            case DATE -> "toDate('" + LocalDate.ofEpochDay((Integer) value) + "')";
            case DATETIME -> "toDateTime(" + value + ")";
            case BOOL -> version18 ? ((Boolean) value ? "1" : "0") : value.toString();
            case ARRAY -> {
                List<String> elements = new ArrayList<>();
                for (Object e : (List<?>) value) {
                    elements.add(literal(type.element, e, version18));
                }
                yield "CAST([" + String.join(", ", elements) + "] AS " + type.ddl(version18) + ")";
            }
        };
    }
}
