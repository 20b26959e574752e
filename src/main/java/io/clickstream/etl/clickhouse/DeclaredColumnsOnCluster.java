package io.clickstream.etl.clickhouse;

import io.clickstream.etl.schema.DeclaredColumns.Column;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The declared columns (issue 29) on the cluster's events tables: added where they are missing (tools.DeclareColumns),
 * and required before the job writes them. Each node is asked on its own: a replica that has not applied an ALTER yet
 * is named, not taken for done.
 */
public final class DeclaredColumnsOnCluster {
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(DeclaredColumnsOnCluster.class);
    private static final String NOT_REACHABLE = ": not reachable";

    /** ClickHouse's "Alter is not finished because some replicas are inactive right now". */
    private static final int REPLICAS_INACTIVE = 341;

    private final ClickHouseEndpoints endpoints;
    private final String cluster;
    private final String db;

    public DeclaredColumnsOnCluster(ClickHouseEndpoints endpoints, String cluster, String db) {
        this.endpoints = endpoints;
        this.cluster = cluster;
        this.db = db;
    }

    /** A table's columns on the node behind {@code sql}: name to type as system.columns writes it. */
    static Map<String, String> stored(ClickHouseSql sql, String db, String table) throws Exception {
        Map<String, String> out = new LinkedHashMap<>();
        String tsv = sql.execute("SELECT name, type FROM system.columns WHERE database = " + ClickHouseSql.literal(db)
                + " AND table = " + ClickHouseSql.literal(table) + " FORMAT TabSeparated");
        for (String line : tsv.split("\n")) {
            int tab = line.indexOf('\t');
            if (tab > 0) {
                out.put(line.substring(0, tab), line.substring(tab + 1));
            }
        }
        return out;
    }

    private static boolean version18(ClickHouseSql sql) throws Exception {
        String version = sql.execute("SELECT version() FORMAT TabSeparated").trim();
        return version.startsWith("18.") || version.startsWith("1.");
    }

    /**
     * What each node lacks of {@code row}'s columns (and error_log) in events_local and events, or a type other than
     * the declared one: "node: table.column (type)" per gap; empty when every node has them all.
     */
    public List<String> gaps(DeclaredRow row) throws Exception {
        return gaps(row, List.of("events_local", "events"));
    }

    private List<String> gaps(DeclaredRow row, List<String> tables) throws Exception {
        List<String> gaps = new ArrayList<>();
        for (String url : endpoints.urls()) {
            try (ClickHouseSql node = new ClickHouseSql(endpoints, url)) {
                boolean v18;
                try {
                    v18 = version18(node);
                } catch (Exception down) {
                    gaps.add(url + NOT_REACHABLE + " (" + down.getMessage() + ")");
                    continue;
                }
                for (String table : tables) {
                    Map<String, String> stored = stored(node, db, table);
                    for (String c : DeclaredRow.ERROR_LOG_COLUMNS) {
                        if (!stored.containsKey(c)) {
                            gaps.add(url + ": " + table + "." + c + " (sql/V009, tools.Migrate)");
                        }
                    }
                    for (Column c : row.columns()) {
                        String type = c.type().ddl(v18);
                        if (!type.equals(stored.get(c.name()))) {
                            gaps.add(url + ": " + table + "." + c.name() + " (" + type
                                    + (stored.containsKey(c.name()) ? ", stored as " + stored.get(c.name()) : "")
                                    + ")");
                        }
                    }
                }
            }
        }
        return gaps;
    }

    /**
     * Refuses to start a job whose declared columns some node's tables lack: its inserts would fail there.
     *
     * @throws IllegalStateException naming each gap and the tool that closes it
     */
    public void require(DeclaredRow row) throws Exception {
        List<String> gaps = new ArrayList<>();
        for (String gap : gaps(row)) {
            if (gap.contains(NOT_REACHABLE)) {
                // A replica that is down takes no inserts now, and its tables were checked when the columns were
                // declared (the tool waits for every node): a job must be able to start while it is away.
                LOG.warn("Declared columns not checked on {}", gap);
            } else {
                gaps.add(gap);
            }
        }
        if (!gaps.isEmpty()) {
            throw new IllegalStateException("schema.file declares columns the events tables do not have yet: "
                    + String.join("; ", gaps) + ". Run tools.DeclareColumns with the job's config first.");
        }
    }

