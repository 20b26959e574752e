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
        List<String> gaps = new ArrayList<>();
        for (String url : endpoints.urls()) {
            try (ClickHouseSql node = new ClickHouseSql(endpoints, url)) {
                boolean v18 = version18(node);
                for (String table : List.of("events_local", "events")) {
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
        List<String> gaps = gaps(row);
        if (!gaps.isEmpty()) {
            throw new IllegalStateException("schema.file declares columns the events tables do not have yet: "
                    + String.join("; ", gaps) + ". Run tools.DeclareColumns with the job's config first.");
        }
    }

    /**
     * Adds or widens the declared columns: the shards' table by {@link ClusterAlter} (replication takes an ALTER to a
     * shard's other replicas), the Distributed table ON CLUSTER (on 18.16, which refuses that for a table that is not
     * replicated, on each node of clickhouse.urls). Then waits up to {@code waitMs} until every node has them.
     *
     * @return the statements sent (or, with {@code dryRun}, that would be)
     * @throws IllegalStateException naming the nodes still without a column after the wait
     */
    public List<String> apply(DeclaredRow row, boolean dryRun, long waitMs, PrintStream log) throws Exception {
        List<String> sent = new ArrayList<>();
        try (ClickHouseSql sql = new ClickHouseSql(endpoints)) {
            boolean v18 = version18(sql);
            ClusterAlter alter = ClusterAlter.of(sql, endpoints, cluster);
            List<String> statements = DeclaredColumnsDdl.statements(
                    db, cluster, row.columns(), stored(sql, db, "events_local"), stored(sql, db, "events"), v18);
            String local = "ALTER TABLE " + db + ".events_local ";
            for (String statement : statements) {
                if (statement.startsWith(local)) {
                    sent.add(statement);
                    if (!dryRun) {
                        alter.execute(statement);
                    }
                } else if (!v18) {
                    sent.add(statement);
                    if (!dryRun) {
                        sql.execute(statement);
                    }
                }
            }
            if (v18) {
                // Each node's Distributed table from what that node has, so that a run stopped half-way is finished.
                for (String url : endpoints.urls()) {
                    try (ClickHouseSql node = new ClickHouseSql(endpoints, url)) {
                        Map<String, String> distributed = stored(node, db, "events");
                        for (String statement : DeclaredColumnsDdl.statements(
                                db, null, row.columns(), declaredTypes(row, true), distributed, true)) {
                            sent.add(statement + " -- on " + url);
                            if (!dryRun) {
                                node.execute(statement);
                            }
                        }
                    }
                }
            }
        }
        if (dryRun) {
            return sent;
        }
        long until = System.currentTimeMillis() + waitMs;
        List<String> gaps = gaps(row);
        while (!gaps.isEmpty() && System.currentTimeMillis() < until) {
            log.println("waiting for " + gaps.size() + " column(s) to reach every replica, e.g. " + gaps.get(0));
            Thread.sleep(2_000);
            gaps = gaps(row);
        }
        if (!gaps.isEmpty()) {
            throw new IllegalStateException("after " + waitMs / 1000 + " s some nodes still lack columns (a replica"
                    + " behind on its replication queue, or down): " + String.join("; ", gaps)
                    + ". Run tools.DeclareColumns again once they are back.");
        }
        return sent;
    }

    /** The declared columns as if stored already: no statement for the table they stand for. */
    private static Map<String, String> declaredTypes(DeclaredRow row, boolean version18) {
        Map<String, String> out = new LinkedHashMap<>();
        row.columns().forEach(c -> out.put(c.name(), c.type().ddl(version18)));
        return out;
    }
}
