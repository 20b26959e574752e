package io.clickstream.etl.clickhouse;

import io.clickstream.etl.config.JobConfig;
import io.clickstream.etl.config.Options;
import io.clickstream.etl.schema.ColumnType;
import io.clickstream.etl.schema.DeclaredColumns;
import io.clickstream.etl.schema.JsonValue;
import io.clickstream.etl.schema.ValueConverter;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * The part of an event's row that the schema file declares (issue 29): {@code error_log} naming each value that did
 * not fit (field, the value as the event sent it, reason), then each declared column's value, converted exactly or
 * replaced by the column's default. error_log comes first so that an event without errors is told by its first byte. Encoded once where the event is parsed: nothing after that changes these
 * values, so the per-user step carries them as bytes and the sink appends them to the row.
 */
public final class DeclaredRow implements java.io.Serializable {
    private static final long serialVersionUID = 1L;

    /** The service columns, before the declared ones (sql/V009__error_log.sql). */
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
        List<String> names = new ArrayList<>(ERROR_LOG_COLUMNS);
        columns.forEach(c -> names.add(c.name()));
        this.columnNames = List.copyOf(names);
        RowBinaryBuffer buffer = buffer();
        errorLog(NONE, NONE, NONE);
        for (DeclaredColumns.Column c : columns) {
            DeclaredColumnEncoder.encode(c.type(), c.defaultValue(), buffer);
        }
        this.defaults = buffer.toByteArray();
        buffer.clear();
    }

    /**
     * The columns the file of {@code schema.file} declares; null when it is unset.
     *
     * @throws IllegalArgumentException naming schema.file and what to fix in it
     */
    public static DeclaredRow from(JobConfig config) {
        String file = config.get(Options.SCHEMA_FILE);
        if (file == null || file.isBlank()) {
            return null;
        }
        // Once per process: the source encodes what the sinks' column list names, so both must see the same file
        // even if it changes while the job is being built.
        DeclaredRow read = READ.get(file);
        if (read == null) {
            read = READ.computeIfAbsent(file, f -> read(f));
        }
        return read;
    }

    private static final java.util.concurrent.ConcurrentMap<String, DeclaredRow> READ =
            new java.util.concurrent.ConcurrentHashMap<>();

    private static DeclaredRow read(String file) {
        String text;
        try {
            text = Files.readString(Path.of(file));
        } catch (IOException | RuntimeException e) {
            throw new IllegalArgumentException(Options.SCHEMA_FILE.key() + ": cannot read " + file + " (" + e + ")");
        }
        try {
            return new DeclaredRow(DeclaredColumns.parse(text, reserved()));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(Options.SCHEMA_FILE.key() + " (" + file + "): " + e.getMessage());
        }
    }

    /** The events table's own columns (a Nested one by its name), which no declared column may take. */
    public static Set<String> reserved() {
        Set<String> names = new TreeSet<>(Set.of("uh", "error_log"));
        for (String c : EventRowEncoder.COLUMNS) {
            int dot = c.indexOf('.');
            names.add(dot < 0 ? c : c.substring(0, dot));
        }
        return names;
    }

    public List<DeclaredColumns.Column> columns() {
        return columns;
    }

    /** error_log's columns, then the declared columns' names: the columns of what {@link #encode} returns. */
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
        Object[] converted = new Object[columns.size()];
        for (int i = 0; i < columns.size(); i++) {
            DeclaredColumns.Column c = columns.get(i);
            JsonValue v = values[i];
            converted[i] = c.defaultValue();
            if (v != null && c.appliesTo(eventType)) {
                ValueConverter.Result r = ValueConverter.convert(c.type(), v);
                if (r instanceof ValueConverter.Converted ok) {
                    if (ok.value() != null) {
                        converted[i] = ok.value();
                    }
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
        }
        RowBinaryBuffer buffer = buffer();
        buffer.clear();
        if (fields == null) {
            errorLog(NONE, NONE, NONE);
        } else {
            errorLog(fields.toArray(NONE), raw.toArray(NONE), reasons.toArray(NONE));
        }
        for (int i = 0; i < columns.size(); i++) {
            DeclaredColumnEncoder.encode(columns.get(i).type(), converted[i], buffer);
        }
        return buffer.toByteArray();
    }

    /**
     * Each field and reason of the error_log at the start of {@code row} (a row {@link #encode} made); nothing to read
     * when the event had no errors.
     */
    public static void errors(byte[] row, java.util.function.BiConsumer<String, String> fieldAndReason) {
        if (row == null || row.length == 0 || row[0] == 0) {
            return;
        }
        RowBinaryInput in = new RowBinaryInput(row, 0);
        String[] fields = in.stringArray();
        in.stringArray(); // the values
        String[] reasons = in.stringArray();
        for (int i = 0; i < fields.length; i++) {
            fieldAndReason.accept(fields[i], reasons[i]);
        }
    }

    /** Reads past one row's declared part, returning its bytes. */
    public byte[] read(RowBinaryInput in) {
        int start = in.position();
        for (int i = 0; i < ERROR_LOG_COLUMNS.size(); i++) {
            in.stringArray();
        }
        for (DeclaredColumns.Column c : columns) {
            skip(c.type(), in);
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