    /**
     * Adds or widens the declared columns: first the shards' table, on one node of each shard from what that node has
     * (replication takes an ALTER to the shard's other replicas; ON CLUSTER can stop a DDL worker on 18.16), until every
     * replica has them; only then the Distributed table, on each node of clickhouse.urls from what it has. A
     * Distributed table sends every column it has to the shards, also for an insert that does not name it: a column in
     * it before some replica has it would break every insert through it. Waits up to {@code waitMs} for each step.
     *
     * @return the statements sent (or, with {@code dryRun}, that would be)
     * @throws IllegalStateException naming the nodes still without a column after the wait; the Distributed tables
     *     are not touched while a replica lacks one
     */
    public List<String> apply(DeclaredRow row, boolean dryRun, long waitMs, PrintStream log) throws Exception {
        List<String> sent = new ArrayList<>();
        List<String> down = new ArrayList<>();
        Map<String, String> byShard = ClusterAlter.nodeOfEachShard(endpoints, down);
        if (byShard.isEmpty()) {
            throw new IllegalStateException("no node of clickhouse.urls answers: " + down);
        }
        boolean v18;
        long shards;
        try (ClickHouseSql node =
                new ClickHouseSql(endpoints, byShard.values().iterator().next())) {
            v18 = version18(node);
            shards = Long.parseLong(node.execute("SELECT uniqExact(shard_num) FROM system.clusters WHERE cluster = "
                            + ClickHouseSql.literal(cluster) + " FORMAT TabSeparated")
                    .trim());
        }
        if (byShard.size() < shards || byShard.containsKey("")) {
            throw new IllegalStateException("clickhouse.urls reaches " + byShard.keySet() + " of the " + shards
                    + " shards of cluster " + cluster + " (not reachable: " + down + "): list a node of every shard,"
                    + " each with its 'shard' macro, and every node whose events table is queried");
        }
        for (String url : byShard.values()) {
            try (ClickHouseSql node = new ClickHouseSql(endpoints, url)) {
                for (String statement : DeclaredColumnsDdl.statements(
                        db, null, row.columns(), stored(node, db, "events_local"), declaredTypes(row, v18), v18)) {
                    sent.add(statement + " -- on " + url);
                    if (!dryRun) {
                        try {
                            node.execute(statement);
                        } catch (Exception e) {
                            if (!String.valueOf(e.getMessage()).contains("Code: " + REPLICAS_INACTIVE)) {
                                throw e;
                            }
                            // Done on the active replicas; the inactive one takes it from the replication log.
                            log.println("a replica of " + url + "'s shard is not active; it applies the ALTER when it"
                                    + " is back");
                        }
                    }
                }
            }
        }
        if (!dryRun) {
            await(row, List.of("events_local"), waitMs, log, " (the Distributed tables were left as they are)");
        }
        for (String url : endpoints.urls()) {
            try (ClickHouseSql node = new ClickHouseSql(endpoints, url)) {
                for (String statement : DeclaredColumnsDdl.statements(
                        db, null, row.columns(), declaredTypes(row, v18), stored(node, db, "events"), v18)) {
                    sent.add(statement + " -- on " + url + (dryRun ? " (once every replica has the columns)" : ""));
                    if (!dryRun) {
                        node.execute(statement);
                    }
                }
            }
        }
        if (!dryRun) {
            await(row, List.of("events_local", "events"), waitMs, log, "");
        }
        return sent;
    }

    private void await(DeclaredRow row, List<String> tables, long waitMs, PrintStream log, String left)
            throws Exception {
        long until = System.currentTimeMillis() + waitMs;
        List<String> gaps = gaps(row, tables);
        while (!gaps.isEmpty() && System.currentTimeMillis() < until) {
            log.println("waiting for " + gaps.size() + " column(s) to reach every replica, e.g. " + gaps.get(0));
            Thread.sleep(2_000);
            gaps = gaps(row, tables);
        }
        if (!gaps.isEmpty()) {
            throw new IllegalStateException("after " + waitMs / 1000 + " s some nodes still lack columns (a replica"
                    + " behind on its replication queue, or down): " + String.join("; ", gaps) + left
                    + ". Run tools.DeclareColumns again once they are back.");
        }
    }

    /** The declared columns as if stored already: no statement for the table they stand for. */
    private static Map<String, String> declaredTypes(DeclaredRow row, boolean version18) {
        Map<String, String> out = new LinkedHashMap<>();
        row.columns().forEach(c -> out.put(c.name(), c.type().ddl(version18)));
        return out;
    }
}
