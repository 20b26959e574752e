package io.clickstream.etl.clickhouse;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.clickstream.etl.schema.DeclaredColumns;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class DeclaredColumnsDdlTest {
    private static List<DeclaredColumns.Column> columns(String json) {
        return DeclaredColumns.parse("{\"columns\": [" + json + "]}", Set.of("event_id"));
    }

    @Test
    void aNewColumnGoesToTheShardsTableWithItsDefaultThenToTheDistributedOneWhereverItIsMissing() {
        assertThat(DeclaredColumnsDdl.statements(
                        "cs",
                        "c",
                        columns(
                                "{\"name\": \"ok\", \"type\": \"Bool\", \"path\": \"properties.ok\", \"default\": true},"
                                        + "{\"name\": \"v\", \"type\": \"String\", \"path\": \"properties.v\"}"),
                        Map.of(),
                        Map.of("v", "String"),
                        true))
                .as("v is in the Distributed table already (a run that stopped half-way)")
                .containsExactly(
                        "ALTER TABLE cs.events_local ON CLUSTER c ADD COLUMN ok UInt8 DEFAULT 1",
                        "ALTER TABLE cs.events_local ON CLUSTER c ADD COLUMN v String DEFAULT ''",
                        "ALTER TABLE cs.events ON CLUSTER c ADD COLUMN ok UInt8 DEFAULT 1");
    }

    /** The statements for a column age declared as {@code type}, stored as UInt8 in both tables. */
    private static List<String> ageStoredAsUInt8(String type, boolean version18) {
        return DeclaredColumnsDdl.statements(
                "cs",
                null,
                columns("{\"name\": \"age\", \"type\": \"" + type + "\", \"path\": \"properties.age\"}"),
                Map.of("age", "UInt8"),
                Map.of("age", "UInt8"),
                version18);
    }

    private static boolean widens(String from, String to) {
        return DeclaredColumnsDdl.widens(
                io.clickstream.etl.schema.ColumnType.parse(from), io.clickstream.etl.schema.ColumnType.parse(to));
    }

    @Test
    void aStoredColumnIsWidenedWhenNoValueCanBeLostAndOtherwiseRefused() {
        assertThat(ageStoredAsUInt8("UInt16", false))
                .containsExactly(
                        "ALTER TABLE cs.events_local MODIFY COLUMN age UInt16",
                        "ALTER TABLE cs.events MODIFY COLUMN age UInt16");
        assertThat(ageStoredAsUInt8("UInt8", false))
                .as("as stored: nothing to do")
                .isEmpty();
        assertThat(ageStoredAsUInt8("Bool", true))
                .as("a Bool is a UInt8 on 18.16")
                .isEmpty();
        assertThatThrownBy(() -> ageStoredAsUInt8("Int8", false))
                .hasMessage("column age: UInt8 to Int8 could lose stored values; declare a new column instead");
        for (String[] ok : new String[][] {
            {"Int32", "Int64"},
            {"UInt32", "Int64"},
            {"Decimal(9, 2)", "Decimal(18, 2)"},
            {"String", "LowCardinality(String)"},
            {"LowCardinality(String)", "String"},
            {"Array(UInt8)", "Array(UInt16)"}
        }) {
            assertThat(widens(ok[0], ok[1])).as("%s to %s", ok[0], ok[1]).isTrue();
        }
        for (String[] no : new String[][] {
            {"Int64", "UInt64"},
            {"Int64", "Float64"},
            {"Float64", "Int64"},
            {"Decimal(9, 2)", "Decimal(18, 3)"},
            {"Decimal(18, 2)", "Decimal(9, 2)"},
            {"String", "Int64"},
            {"Date", "DateTime"},
            {"Array(Int16)", "Array(Int8)"}
        }) {
            assertThat(widens(no[0], no[1])).as("%s to %s", no[0], no[1]).isFalse();
        }
    }
}
