package io.clickstream.etl.clickhouse;

import static org.assertj.core.api.Assertions.assertThat;

import io.clickstream.etl.schema.DeclaredColumns;
import io.clickstream.etl.schema.JsonValue;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class DeclaredRowTest {
    private static final DeclaredRow ROW = new DeclaredRow(DeclaredColumns.parse(
            "{\"columns\": ["
                    + "{\"name\": \"age\", \"type\": \"UInt8\", \"path\": \"properties.age\", \"default\": 7},"
                    + "{\"name\": \"price\", \"type\": \"Decimal(10, 2)\", \"path\": \"properties.price\","
                    + " \"event_types\": [\"purchase\"]},"
                    + "{\"name\": \"tags\", \"type\": \"Array(String)\", \"path\": \"properties.tags\"}]}",
            Set.of("event_id")));

    /** The expected bytes, written value by value with the column encoder. */
    private static byte[] row(long age, String price, List<String> tags, String[]... errorLog) {
        RowBinaryBuffer out = new RowBinaryBuffer(64);
        String[][] log = errorLog.length == 0 ? new String[][] {{}, {}, {}} : errorLog;
        for (String[] column : log) {
            out.stringArray(column);
        }
        List<DeclaredColumns.Column> c = ROW.columns();
        DeclaredColumnEncoder.encode(c.get(0).type(), age, out);
        DeclaredColumnEncoder.encode(c.get(1).type(), new BigDecimal(price), out);
        DeclaredColumnEncoder.encode(c.get(2).type(), tags, out);
        return out.toByteArray();
    }

    private static JsonValue[] values(JsonValue... v) {
        return v;
    }

    @Test
    void withoutASchemaFileTheEventsAreWrittenWithTheJobsOwnColumns() {
        assertThat(EventRowEncoder.INSTANCE.columns()).isNotNull().isEqualTo(EventRowEncoder.COLUMNS);
        assertThat(EventRowEncoder.withDeclared(null)).isSameAs(EventRowEncoder.INSTANCE);
        assertThat(EventRowEncoder.withDeclared(ROW).columns())
                .startsWith(EventRowEncoder.COLUMNS.toArray(String[]::new))
                .endsWith(ROW.columnNames().toArray(String[]::new));
    }

    @Test
    void theColumnsAreErrorLogThenTheDeclaredOnes() {
        assertThat(ROW.columnNames())
                .containsExactly("error_log.field", "error_log.value", "error_log.reason", "age", "price", "tags");
    }

    @Test
    void valuesThatFitAreStoredAndErrorLogStaysEmpty() {
        List<String> failed = new ArrayList<>();
        byte[] got = ROW.encode(
                "purchase",
                values(
                        JsonValue.number("30"),
                        JsonValue.number("12.50"),
                        JsonValue.array(List.of(JsonValue.string("a"), JsonValue.string("b")))),
                (column, reason) -> failed.add(column + ":" + reason));
        assertThat(got).isEqualTo(row(30, "12.50", List.of("a", "b")));
        assertThat(failed).isEmpty();
    }

    @Test
    void aValueThatDoesNotFitIsTheDefaultAndNamedInErrorLogWithTheValueAsSentAndTheReason() {
        List<String> failed = new ArrayList<>();
        byte[] got = ROW.encode(
                "purchase",
                values(
                        JsonValue.number("300"),
                        JsonValue.string("abc"),
                        JsonValue.array(List.of(JsonValue.string("a"), JsonValue.array(List.of())))),
                (column, reason) -> failed.add(column + ":" + reason));
        assertThat(got)
                .isEqualTo(row(
                        7,
                        "0.00",
                        List.of(),
                        new String[] {"age", "price", "tags"},
                        new String[] {"300", "abc", "[\"a\",[]]"},
                        new String[] {"out_of_range", "not_a_number", "wrong_type"}));
        assertThat(failed).containsExactly("age:out_of_range", "price:not_a_number", "tags:wrong_type");
        List<String> read = new ArrayList<>();
        DeclaredRow.errors(got, (field, reason) -> read.add(field + ":" + reason));
        assertThat(read).as("read back from the row").isEqualTo(failed);
        DeclaredRow.errors(ROW.defaults(), (field, reason) -> read.add("none expected"));
        assertThat(read).hasSize(3);
    }

    @Test
    void anEventTypeTheColumnIsNotForAndAMissingOrNullValueGetTheDefaultWithoutAnError() {
        List<String> failed = new ArrayList<>();
        byte[] got = ROW.encode(
                "page_view",
                values(null, JsonValue.string("abc"), JsonValue.NULL),
                (column, reason) -> failed.add(column));
        assertThat(got).as("price is for purchases only").isEqualTo(row(7, "0", List.of()));
        assertThat(got).isEqualTo(ROW.defaults());
        assertThat(failed).isEmpty();
    }

    @Test
    void aLongValueIsCutInErrorLog() {
        String huge = "x".repeat(5000);
        byte[] got = ROW.encode("purchase", values(JsonValue.string(huge), null, null), (column, reason) -> {});
        RowBinaryInput in = new RowBinaryInput(got, 0);
        assertThat(in.stringArray()).containsExactly("age");
        String[] shown = in.stringArray();
        assertThat(shown[0])
                .hasSize(DeclaredRow.MAX_ERROR_VALUE + 1)
                .startsWith("xxx")
                .endsWith("…");
        assertThat(in.stringArray()).containsExactly("not_a_number");
    }

    @Test
    void readingARowBackTakesExactlyItsBytes() {
        byte[] one = ROW.encode(
                "purchase",
                values(JsonValue.number("1"), JsonValue.number("2"), JsonValue.array(List.of(JsonValue.string("é")))),
                (column, reason) -> {});
        byte[] two = ROW.encode("purchase", values(JsonValue.string("?"), null, null), (column, reason) -> {});
        byte[] both = Arrays.copyOf(one, one.length + two.length + 1);
        System.arraycopy(two, 0, both, one.length, two.length);
        both[both.length - 1] = 42;
        RowBinaryInput in = new RowBinaryInput(both, 0);
        assertThat(ROW.read(in)).isEqualTo(one);
        assertThat(ROW.read(in)).isEqualTo(two);
        assertThat(in.uint8()).isEqualTo(42);
    }

    @Test
    void theSchemaFileIsReadOnceSoTheSourceAndTheSinksSeeTheSameColumns(
            @org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
        java.nio.file.Path file = dir.resolve("columns.json");
        java.nio.file.Files.writeString(
                file, "{\"columns\": [{\"name\": \"a\", \"type\": \"UInt8\", \"path\": \"properties.a\"}]}");
        io.clickstream.etl.config.JobConfig config =
                io.clickstream.etl.config.JobConfig.of(java.util.Map.of("schema.file", file.toString()));
        DeclaredRow first = DeclaredRow.from(config);
        java.nio.file.Files.writeString(file, "{\"columns\": []}");
        assertThat(DeclaredRow.from(config)).isSameAs(first);
        assertThat(first.columnNames()).endsWith("a");

        java.nio.file.Path bad = dir.resolve("bad.json");
        java.nio.file.Files.writeString(
                bad, "{\"columns\": [{\"name\": \"event_id\", \"type\": \"UInt8\", \"path\": \"properties.a\"}]}");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> DeclaredRow.from(
                        io.clickstream.etl.config.JobConfig.of(java.util.Map.of("schema.file", bad.toString()))))
                .hasMessageStartingWith(
                        "schema.file (" + bad + "): columns[0].name: 'event_id' is a column of the events" + " table");
        assertThat(DeclaredRow.from(io.clickstream.etl.config.JobConfig.of(java.util.Map.of())))
                .isNull();
    }
}
