package io.clickstream.etl.clickhouse;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.clickstream.etl.event.Event;
import io.clickstream.etl.testing.TestStack;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * On the stack's ClickHouse 18.16, an ALTER of a replicated table goes to one node of each shard without ON CLUSTER
 * (whose race can stop a DDL worker there), and replication takes it to every replica.
 */
class ClusterAlterITCase {
    private static final int USERS = 40;

    @Test
    void aMutationRunOnOneNodePerShardReachesEveryReplicaOfEveryShard() throws Exception {
        TestStack.requireRunning();
        String db = TestStack.migratedDatabase();
        List<Event> rows = new ArrayList<>();
        for (int u = 0; u < USERS; u++) {
            for (int i = 0; i < 3; i++) {
                Event e = new Event();
                e.userId = "u" + u;
                e.eventId = e.userId + "-" + i;
                e.eventType = "click";
                e.source = "web";
                e.eventTime = System.currentTimeMillis() - 3_600_000L + 60_000L * i;
                e.kafkaTimestamp = e.eventTime;
                e.kafkaTopic = "alter";
                e.sessionId = e.userId + "-s";
                e.sessionIndex = i;
                rows.add(e);
            }
        }
        TestInserts.insert(db, rows);
        List<String> nodes = TestStack.clickHouseUrls();
        for (String node : nodes) {
            TestStack.await(
                    "rows on every replica",
                    Duration.ofSeconds(60),
                    TestStack.unchecked(
                            () -> TestStack.count(node, "SELECT count() FROM " + db + ".events_local") > 0));
        }

        ClickHouseEndpoints endpoints = TestStack.clickHouse();
        try (ClickHouseSql sql = new ClickHouseSql(endpoints)) {
            ClusterAlter alter = ClusterAlter.of(sql, endpoints, TestStack.cluster());
            assertThat(alter.describe(db + ".events_local", "DELETE WHERE session_index = 1"))
                    .as("18.16: one node of each of the two shards, without ON CLUSTER")
                    .doesNotContain("ON CLUSTER")
                    .containsOnlyOnce(nodes.get(0))
                    .contains(", ");
            alter.run(db + ".events_local", "DELETE WHERE session_index = 1");
        }
        for (String node : nodes) {
            TestStack.await(
                    "the mutation done on " + node,
                    Duration.ofSeconds(60),
                    TestStack.unchecked(() ->
                            TestStack.count(node, "SELECT count() FROM " + db + ".events_local WHERE session_index = 1")
                                    == 0));
        }
        assertThat(TestStack.count(nodes.get(0), "SELECT count() FROM " + db + ".events"))
                .as("only the rows the mutation named are gone, on both shards")
                .isEqualTo(2L * USERS);
        assertThat(TestStack.count(nodes.get(0), "SELECT uniqExact(user_id) FROM " + db + ".events"))
                .isEqualTo(USERS);
    }

    @Test
    void aMigrationsAlterOfAReplicatedTableReachesEveryReplicaWithoutTheDdlQueue() throws Exception {
        TestStack.requireRunning();
        String db = TestStack.migratedDatabase(); // through the Migrator, as tools.Migrate runs it
        for (String node : TestStack.clickHouseUrls()) {
            assertThat(TestStack.query(
                                    node,
                                    "SELECT name FROM system.columns WHERE database = '" + db
                                            + "' AND table = 'sessions_local' AND name = 'record_time'"
                                            + " FORMAT TabSeparated")
                            .trim())
                    .as("V005's column on " + node)
                    .isEqualTo("record_time");
        }
        assertThat(TestStack.count(
                        TestStack.clickHouseUrls().get(0),
                        "SELECT count() FROM system.zookeeper WHERE path = '/clickhouse/task_queue/ddl'"
                                + " AND position(value, '" + db + ".sessions_local') > 0"
                                + " AND position(value, 'ADD COLUMN') > 0"))
                .as("no ALTER ON CLUSTER of the replicated table in the DDL queue")
                .isZero();
        assertThat(TestStack.count(
                        TestStack.clickHouseUrls().get(0),
                        "SELECT count() FROM system.zookeeper WHERE path = '/clickhouse/task_queue/ddl'"
                                + " AND position(value, '" + db + ".sessions ') > 0"))
                .as("the migration's other statements went ON CLUSTER through the queue")
                .isPositive();
    }

    @Test
    void endpointsOfOneShardOnlyAreRefusedWithWhatToList() throws Exception {
        TestStack.requireRunning();
        ClickHouseEndpoints all = TestStack.clickHouse();
        ClickHouseEndpoints firstShard =
                new ClickHouseEndpoints(List.of(all.urls().get(0)), "default", "", Duration.ofSeconds(60));
        try (ClickHouseSql sql = new ClickHouseSql(firstShard)) {
            assertThatThrownBy(() -> ClusterAlter.of(sql, firstShard, TestStack.cluster()))
                    .hasMessageContaining("of the 2 shards of cluster " + TestStack.cluster())
                    .hasMessageContaining("list a node of every shard");
        }
    }
}
