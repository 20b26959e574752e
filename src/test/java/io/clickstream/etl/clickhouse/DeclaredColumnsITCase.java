package io.clickstream.etl.clickhouse;

import static org.assertj.core.api.Assertions.assertThat;

import io.clickstream.etl.event.Event;
import io.clickstream.etl.schema.DeclaredColumns;
import io.clickstream.etl.schema.JsonValue;
import io.clickstream.etl.testing.TestStack;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * Declared columns (issue 29) on ClickHouse 18.16: values converted at their types' edges, encoded as the sink
 * encodes and inserted through the sink's inserter, come back as they were ({@code ModernClickHouseSqlITCase} does the
 * same on the current version).
 */
class DeclaredColumnsITCase {
    @Test
    void declaredColumnsAtTheirTypesEdgesComeBackAsConvertedAndEncoded() throws Exception {
        String db = TestStack.migratedDatabase();
        String node = TestStack.clickHouseUrls().get(0);
        String table = db + ".declared";
        TestStack.query(node, DeclaredColumnsRoundTrip.createTable(table, true, "Memory"));
        byte[] row = DeclaredColumnsRoundTrip.row();
        try (Inserter inserter = ClickHouseInserter.factory(
                        TestStack.clickHouse(), table, DeclaredColumnsRoundTrip.names(), true, 30_000)
                .open()) {
            inserter.insert(new Batch(row, 1, 0, List.of()));
        }
        assertThat(TestStack.query(node, DeclaredColumnsRoundTrip.select(table) + " FORMAT TabSeparated"))
                .isEqualTo(DeclaredColumnsRoundTrip.expected());
    }

    @Test
    void theStatementsOfASchemaFileAddItsColumnsWithTheirDefaults() throws Exception {
        String node = TestStack.clickHouseUrls().get(0);
        String db = "declared_" + Long.toHexString(System.nanoTime());
        TestStack.query(node, "CREATE DATABASE " + db);
        try {
            assertThat(DeclaredColumnsRoundTrip.addedColumnsDefaults(
                            db,
                            true,
                            sql -> TestStack.query(node, sql + (sql.startsWith("SELECT") ? " FORMAT TSV" : ""))))
                    .isEqualTo(DeclaredColumnsRoundTrip.DEFAULTS + DeclaredColumnsRoundTrip.DEFAULTS);
        } finally {
            TestStack.query(node, "DROP DATABASE IF EXISTS " + db);
        }
    }

    private static final String SCHEMA = "{\"columns\": ["
            + "{\"name\": \"age\", \"type\": \"UInt8\", \"path\": \"properties.age\", \"default\": 7},"
            + "{\"name\": \"price\", \"type\": \"Decimal(10, 2)\", \"path\": \"properties.price\","
            + " \"event_types\": [\"purchase\"]},"
            + "{\"name\": \"tags\", \"type\": \"Array(String)\", \"path\": \"properties.tags\"}]}";

    private static Event event(String id, String type, DeclaredRow row, JsonValue... values) {
        Event e = new Event();
        e.eventId = id;
        e.userId = "u-" + id;
        e.eventType = type;
        e.source = "web";
        e.eventTime = 1_765_000_000_000L;
        e.kafkaTopic = "t";
        e.kafkaTimestamp = e.eventTime;
        e.propertyKeys = new String[0];
        e.propertyValues = new String[0];
        e.declared = values.length == 0 ? null : row.encode(type, values, (column, reason) -> {});
        return e;
    }

    @Test
    void eventsGoThroughTheClusterWithTheirDeclaredColumnsAndTheValuesThatDidNotFitInErrorLog() throws Exception {
        String db = TestStack.migratedDatabase();
        List<DeclaredColumns.Column> columns = DeclaredColumns.parse(SCHEMA, Set.of());
        // Each replicated shard table once per shard; the Distributed table on every node.
        for (String statement : DeclaredColumnsDdl.statements(db, null, columns, Map.of(), Map.of(), true)) {
            String local = "ALTER TABLE " + db + ".events_local ";
            if (statement.startsWith(local)) {
                TestStack.alter(db + ".events_local", statement.substring(local.length()));
            } else {
                for (String node : TestStack.clickHouseUrls()) {
                    TestStack.query(node, statement);
                }
            }
        }
        DeclaredRow row = new DeclaredRow(columns);
        EventRowEncoder encoder = EventRowEncoder.withDeclared(row);
        List<Event> events = List.of(
                event("e1", "purchase", row, JsonValue.number("30"), JsonValue.number("12.50"), tags("a", "b")),
                event("e2", "purchase", row, JsonValue.number("300"), JsonValue.string("abc"), tags("x")),
                event("e3", "page_view", row, null, JsonValue.number("5"), null),
                event("e4", "purchase", row)); // parsed before the schema file named the columns
        RowBinaryBuffer out = new RowBinaryBuffer(1024);
        events.forEach(e -> encoder.encode(e, out));
        try (Inserter inserter = ClickHouseInserter.factory(
                        TestStack.clickHouse(), db + ".events", encoder.columns(), true, 30_000)
                .open()) {
            inserter.insert(new Batch(out.toByteArray(), events.size(), -1, null));
        }
        assertThat(TestStack.query(
                        TestStack.clickHouseUrls().get(0),
                        "SELECT event_id, age, price, tags, error_log.field, error_log.value, error_log.reason FROM "
                                + db + ".events ORDER BY event_id FORMAT TabSeparated"))
                .isEqualTo("e1\t30\t12.50\t['a','b']\t[]\t[]\t[]\n"
                        + "e2\t7\t0.00\t['x']\t['age','price']\t['300','abc']\t['out_of_range','not_a_number']\n"
                        + "e3\t7\t0.00\t[]\t[]\t[]\t[]\n"
                        + "e4\t7\t0.00\t[]\t[]\t[]\t[]\n");
    }

    private static JsonValue tags(String... tags) {
        return JsonValue.array(
                java.util.Arrays.stream(tags).map(JsonValue::string).toList());
    }
}
