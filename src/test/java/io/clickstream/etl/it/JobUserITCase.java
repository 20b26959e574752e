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
 * The job's login of the real stack ({@code scripts/conf/clickhouse/job.xml}): it inserts into and reads the
 * clickstream database through the Distributed tables, and reads every replica with remote() as the replay check
 * does; it cannot run DDL nor reach another database.
 */
class JobUserITCase {
    private static final String DB = "clickstream";
    private static final String TABLE = DB + "." + TestStack.unique("it_job");
    private static String otherDb;

    @BeforeAll
    static void schema() throws Exception {
        TestStack.requireRunning();
        TestStack.migrate(DB);
        otherDb = TestStack.migratedDatabase();
        TestStack.query(TestStack.clickHouseUrls().get(0), "CREATE TABLE " + TABLE + " (k String) ENGINE = Memory");
    }

    @AfterAll
    static void drop() throws Exception {
        TestStack.query(TestStack.clickHouseUrls().get(0), "DROP TABLE IF EXISTS " + TABLE);
    }

    private static ClickHouseSql job() {
        return new ClickHouseSql(
                new ClickHouseEndpoints(TestStack.clickHouseUrls(), "clickstream_job", "", Duration.ofSeconds(60)),
                TestStack.clickHouseUrls().get(0));
    }

    @Test
    void theJobInsertsAndReadsTheClickstreamDatabaseOnEveryReplica() throws Exception {
        String id = TestStack.unique("job-user");
        try (ClickHouseSql sql = job()) {
            sql.execute("INSERT INTO " + TABLE + " VALUES ('" + id + "')");
            assertThat(sql.execute("SELECT count() FROM " + TABLE + " FORMAT TabSeparated")
                            .trim())
                    .isEqualTo("1");
            sql.execute(
                    "INSERT INTO " + DB + ".events (dt, ts, event_id, user_id, event_type) VALUES (today(), now(), '"
                            + id + "', 'u', 'job_user_test')",
                    java.util.Map.of("insert_distributed_sync", "1"));
            assertThat(sql.execute("SELECT count() FROM " + DB + ".events WHERE event_id = '" + id
                                    + "' FORMAT TabSeparated")
                            .trim())
                    .isEqualTo("1");
            // As the replay check looks rows up: remote() over the replicas, logged in as the job's user.
            String replicas = TestStack.query(
                            TestStack.clickHouseUrls().get(0),
                            "SELECT arrayStringConcat(groupArray("
                                    + "concat(host_address, ':', toString(port))), ',') FROM system.clusters WHERE cluster = '"
                                    + TestStack.cluster() + "' FORMAT TabSeparated")
                    .trim();
            TestStack.await(
                    "the row on its shard's other replica",
                    Duration.ofSeconds(60),
                    TestStack.unchecked(() -> sql.execute("SELECT count() FROM remote('" + replicas + "', '" + DB
                                    + "', 'events_local', 'clickstream_job')" + " WHERE event_id = '" + id
                                    + "' FORMAT TabSeparated")
                            .trim()
                            .equals("2")));
        }
    }

    @Test
    void theJobCannotRunDdlNorReachAnotherDatabase() throws Exception {
        try (ClickHouseSql sql = job()) {
            for (String ddl : List.of(
                    "CREATE TABLE " + DB + ".job_made (x UInt8) ENGINE = Memory",
                    "ALTER TABLE " + DB + ".events_local ON CLUSTER " + TestStack.cluster()
                            + " ADD COLUMN job_made UInt8",
                    "TRUNCATE TABLE " + TABLE,
                    "DROP TABLE " + TABLE,
                    "CREATE DATABASE job_made")) {
                assertThatThrownBy(() -> sql.execute(ddl)).as(ddl).hasMessageContaining("DDL");
            }
            assertThatThrownBy(() -> sql.execute("SELECT count() FROM " + otherDb + ".events"))
                    .hasMessageContaining("Access denied to database " + otherDb);
            assertThatThrownBy(() -> sql.execute("INSERT INTO " + otherDb + ".events (event_id) VALUES ('x')"))
                    .hasMessageContaining("Access denied to database " + otherDb);
        }
        assertThat(TestStack.count(
                        TestStack.clickHouseUrls().get(0),
                        "SELECT count() FROM system.tables WHERE name = 'job_made'"
                                + " OR (database = 'clickstream' AND name = '" + TABLE.substring(DB.length() + 1)
                                + "')"))
                .isEqualTo(1);
        assertThat(TestStack.count(
                        TestStack.clickHouseUrls().get(0),
                        "SELECT count() FROM system.columns WHERE name = 'job_made'"))
                .isZero();
    }
}
