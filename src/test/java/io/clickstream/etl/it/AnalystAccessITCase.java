package io.clickstream.etl.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.clickstream.etl.clickhouse.ClickHouseEndpoints;
import io.clickstream.etl.clickhouse.ClickHouseSql;
import io.clickstream.etl.testing.TestStack;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The analysts' login of the real stack ({@code scripts/conf/clickhouse/analyst.xml}, written by
 * {@code scripts/stack.sh}): it reads the clickstream database, through the Distributed tables too, and nothing
 * else; it cannot write, create, drop or change a setting; a wrong password is refused. Each refusal is checked
 * by what ClickHouse answers and by the data staying as it was.
 */
class AnalystAccessITCase {
    /** The database the analyst may read: the one the README's first command fills. */
    private static final String DB = "clickstream";

    private static final String TABLE = DB + "." + TestStack.unique("it_analyst");
    private static String otherDb;

    @BeforeAll
    static void schemaAndKnownRows() throws Exception {
        TestStack.requireRunning();
        TestStack.migrate(DB);
        otherDb = TestStack.migratedDatabase();
        try (ClickHouseSql admin = new ClickHouseSql(
                TestStack.clickHouse(), TestStack.clickHouseUrls().get(0))) {
            admin.execute("CREATE TABLE " + TABLE + " (k String, v UInt32) ENGINE = Memory");
            admin.execute("INSERT INTO " + TABLE + " VALUES ('a', 1), ('b', 2), ('c', 3)");
        }
    }

    @AfterAll
    static void dropTable() throws Exception {
        try (ClickHouseSql admin = new ClickHouseSql(
                TestStack.clickHouse(), TestStack.clickHouseUrls().get(0))) {
            admin.execute("DROP TABLE IF EXISTS " + TABLE);
        }
    }

    private static ClickHouseSql analyst() throws Exception {
        return new ClickHouseSql(TestStack.analyst(), TestStack.clickHouseUrls().get(0));
    }

    private static String tableContent() throws Exception {
        return TestStack.query(
                        TestStack.clickHouseUrls().get(0),
                        "SELECT groupArray(k), sum(v) FROM (SELECT k, v FROM " + TABLE
                                + " ORDER BY k) FORMAT TabSeparated")
                .trim();
    }

    @Test
    void theAnalystReadsTheClickstreamDatabaseAcrossTheShards() throws Exception {
        try (ClickHouseSql sql = analyst()) {
            assertThat(sql.execute("SELECT sum(v) FROM " + TABLE + " FORMAT TabSeparated")
                            .trim())
                    .isEqualTo("6");
            // The Distributed tables query every shard as the analyst, read-only as it is.
            String admin = TestStack.query(
                            TestStack.clickHouseUrls().get(0),
                            "SELECT count() FROM " + DB + ".events FORMAT TabSeparated")
                    .trim();
            assertThat(sql.execute("SELECT count() FROM " + DB + ".events FORMAT TabSeparated")
                            .trim())
                    .isEqualTo(admin);
            assertThat(sql.execute("SELECT count() FROM " + DB + ".sessions FORMAT TabSeparated")
                            .trim())
                    .matches("\\d+");
        }
    }

    @Test
    void theAnalystCannotWriteCreateDropAlterOrChangeASetting() throws Exception {
        List<String> refused = List.of(
                "INSERT INTO " + TABLE + " VALUES ('d', 4)",
                "INSERT INTO " + DB + ".events (event_id, user_id) VALUES ('x', 'u')",
                "CREATE TABLE " + DB + ".analyst_made (x UInt8) ENGINE = Memory",
                "CREATE DATABASE analyst_made",
                "ALTER TABLE " + TABLE + " ADD COLUMN w UInt8",
                "TRUNCATE TABLE " + TABLE,
                "DROP TABLE " + TABLE,
                "OPTIMIZE TABLE " + DB + ".events_local",
                "SET readonly = 0",
                "SELECT 1 SETTINGS max_memory_usage = 100000000000");
        String before = tableContent();
        try (ClickHouseSql sql = analyst()) {
            for (String statement : refused) {
                assertThatThrownBy(() -> sql.execute(statement)).as(statement).hasMessageContaining("readonly");
            }
        }
        assertThat(tableContent()).isEqualTo(before).isEqualTo("['a','b','c']\t6");
        assertThat(TestStack.count(
                        TestStack.clickHouseUrls().get(0),
                        "SELECT count() FROM system.tables WHERE name = 'analyst_made'"))
                .isZero();
        assertThat(TestStack.count(
                        TestStack.clickHouseUrls().get(0),
                        "SELECT count() FROM system.databases WHERE name = 'analyst_made'"))
                .isZero();
    }

    @Test
    void theAnalystCannotReadOtherDatabases() throws Exception {
        try (ClickHouseSql sql = analyst()) {
            for (String table : List.of(otherDb + ".events", otherDb + ".events_local", "default.nothing")) {
                assertThatThrownBy(() -> sql.execute("SELECT count() FROM " + table))
                        .as(table)
                        .hasMessageContaining("Access denied to database");
            }
            assertThat(sql.execute("SHOW DATABASES FORMAT TabSeparated").lines().toList())
                    .doesNotContain(otherDb, "default")
                    .contains(DB);
        }
    }

    @Test
    void tableFunctionsCannotReachAroundTheLimits() throws Exception {
        try (ClickHouseSql sql = analyst()) {
            for (String from : List.of(
                    "remote('127.0.0.1:9000', " + otherDb + ".events_local, 'default', '')",
                    "url('http://127.0.0.1:8123/?query=SELECT%201', TSV, 'x UInt8')",
                    "file('x.tsv', TSV, 'x UInt8')")) {
                assertThatThrownBy(() -> sql.execute("SELECT count() FROM " + from))
                        .as(from)
                        .hasMessageContaining("readonly");
            }
        }
    }

    @Test
    void aWrongPasswordIsRefused() throws Exception {
        ClickHouseEndpoints right = TestStack.analyst();
        ClickHouseEndpoints wrong = new ClickHouseEndpoints(
                right.urls(), "analyst", "not-" + TestStack.unique("pw"), Duration.ofSeconds(30));
        try (ClickHouseSql sql = new ClickHouseSql(wrong, right.urls().get(0))) {
            assertThatThrownBy(() -> sql.execute("SELECT 1")).hasMessageContaining("password");
        }
    }

    @Test
    void theAnalystsQueriesTogetherAreLimitedSoParallelHeavyOnesCannotTakeANodeDown() throws Exception {
        // Nine queries of 3 s at once on one node: the ninth is beyond max_concurrent_queries_for_user (8).
        java.util.List<java.util.concurrent.CompletableFuture<String>> running = new java.util.ArrayList<>();
        for (int i = 0; i < 9; i++) {
            running.add(java.util.concurrent.CompletableFuture.supplyAsync(() -> {
                try (ClickHouseSql sql = analyst()) {
                    return sql.execute("SELECT sleep(3) FORMAT TabSeparated").trim();
                } catch (Exception e) {
                    return String.valueOf(e.getMessage());
                }
            }));
        }
        java.util.List<String> answers = new java.util.ArrayList<>();
        for (var r : running) {
            answers.add(r.get(60, java.util.concurrent.TimeUnit.SECONDS));
        }
        assertThat(answers).anySatisfy(a -> assertThat(a).contains("Too many simultaneous queries for user"));
        assertThat(answers).filteredOn("0"::equals).hasSizeBetween(1, 8);
    }
}
