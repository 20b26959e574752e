package io.clickstream.etl.clickhouse;

import static org.assertj.core.api.Assertions.assertThat;

import io.clickstream.etl.testing.TestStack;
import java.util.List;
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
                    .isEqualTo(DeclaredColumnsRoundTrip.DEFAULTS);
        } finally {
            TestStack.query(node, "DROP DATABASE IF EXISTS " + db);
        }
    }
}
