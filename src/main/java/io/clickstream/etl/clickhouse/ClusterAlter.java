package io.clickstream.etl.clickhouse;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Runs an ALTER of a replicated table — a mutation, a dropped partition — on every shard of the cluster: ON CLUSTER,
 * except on ClickHouse 18, whose DDL worker stops for good when both replicas of a shard run the same ALTER
 * (docs/clickhouse.md). There it runs on one node of each shard without ON CLUSTER, and replication takes it to the
 * shard's other replicas.
 */
public final class ClusterAlter {
    private static final Pattern ON_CLUSTER_ALTER = Pattern.compile(
            "\\s*ALTER\\s+TABLE\\s+(\\S+)\\s+ON\\s+CLUSTER\\s+(\\S+)\\s+(.*)",
            Pattern.CASE_INSENSITIVE | Pattern.DOTALL);

    private final ClickHouseSql sql;
    private final String cluster;
    /** One endpoint per shard; empty: ON CLUSTER. */
    private final List<String> perShard;

    private final ClickHouseEndpoints endpoints;

    private ClusterAlter(ClickHouseSql sql, String cluster, List<String> perShard, ClickHouseEndpoints endpoints) {
        this.sql = sql;
        this.cluster = cluster;
        this.perShard = perShard;
        this.endpoints = endpoints;
    }

    /** ALTERs ON CLUSTER, whatever the version: where not every shard can be reached otherwise. */
    public static ClusterAlter onCluster(ClickHouseSql sql, String cluster) {
        return new ClusterAlter(sql, cluster, List.of(), null);
    }

    /** How ALTERs reach the shards of {@code cluster}, from what the server behind {@code sql} is. */
    public static ClusterAlter of(ClickHouseSql sql, ClickHouseEndpoints endpoints, String cluster) throws Exception {
        String version = sql.execute("SELECT version() FORMAT TabSeparated").trim();
        if (!version.startsWith("18.") && !version.startsWith("1.")) {
            return new ClusterAlter(sql, cluster, List.of(), endpoints);
        }
        Map<String, String> byShard = nodeOfEachShard(endpoints, null);
        long shards = Long.parseLong(sql.execute("SELECT uniqExact(shard_num) FROM system.clusters WHERE cluster = "
                        + ClickHouseSql.literal(cluster) + " FORMAT TabSeparated")
                .trim());
        if (byShard.size() < shards || byShard.containsKey("")) {
            throw new IllegalStateException("clickhouse.urls reaches " + byShard.keySet() + " of the " + shards
                    + " shards of cluster " + cluster + ": on ClickHouse " + version + " an ALTER of a replicated table"
                    + " runs on one node of each shard (ON CLUSTER can stop a DDL worker there), so list a node of"
                    + " every shard, each with its 'shard' macro");
        }
        return new ClusterAlter(sql, cluster, new ArrayList<>(byShard.values()), endpoints);
    }

    /**
     * The first node of clickhouse.urls of each shard, by its 'shard' macro; {@code unreachable}: where the nodes that
     * do not answer go (null: a node that does not answer is an error).
     */
    static Map<String, String> nodeOfEachShard(ClickHouseEndpoints endpoints, List<String> unreachable)
            throws Exception {
        Map<String, String> byShard = new TreeMap<>();
        for (String url : endpoints.urls()) {
            try (ClickHouseSql node = new ClickHouseSql(endpoints, url)) {
                String shard = node.execute(
                                "SELECT substitution FROM system.macros WHERE macro = 'shard' FORMAT TabSeparated")
                        .trim();
                byShard.putIfAbsent(shard, url);
            } catch (Exception e) {
                if (unreachable == null) {
                    throw e;
                }
                unreachable.add(url);
            }
        }
        return byShard;
    }

    /** {@code ALTER TABLE table <clause>} on every shard, e.g. clause {@code DELETE WHERE …}. */
    public void run(String table, String clause) throws Exception {
        if (perShard.isEmpty()) {
            sql.execute("ALTER TABLE " + table + " ON CLUSTER " + cluster + " " + clause);
            return;
        }
        for (String url : perShard) {
            try (ClickHouseSql node = new ClickHouseSql(endpoints, url)) {
                node.execute("ALTER TABLE " + table + " " + clause);
            }
        }
    }

    /**
     * Runs a statement (a migration's): an {@code ALTER TABLE … ON CLUSTER} of a replicated table of this cluster goes
     * the way {@link #run} sends it, anything else as written.
     */
    public String execute(String statement) throws Exception {
        return execute(statement, Map.of());
    }

    /** As {@link #execute(String)}, with server settings for a statement sent as written. */
    public String execute(String statement, Map<String, String> settings) throws Exception {
        Matcher m = ON_CLUSTER_ALTER.matcher(statement);
        if (perShard.isEmpty() || !m.matches() || !m.group(2).equals(cluster) || !replicated(m.group(1))) {
            return sql.execute(statement, settings);
        }
        run(m.group(1), m.group(3));
        return "";
    }

    private boolean replicated(String table) throws Exception {
        int dot = table.indexOf('.');
        if (dot < 0) {
            return false;
        }
        return sql.execute("SELECT engine FROM system.tables WHERE database = "
                        + ClickHouseSql.literal(table.substring(0, dot)) + " AND name = "
                        + ClickHouseSql.literal(table.substring(dot + 1)) + " FORMAT TabSeparated")
                .trim()
                .startsWith("Replicated");
    }

    /** The statements {@link #run} sends, for a dry run. */
    public String describe(String table, String clause) {
        return perShard.isEmpty()
                ? "ALTER TABLE " + table + " ON CLUSTER " + cluster + " " + clause
                : "ALTER TABLE " + table + " " + clause + " (on " + String.join(", ", perShard) + ")";
    }
}
