package io.clickstream.etl.clickhouse;

import static io.clickstream.etl.clickhouse.ClickHouseSql.literal;

import io.clickstream.etl.session.SessionCorrection;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;

/**
 * Writes stored events again as late events changed them ({@link SessionCorrection}): each correction's rows are
 * read (FINAL: the current ones), ranked by (time, event id), and inserted again by ClickHouse itself
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

    /** Corrections per statement: their rows' keys are listed in it, well under max_query_size (256 KiB). */
    static final int PER_STATEMENT = 50;

    private static final Map<String, String> SETTINGS =
            Map.of("load_balancing", "in_order", "insert_distributed_sync", "1");
    private static final long MILLIS_PER_DAY = 86_400_000L;

    private final Sql sql;
    private final String table;
    private final List<String> columns;

    /** {@code table}: database.table of the events (the Distributed table); {@code columns}: those the job writes. */
    public EventCorrections(Sql sql, String table, List<String> columns) {
        this.sql = sql;
        this.table = table;
        this.columns = columns;
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
            List<String> keys = new ArrayList<>();
            List<String> ids = new ArrayList<>();
            List<String> numbers = new ArrayList<>();
            List<String> indexes = new ArrayList<>();
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
                }
                of.sort(Comparator.<Row>comparingLong(r -> r.time).thenComparing(r -> r.eventId));
                for (int k = 0; k < of.size(); k++) {
                    keys.add(keyLiteral(c.userId, of.get(k).eventId));
                    ids.add(literal(c.sessionId));
                    numbers.add(Integer.toString(c.sessionNumber));
                    indexes.add(Integer.toString(k));
                }
            }
            if (!keys.isEmpty()) {
                sql.execute(insert(part, keys, ids, numbers, indexes), SETTINGS);
                written += keys.size();
            }
        }
        return new Outcome(waiting, incomplete, written);
    }

    private record Row(String user, String eventId, long time) {}

    private List<Row> read(List<SessionCorrection> part) throws Exception {
        String answer = sql.execute(
                "SELECT user_id, event_id, toUInt64(ts) * 1000 + ts_ms FROM " + table + " FINAL WHERE " + where(part)
                        + " FORMAT TabSeparated",
                SETTINGS);
        List<Row> rows = new ArrayList<>();
        for (String[] f : TabSeparated.rows(answer)) {
            rows.add(new Row(f[0], f[1], Long.parseLong(f[2])));
        }
        return rows;
    }

    private String insert(
            List<SessionCorrection> part,
            List<String> keys,
            List<String> ids,
            List<String> numbers,
            List<String> indexes) {
        String key = "concat(user_id, '\\0', event_id)";
        String from = "[" + String.join(",", keys) + "]";
        StringBuilder select = new StringBuilder();
        for (String column : columns) {
            if (select.length() > 0) {
                select.append(", ");
            }
            select.append(
                    switch (column) {
                        case "session_id" ->
                            "transform(" + key + ", " + from + ", [" + String.join(",", ids) + "], '')";
                        case "session_number" ->
                            "toUInt32(transform(" + key + ", " + from + ", [" + quoted(numbers) + "], '0'))";
                        case "session_index" ->
                            "toUInt32(transform(" + key + ", " + from + ", [" + quoted(indexes) + "], '0'))";
                        case "version" -> "version + 1";
                        default -> "`" + column + "`";
                    });
        }
        return "INSERT INTO " + table + " ("
                + String.join(", ", columns.stream().map(c -> "`" + c + "`").toList())
                + ") SELECT " + select + " FROM " + table + " FINAL WHERE (" + where(part) + ") AND " + key
                + " IN (" + String.join(",", keys) + ")";
    }

    private static String quoted(List<String> numbers) {
        return String.join(",", numbers.stream().map(n -> "'" + n + "'").toList());
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

    /** The literal of {@code concat(user_id, '\\0', event_id)} for one row. */
    private static String keyLiteral(String user, String eventId) {
        String u = literal(user);
        String e = literal(eventId);
        return u.substring(0, u.length() - 1) + "\\0" + e.substring(1);
    }
}
