package io.clickstream.etl.clickhouse;

import io.clickstream.etl.schema.ColumnType;
import io.clickstream.etl.schema.JsonValue;
import io.clickstream.etl.schema.ValueConverter;
import java.util.ArrayList;
import java.util.List;

/**
 * One row of declared columns at their types' edges, converted from JSON values and encoded as the sink would, with
 * the text each ClickHouse version must give back for it (both versions' ITs use it).
 */
final class DeclaredColumnsRoundTrip {
    /** A column: its type, the JSON value converted into it, and the value as TabSeparated writes it. */
    record Case(String name, String type, JsonValue value, String text) {}

    static final List<Case> CASES = List.of(
            new Case("i8", "Int8", JsonValue.number("-128"), "-128"),
            new Case("u8", "UInt8", JsonValue.string("255"), "255"),
            new Case("i16", "Int16", JsonValue.number("-32768"), "-32768"),
            new Case("u16", "UInt16", JsonValue.number("65535"), "65535"),
            new Case("i32", "Int32", JsonValue.number("-2147483648"), "-2147483648"),
            new Case("u32", "UInt32", JsonValue.number("4294967295"), "4294967295"),
            new Case("i64", "Int64", JsonValue.number("-9223372036854775808"), "-9223372036854775808"),
            new Case("u64", "UInt64", JsonValue.number("18446744073709551615"), "18446744073709551615"),
            new Case("big", "Int64", JsonValue.number("9007199254740993"), "9007199254740993"),
            new Case("f", "Float64", JsonValue.number("-1.5e-3"), "-0.0015"),
            new Case("d32", "Decimal(9, 2)", JsonValue.number("-9999999.99"), "-9999999.99"),
            // Every decimal place significant: current versions print 12.5000 as 12.5.
            new Case("d64", "Decimal(18, 4)", JsonValue.string("12.3456"), "12.3456"),
            new Case(
                    "d128",
                    "Decimal(38, 2)",
                    JsonValue.number("-" + "9".repeat(36) + ".99"),
                    "-" + "9".repeat(36) + ".99"),
            new Case("s", "String", JsonValue.string("ü\ttab"), "ü\\ttab"),
            new Case("lc", "LowCardinality(String)", JsonValue.string("720p"), "720p"),
            new Case("day", "Date", JsonValue.string("2106-02-07"), "2106-02-07"),
            new Case("t", "DateTime", JsonValue.number("4294967295"), "4294967295"),
            new Case("b", "Bool", JsonValue.bool(true), "1"),
            new Case(
                    "a",
                    "Array(Int16)",
                    JsonValue.array(List.of(JsonValue.number("-1"), JsonValue.string("32767"))),
                    "[-1,32767]"));

    private DeclaredColumnsRoundTrip() {}

    /** The CREATE TABLE of the cases' columns ({@code version18}: 18.16's names), ordered by nothing. */
    static String createTable(String table, boolean version18, String engine) {
        List<String> columns = new ArrayList<>();
        for (Case c : CASES) {
            columns.add(c.name() + " " + ColumnType.parse(c.type()).ddl(version18));
        }
        return "CREATE TABLE " + table + " (" + String.join(", ", columns) + ") ENGINE = " + engine;
    }

    static List<String> names() {
        return CASES.stream().map(Case::name).toList();
    }

    /** The row as the sink would encode it. */
    static byte[] row() {
        RowBinaryBuffer out = new RowBinaryBuffer(256);
        for (Case c : CASES) {
            ColumnType type = ColumnType.parse(c.type());
            ValueConverter.Result r = ValueConverter.convert(type, c.value());
            DeclaredColumnEncoder.encode(type, ((ValueConverter.Converted) r).value(), out);
        }
        return java.util.Arrays.copyOf(out.array(), out.size());
    }

    /** What SELECT of the columns, cast to text where versions print differently, gives back. */
    static String select(String table) {
        List<String> columns = new ArrayList<>();
        for (Case c : CASES) {
            // DateTime as seconds and Bool as a number: the versions print them differently.
            columns.add(
                    c.type().equals("DateTime")
                            ? "toUInt32(" + c.name() + ")"
                            : c.type().equals("Bool") ? "toUInt8(" + c.name() + ")" : c.name());
        }
        return "SELECT " + String.join(", ", columns) + " FROM " + table;
    }

    /** Declared columns with a default each, as a schema file has them, for the DDL's round trip. */
    static final String WITH_DEFAULTS = "{\"columns\": ["
            + "{\"name\": \"i8\", \"type\": \"Int8\", \"path\": \"properties.a\", \"default\": -5},"
            + "{\"name\": \"u64\", \"type\": \"UInt64\", \"path\": \"properties.b\","
            + " \"default\": 18446744073709551615},"
            + "{\"name\": \"f\", \"type\": \"Float64\", \"path\": \"properties.c\", \"default\": 0.25},"
            + "{\"name\": \"d\", \"type\": \"Decimal(12, 2)\", \"path\": \"properties.d\", \"default\": 12.34},"
            + "{\"name\": \"s\", \"type\": \"String\", \"path\": \"properties.e\", \"default\": \"none\"},"
            + "{\"name\": \"lc\", \"type\": \"LowCardinality(String)\", \"path\": \"properties.f\","
            + " \"default\": \"auto\"},"
            + "{\"name\": \"day\", \"type\": \"Date\", \"path\": \"properties.g\", \"default\": \"2026-12-07\"},"
            + "{\"name\": \"t\", \"type\": \"DateTime\", \"path\": \"properties.h\","
            + " \"default\": \"2026-12-07T10:00:00Z\"},"
            + "{\"name\": \"b\", \"type\": \"Bool\", \"path\": \"properties.i\", \"default\": true},"
            + "{\"name\": \"a\", \"type\": \"Array(Int16)\", \"path\": \"properties.j\", \"default\": [1, -2]}"
            + "]}";

    /** A row written without the declared columns, read back: their defaults. */
    static final String DEFAULTS =
            "x\t-5\t18446744073709551615\t0.25\t12.34\tnone\tauto\t2026-12-07\t1796637600\t1\t[1,-2]\n";

    /**
     * Adds the declared columns to {@code db}'s events_local and events (plain tables here: the statements, not the
     * engines, are under test), writes a row without them into each, and returns what it reads back from each (a
     * Distributed table fills a column left out with its own default and sends that on).
     */
    static String addedColumnsDefaults(String db, boolean version18, SqlRunner sql) throws Exception {
        sql.run("CREATE TABLE " + db + ".events_local (event_id String) ENGINE = MergeTree ORDER BY event_id");
        sql.run("CREATE TABLE " + db + ".events (event_id String) ENGINE = MergeTree ORDER BY event_id");
        for (String statement : DeclaredColumnsDdl.statements(
                db,
                null,
                io.clickstream.etl.schema.DeclaredColumns.parse(WITH_DEFAULTS, java.util.Set.of()),
                java.util.Map.of(),
                java.util.Map.of(),
                version18)) {
            sql.run(statement);
        }
        String read = "";
        for (String table : java.util.List.of("events_local", "events")) {
            sql.run("INSERT INTO " + db + "." + table + " (event_id) VALUES ('x')");
            read += sql.run(
                    "SELECT event_id, i8, u64, f, d, s, lc, day, toUInt32(t), toUInt8(b), a FROM " + db + "." + table);
        }
        return read;
    }

    /** Runs one statement, returns its TabSeparated answer. */
    @FunctionalInterface
    interface SqlRunner {
        String run(String sql) throws Exception;
    }

    static String expected() {
        return String.join("\t", CASES.stream().map(Case::text).toList()) + "\n";
    }
}
