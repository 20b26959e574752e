package io.clickstream.etl.clickhouse;

import static io.clickstream.etl.clickhouse.ClickHouseSql.literal;

import io.clickstream.etl.event.Event;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Finds events by source position in the shards' local tables, on every replica: a row inserted just before a
 * failure may not have reached the other replica of its shard yet, and a query through the Distributed table reads
 * one replica per shard. The replicas come from system.clusters and the local table from the Distributed table's
 * engine; a replica that is down is skipped (skip_unavailable_shards), as the job must not stop for it.
 *
 * <p>remote() logs in to the replicas as the sink's user without a password: a password written into the query
 * would show in the servers' logs. Where that login is refused, the look-up goes through the Distributed table
 * instead (one replica per shard; a row not yet replicated may then be missed), with a warning.
 */
public final class ClickHouseStoredEvents implements StoredRows<Event> {
    /** Rows per query: keeps the statement well under max_query_size (256 KiB by default). */
    static final int ROWS_PER_QUERY = 500;

    private static final Pattern DISTRIBUTED = Pattern.compile(
            "Distributed\\(\\s*'?([^,']+)'?\\s*,\\s*'?([^,']+)'?\\s*,\\s*'?([^,')]+)'?\\s*[,)].*", Pattern.DOTALL);
    private static final long MILLIS_PER_DAY = 86_400_000L;

    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(ClickHouseStoredEvents.class);

    private final ClickHouseSql sql;
    private final String user;
    private final String database;
    private final String table;
    /** remote('host:port,...', 'db', 'table') over every replica; resolved on first use. */
    private String everyReplica;

    public ClickHouseStoredEvents(ClickHouseEndpoints endpoints, String database, String table) {
        this.sql = new ClickHouseSql(endpoints);
        this.user = endpoints.user();
        this.database = database;
        this.table = table;
    }

    public static StoredRows.Factory<Event> factory(ClickHouseEndpoints endpoints, String database, String table) {
        return () -> new ClickHouseStoredEvents(endpoints, database, table);
    }

    @Override
    public Set<SourcePosition> find(List<Event> rows) throws Exception {
        String from = everyReplica();
        Set<SourcePosition> found = new HashSet<>();
        for (int i = 0; i < rows.size(); i += ROWS_PER_QUERY) {
            List<Event> part = rows.subList(i, Math.min(rows.size(), i + ROWS_PER_QUERY));
            String result;
            try {
                result = sql.execute(query(from, part));
            } catch (Exception e) {
                if (from.equals(distributed()) || !loginRefused(e)) {
                    throw e;
                }
                LOG.warn(
                        "The replay check cannot read every replica with remote() as user '{}' ({}); it reads through "
                                + "{} instead, one replica per shard",
                        user,
                        e.getMessage(),
                        distributed());
                from = everyReplica = distributed();
                result = sql.execute(query(from, part));
            }
            for (String[] f : TabSeparated.rows(result)) {
                found.add(new SourcePosition(f[0], Integer.parseInt(f[1]), Long.parseLong(f[2])));
            }
        }
        return found;
    }

    /**
     * Day, event type and user hash narrow the read to the parts and granules of the sorting key
     * (event_type, uh, ...); the positions pick the rows, with the event id: a topic deleted and created again
     * starts its offsets anew, and a stored row of the old topic at the same position is another event, which
     * must not make the new one look stored.
     */
    static String query(String from, List<Event> rows) {
        Set<String> days = new TreeSet<>();
        Set<String> types = new TreeSet<>();
        Set<String> users = new TreeSet<>();
        List<String> positions = new ArrayList<>(rows.size());
        for (Event e : rows) {
            days.add(java.time.LocalDate.ofEpochDay(Math.floorDiv(e.eventTime, MILLIS_PER_DAY))
                    .toString());
            types.add(literal(e.eventType));
            users.add("cityHash64(" + literal(e.userId) + ")");
            positions.add("(" + literal(e.kafkaTopic) + ", " + e.kafkaPartition + ", " + e.kafkaOffset + ", "
                    + literal(e.eventId) + ")");
        }
        return "SELECT kafka_topic, kafka_partition, kafka_offset FROM " + from
                + " WHERE dt IN ('" + String.join("', '", days) + "')"
                + " AND event_type IN (" + String.join(", ", types) + ")"
                + " AND uh IN (" + String.join(", ", users) + ")"
                + " AND (kafka_topic, kafka_partition, kafka_offset, event_id) IN (" + String.join(", ", positions)
                + ")"
                + " SETTINGS skip_unavailable_shards = 1 FORMAT TabSeparated";
    }

    private String everyReplica() throws Exception {
        if (everyReplica == null) {
            everyReplica = everyReplica(sql::execute, database, table, user);
        }
        return everyReplica;
    }

    /**
     * remote('host:port,...', 'db', 'table', 'user') over every replica of the shards behind the Distributed table
     * {@code database.table}, from system.tables and system.clusters.
     */
    static String everyReplica(Migrator.Sql sql, String database, String table, String user) throws Exception {
        String engine = sql.execute("SELECT engine_full FROM system.tables WHERE database = " + literal(database)
                        + " AND name = " + literal(table) + " FORMAT TSVRaw")
                .trim();
        Matcher m = DISTRIBUTED.matcher(engine);
        if (!m.matches()) {
            throw new IllegalStateException(database + "." + table + " is not a Distributed table (engine: '" + engine
                    + "'); the replay check reads the shards' tables");
        }
        String hosts = sql.execute("SELECT host_name, port FROM system.clusters WHERE cluster = "
                + literal(m.group(1).trim()) + " FORMAT TabSeparated");
        List<String> addresses = new ArrayList<>();
        for (String[] f : TabSeparated.rows(hosts)) {
            addresses.add(f[0] + ":" + f[1]);
        }
        if (addresses.isEmpty()) {
            throw new IllegalStateException(
                    "cluster '" + m.group(1).trim() + "' of " + database + "." + table + " is not in system.clusters");
        }
        return "remote(" + literal(String.join(",", addresses)) + ", "
                + literal(m.group(2).trim())
                + ", " + literal(m.group(3).trim()) + ", " + literal(user == null || user.isEmpty() ? "default" : user)
                + ")";
    }

    private String distributed() {
        return database + "." + table;
    }

    private static boolean loginRefused(Throwable e) {
        return ClickHouseErrors.LOGIN_REFUSED.contains(ClickHouseInserter.serverCode(e));
    }

    @Override
    public void close() {
        sql.close();
    }
}
