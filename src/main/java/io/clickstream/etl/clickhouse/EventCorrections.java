package io.clickstream.etl.clickhouse;

import static io.clickstream.etl.clickhouse.ClickHouseSql.literal;

import io.clickstream.etl.session.SessionCorrection;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes stored events again as late events changed them ({@link SessionCorrection}): each correction's rows are
 * read (of each event the row with the highest version), ranked by (time, event id), and inserted again by ClickHouse itself
 * ({@code INSERT … SELECT}, so no row travels to the job and back) with the session's id and number, their index and
 * their version plus one, which replaces them on merge. Rows the job sent may not be in the table yet (the events sink
 * holds a catch-up's rows across checkpoints): a correction is applied once the table holds as many of its rows as it
 * names, and waits otherwise.
 *
 * <p>Both statements read the same replica of each shard (load_balancing in_order), so the rows counted are the
 * rows rewritten.
 */
public final class EventCorrections {
    /** Runs one statement with server settings ({@link ClickHouseSql#execute(String, Map)}). */
    @FunctionalInterface
    public interface Sql {
        String execute(String sql, Map<String, String> settings) throws Exception;
    }

    /** Corrections read per statement. */
    static final int PER_STATEMENT = 500;
    /** Characters of listed rows per statement: well under max_query_size (256 KiB by default). */
    static final int MAX_LISTED = 150_000;

    private static final Map<String, String> SETTINGS =
            Map.of("load_balancing", "in_order", "insert_distributed_sync", "1");
    private static final long MILLIS_PER_DAY = 86_400_000L;

    private final Sql sql;
    private final String table;
    private final List<String> columns;
    /** database.table of the sessions (Distributed), null: sessions are not retired here. */
    private final String sessionsTable;

    private final List<String> sessionColumns;

    /** {@code table}: database.table of the events (the Distributed table); {@code columns}: those the job writes. */
    public EventCorrections(Sql sql, String table, List<String> columns) {
        this(sql, table, columns, null, List.of());
    }

    /**
     * Also retires, in {@code sessionsTable} (database.table) with the sessions' {@code sessionColumns}, the session
     * rows a correction's session took in: those of the user within its bounds under another id (merged into it, or
     * its old id). The per-user step writes such rows itself; this one repairs a row lost with a run that failed
     * after the step had recorded the late event (a replay then finds it recorded and has nothing to retire).
     */
    public EventCorrections(
            Sql sql, String table, List<String> columns, String sessionsTable, List<String> sessionColumns) {
        this.sql = sql;
        this.table = table;
        this.columns = columns;
        this.sessionsTable = sessionsTable;
        this.sessionColumns = sessionColumns;
    }

    /** What one {@link #apply} did. */
    public record Outcome(List<SessionCorrection> waiting, List<SessionCorrection> incomplete, long rowsWritten) {}

    /**
     * Applies the corrections whose rows are all in the table; the others are returned as waiting. With
     * {@code evenIfIncomplete}, those are applied to the rows the table holds too (and still returned: their other
     * rows may come).
     */
    public Outcome apply(List<SessionCorrection> corrections, boolean evenIfIncomplete) throws Exception {
        List<SessionCorrection> waiting = new ArrayList<>();
        List<SessionCorrection> incomplete = new ArrayList<>();
        long written = 0;
        for (int i = 0; i < corrections.size(); i += PER_STATEMENT) {
            List<SessionCorrection> part = corrections.subList(i, Math.min(corrections.size(), i + PER_STATEMENT));
            List<Row> rows = read(part);
            Statement statement = new Statement(part);
            List<SessionCorrection> complete = new ArrayList<>();
            for (SessionCorrection c : part) {
                List<Row> of = new ArrayList<>();
                for (Row r : rows) {
                    if (r.user.equals(c.userId) && r.time >= c.start && r.time <= c.end) {
                        of.add(r);
                    }
                }
                if (of.size() < c.events) {
                    waiting.add(c);
                    if (!evenIfIncomplete) {
                        continue;
                    }
                    incomplete.add(c);
                } else {
                    complete.add(c);
                }
                of.sort(Comparator.<Row>comparingLong(r -> r.time).thenComparing(r -> r.eventId));
                for (int k = 0; k < of.size(); k++) {
                    if (statement.full()) { // a long session's rows over several statements: each row's rank is known
                        written += statement.run();
                    }
                    Row r = of.get(k);
                    statement.add(keyLiteral(c.userId, r.eventId, r.version), literal(c.sessionId), c.sessionNumber, k);
                }
            }
            written += statement.run();
            if (sessionsTable != null && !complete.isEmpty()) {
                sql.execute(retire(complete), SETTINGS);
            }
        }
        return new Outcome(waiting, incomplete, written);
    }

    /**
     * The session rows the complete corrections' sessions took in, written again as retired (version + 1): those of
     * the user under another id that start after the correction's first second and end within it. A correction
     * applied after a newer one of its session (the newer came while it ran) must not retire the session as it is
     * now: its bounds never hold another session of the user, except one that starts in the same second (the session
     * renamed after an event of that second), whose rows the seconds of the sessions table cannot tell apart — so no
     * session starting in that second is retired here (the per-user step's own row retires it).
     */
    private String retire(List<SessionCorrection> complete) {
        StringBuilder where = new StringBuilder();
        for (SessionCorrection c : complete) {
            if (where.length() > 0) {
                where.append(" OR ");
            }
            where.append("(user_id = ")
                    .append(literal(c.userId))
                    .append(" AND start > toDateTime(")
                    .append(Math.floorDiv(c.start, 1000L))
                    .append(") AND end <= toDateTime(")
                    .append(Math.floorDiv(c.end, 1000L))
                    .append(") AND session_id != ")
                    .append(literal(c.sessionId))
                    .append(")");
        }
        StringBuilder select = new StringBuilder();
        for (String column : sessionColumns) {
            if (select.length() > 0) {
                select.append(", ");
            }
            select.append(
                    switch (column) {
                        case "retired" -> "toUInt8(1)";
                        case "version" -> "version + 1";
                        default -> "`" + column + "`";
                    });
        }
        return "INSERT INTO " + sessionsTable + " ("
                + String.join(
                        ", ", sessionColumns.stream().map(c -> "`" + c + "`").toList()) + ") SELECT " + select
                + " FROM " + sessionsTable + " FINAL WHERE NOT retired AND (" + where + ")";
    }

    /**
     * One INSERT … SELECT of up to {@link #MAX_LISTED} characters of listed rows: each row's key once, with its
     * session id, number and index at the same place in their lists.
     */
    private final class Statement {
        private final List<SessionCorrection> part;
        private final StringBuilder keys = new StringBuilder();
        private final StringBuilder ids = new StringBuilder();
        private final StringBuilder numbers = new StringBuilder();
        private final StringBuilder indexes = new StringBuilder();
        private int rows;

        Statement(List<SessionCorrection> part) {
            this.part = part;
        }

        boolean full() {
            return keys.length() + ids.length() + numbers.length() + indexes.length() >= MAX_LISTED;
        }

        void add(String key, String id, int number, int index) {
            String comma = rows == 0 ? "" : ",";
            keys.append(comma).append(key);
            ids.append(comma).append(id);
            numbers.append(comma).append(number);
            indexes.append(comma).append(index);
            rows++;
        }

        /** Runs the statement if it lists rows; the rows it wrote. */
        int run() throws Exception {
            if (rows == 0) {
                return 0;
            }
            sql.execute(insert(part, keys, ids, numbers, indexes), SETTINGS);
            int n = rows;
            keys.setLength(0);
            ids.setLength(0);
            numbers.setLength(0);
            indexes.setLength(0);
            rows = 0;
            return n;
        }
    }

    private record Row(String user, String eventId, long time, long version) {}

    /**
     * The corrections' rows as they are now: of each event the row with the highest version. Without FINAL, which
     * merges every part of the partitions read and cost seconds per statement on a table being inserted into; the
     * rewrite names each row by its version instead.
     */
    private List<Row> read(List<SessionCorrection> part) throws Exception {
        String answer = sql.execute(
                "SELECT user_id, event_id, toUInt64(ts) * 1000 + ts_ms, version FROM " + table + " WHERE " + where(part)
                        + " FORMAT TabSeparated",
                SETTINGS);
        Map<String, Row> newest = new HashMap<>();
        for (String[] f : TabSeparated.rows(answer)) {
            Row r = new Row(f[0], f[1], Long.parseLong(f[2]), Long.parseLong(f[3]));
            newest.merge(r.user + '\0' + r.eventId, r, (a, b) -> a.version >= b.version ? a : b);
        }
        return new ArrayList<>(newest.values());
    }

    /**
     * The rows listed (each event's current row, named with its version) written again with their session's id and
     * number, their index and their version plus one: the inner query finds each row's place in the lists.
     */
    private String insert(
            List<SessionCorrection> part,
            CharSequence keys,
            CharSequence ids,
            CharSequence numbers,
            CharSequence indexes) {
        StringBuilder inner = new StringBuilder();
        StringBuilder outer = new StringBuilder();
        for (String column : columns) {
            String name = "`" + column + "`";
            inner.append(name).append(", ");
            if (outer.length() > 0) {
                outer.append(", ");
            }
            outer.append(
                    switch (column) {
                        case "session_id" -> "arrayElement([" + ids + "], _row)";
                        case "session_number" -> "toUInt32(arrayElement([" + numbers + "], _row))";
                        case "session_index" -> "toUInt32(arrayElement([" + indexes + "], _row))";
                        case "version" -> "version + 1";
                        default -> name;
                    });
        }
        return "INSERT INTO " + table + " ("
                + String.join(", ", columns.stream().map(c -> "`" + c + "`").toList())
                + ") SELECT " + outer + " FROM (SELECT " + inner + "indexOf([" + keys
                + "], concat(user_id, '\\0', event_id, '\\0', toString(version))) AS _row FROM " + table + " WHERE "
                + where(part)
                + ") WHERE _row > 0";
    }

    /** The rows of the corrections' users within their bounds (by day and second first, for the partitions and index). */
    private static String where(List<SessionCorrection> part) {
        StringBuilder out = new StringBuilder();
        for (SessionCorrection c : part) {
            if (out.length() > 0) {
                out.append(" OR ");
            }
            out.append("(user_id = ")
                    .append(literal(c.userId))
                    .append(" AND dt BETWEEN '")
                    .append(day(c.start))
                    .append("' AND '")
                    .append(day(c.end))
                    .append("' AND ts BETWEEN toDateTime(")
                    .append(Math.floorDiv(c.start, 1000L))
                    .append(") AND toDateTime(")
                    .append(Math.floorDiv(c.end, 1000L))
                    .append("))");
        }
        return out.toString();
    }

    private static String day(long millis) {
        return Instant.ofEpochMilli(Math.floorDiv(millis, MILLIS_PER_DAY) * MILLIS_PER_DAY)
                .atOffset(ZoneOffset.UTC)
                .toLocalDate()
                .toString();
    }

    /** The literal of {@code concat(user_id, '\\0', event_id, '\\0', toString(version))} for one row. */
    private static String keyLiteral(String user, String eventId, long version) {
        String u = literal(user);
        String e = literal(eventId);
        return u.substring(0, u.length() - 1) + "\\0" + e.substring(1, e.length() - 1) + "\\0" + version + "'";
    }
}
