package io.clickstream.etl.schema;

import java.io.Serializable;
import java.math.BigInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A declared column's ClickHouse type, as the schema file names it: integers of each width, Float64, Decimal(P, S),
 * String, LowCardinality(String), Date, DateTime, Bool, and Array of any of these. Only types whose every value the
 * job can check exactly: no Float32 (a JSON number would be rounded twice), no Nullable (a missing value is the
 * column's default and, when the value was there but wrong, an error_log entry).
 */
public final class ColumnType implements Serializable {
    private static final long serialVersionUID = 1L;

    /** The kinds of value, each with the range or format {@link ValueConverter} checks. */
    public enum Kind {
        INT,
        FLOAT64,
        DECIMAL,
        STRING,
        DATE,
        DATETIME,
        BOOL,
        ARRAY
    }

    private static final Pattern INT = Pattern.compile("(U?)Int(8|16|32|64)");
    private static final Pattern DECIMAL = Pattern.compile("Decimal\\(\\s*(\\d+)\\s*,\\s*(\\d+)\\s*\\)");
    private static final Pattern DECIMAL_N = Pattern.compile("Decimal(32|64|128)\\(\\s*(\\d+)\\s*\\)");
    private static final Pattern ARRAY = Pattern.compile("Array\\((.+)\\)");

    public final Kind kind;
    /** As ClickHouse writes it (the DDL's type). */
    public final String name;
    /** INT: the smallest and largest value. */
    public final BigInteger min;

    public final BigInteger max;
    /** INT: the width in bytes; DECIMAL: the precision (P). */
    public final int size;
    /** DECIMAL: the scale (S). */
    public final int scale;
    /** ARRAY: the elements' type. */
    public final ColumnType element;

    private ColumnType(
            Kind kind, String name, BigInteger min, BigInteger max, int size, int scale, ColumnType element) {
        this.kind = kind;
        this.name = name;
        this.min = min;
        this.max = max;
        this.size = size;
        this.scale = scale;
        this.element = element;
    }

    /**
     * The type a schema file names.
     *
     * @throws IllegalArgumentException naming the type and what is accepted
     */
    public static ColumnType parse(String text) {
        String t = text == null ? "" : text.strip();
        Matcher m = INT.matcher(t);
        if (m.matches()) {
            int bits = Integer.parseInt(m.group(2));
            boolean unsigned = !m.group(1).isEmpty();
            BigInteger min = unsigned
                    ? BigInteger.ZERO
                    : BigInteger.ONE.shiftLeft(bits - 1).negate();
            BigInteger max = unsigned
                    ? BigInteger.ONE.shiftLeft(bits).subtract(BigInteger.ONE)
                    : BigInteger.ONE.shiftLeft(bits - 1).subtract(BigInteger.ONE);
            return new ColumnType(Kind.INT, t, min, max, bits / 8, 0, null);
        }
        m = DECIMAL.matcher(t);
        Matcher n = DECIMAL_N.matcher(t);
        if (m.matches() || n.matches()) {
            int precision = m.matches()
                    ? Integer.parseInt(m.group(1))
                    : Integer.parseInt(n.group(1)) == 32 ? 9 : Integer.parseInt(n.group(1)) == 64 ? 18 : 38;
            int scale = Integer.parseInt(m.matches() ? m.group(2) : n.group(2));
            if (precision < 1 || precision > 38 || scale > precision) {
                throw new IllegalArgumentException("type " + t + ": a Decimal needs 1 <= P <= 38 and 0 <= S <= P");
            }
            return new ColumnType(
                    Kind.DECIMAL, "Decimal(" + precision + ", " + scale + ")", null, null, precision, scale, null);
        }
        m = ARRAY.matcher(t);
        if (m.matches()) {
            ColumnType element = parse(m.group(1));
            if (element.kind == Kind.ARRAY) {
                throw new IllegalArgumentException("type " + t + ": arrays of arrays are not supported");
            }
            return new ColumnType(Kind.ARRAY, "Array(" + element.name + ")", null, null, 0, 0, element);
        }
        return switch (t) {
            case "Float64" -> new ColumnType(Kind.FLOAT64, t, null, null, 8, 0, null);
            case "String", "LowCardinality(String)" -> new ColumnType(Kind.STRING, t, null, null, 0, 0, null);
            case "Date" -> new ColumnType(Kind.DATE, t, null, null, 2, 0, null);
            case "DateTime" -> new ColumnType(Kind.DATETIME, t, null, null, 4, 0, null);
            // 18.16 has no Bool type: a UInt8 of 0 or 1 there, Bool on current versions reads the same bytes.
            case "Bool" -> new ColumnType(Kind.BOOL, t, null, null, 1, 0, null);
            default ->
                throw new IllegalArgumentException("type '" + t + "' is not supported: one of (U)Int8/16/32/64,"
                        + " Float64, Decimal(P, S), String, LowCardinality(String), Date, DateTime, Bool, Array(...)");
        };
    }

    /** The type as the DDL of a ClickHouse of {@code version18} (18.16, which has no Bool) or current names it. */
    public String ddl(boolean version18) {
        return switch (kind) {
            case BOOL -> version18 ? "UInt8" : "Bool";
            case ARRAY -> "Array(" + element.ddl(version18) + ")";
            default -> name;
        };
    }

    @Override
    public String toString() {
        return name;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ColumnType c && c.name.equals(name);
    }

    @Override
    public int hashCode() {
        return name.hashCode();
    }
}
