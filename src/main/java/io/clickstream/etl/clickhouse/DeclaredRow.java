package io.clickstream.etl.clickhouse;

import io.clickstream.etl.schema.ColumnType;
import io.clickstream.etl.schema.DeclaredColumns;
import io.clickstream.etl.schema.JsonValue;
import io.clickstream.etl.schema.ValueConverter;
import java.util.ArrayList;
import java.util.List;

/**
 * The part of an event's row that the schema file declares (issue 29): each declared column's value, converted
 * exactly or replaced by the column's default, then {@code error_log} naming each value that did not fit (field, the
 * value as the event sent it, reason). Encoded once where the event is parsed: nothing after that changes these
 * values, so the per-user step carries them as bytes and the sink appends them to the row.
 */
public final class DeclaredRow implements java.io.Serializable {
    private static final long serialVersionUID = 1L;

    /** The service columns after the declared ones (sql/V009__error_log.sql). */
    public static final List<String> ERROR_LOG_COLUMNS =
            List.of("error_log.field", "error_log.value", "error_log.reason");

    /** A value longer than this is cut in error_log (the whole value stays in props). */
    static final int MAX_ERROR_VALUE = 1000;

    private static final String[] NONE = new String[0];

    /** Told of each value that did not fit, to count by field and reason. */
    public interface Errors {
        void failed(String column, String reason);
    }

    private final List<DeclaredColumns.Column> columns;
    private final List<String> columnNames;
    private final byte[] defaults;
    /** The task's own (an instance is used by one thread: each task deserializes its copy). */
    private transient RowBinaryBuffer buffer;

    public DeclaredRow(List<DeclaredColumns.Column> columns) {
        this.columns = List.copyOf(columns);
        List<String> names = new ArrayList<>();
        columns.forEach(c -> names.add(c.name()));
        names.addAll(ERROR_LOG_COLUMNS);
        this.columnNames = List.copyOf(names);
        RowBinaryBuffer buffer = buffer();
        for (DeclaredColumns.Column c : columns) {
            DeclaredColumnEncoder.encode(c.type(), c.defaultValue(), buffer);
        }
        errorLog(NONE, NONE, NONE);
        this.defaults = buffer.toByteArray();
        buffer.clear();
    }

    public List<DeclaredColumns.Column> columns() {
        return columns;
    }

    /** The declared columns' names, then error_log's: the columns of what {@link #encode} returns. */
    public List<String> columnNames() {
        return columnNames;
    }

    /** Every column's default and an empty error_log: the row of an event parsed without these columns. */
    public byte[] defaults() {
        return defaults;
    }

    /**
     * The columns of an event of type {@code eventType} whose values at the declared paths are {@code values} (by
     * column; null where the event has none).
     */
    public byte[] encode(String eventType, JsonValue[] values, Errors errors) {
        List<String> fields = null;
        List<String> raw = null;
        List<String> reasons = null;
        RowBinaryBuffer buffer = buffer();
        buffer.clear();
        for (int i = 0; i < columns.size(); i++) {
            DeclaredColumns.Column c = columns.get(i);
            JsonValue v = values[i];
            Object value = null;
            if (v != null && c.appliesTo(eventType)) {
                ValueConverter.Result r = ValueConverter.convert(c.type(), v);
                if (r instanceof ValueConverter.Converted converted) {
                    value = converted.value();
                } else {
                    ValueConverter.Failed f = (ValueConverter.Failed) r;
                    if (fields == null) {
                        fields = new ArrayList<>(2);
                        raw = new ArrayList<>(2);
                        reasons = new ArrayList<>(2);
                    }
                    fields.add(c.name());
                    raw.add(shown(v));
                    reasons.add(f.reason());
                    errors.failed(c.name(), f.reason());
                }
            }
            DeclaredColumnEncoder.encode(c.type(), value == null ? c.defaultValue() : value, buffer);
        }
        if (fields == null) {
            errorLog(NONE, NONE, NONE);
        } else {
            errorLog(fields.toArray(NONE), raw.toArray(NONE), reasons.toArray(NONE));
        }
        return buffer.toByteArray();
    }

    /** Reads past one row's declared part, returning its bytes. */
    public byte[] read(RowBinaryInput in) {
        int start = in.position();
        for (DeclaredColumns.Column c : columns) {
            skip(c.type(), in);
        }
        for (int i = 0; i < ERROR_LOG_COLUMNS.size(); i++) {
            in.stringArray();
        }
        return in.copyFrom(start);
    }

    private RowBinaryBuffer buffer() {
        if (buffer == null) {
            buffer = new RowBinaryBuffer(256);
        }
        return buffer;
    }

    private void errorLog(String[] fields, String[] values, String[] reasons) {
        buffer.stringArray(fields);
        buffer.stringArray(values);
        buffer.stringArray(reasons);
    }

    /** The value as the event sent it (its JSON for an array), cut at {@link #MAX_ERROR_VALUE} characters. */
    static String shown(JsonValue v) {
        String text = v.json();
        return text.length() <= MAX_ERROR_VALUE ? text : text.substring(0, MAX_ERROR_VALUE) + "…";
    }

    private static void skip(ColumnType type, RowBinaryInput in) {
        switch (type.kind) {
            case INT -> in.skip(type.size);
            case FLOAT64 -> in.skip(8);
            case DECIMAL -> in.skip(type.size <= 9 ? 4 : type.size <= 18 ? 8 : 16);
            case STRING -> in.skip((int) in.varUInt());
            case DATE -> in.skip(2);
            case DATETIME -> in.skip(4);
            case BOOL -> in.skip(1);
            case ARRAY -> {
                long n = in.varUInt();
                for (long k = 0; k < n; k++) {
                    skip(type.element, in);
                }
            }
        }
    }
}
