package io.clickstream.etl.clickhouse;

import static io.clickstream.etl.clickhouse.ClickHouseSql.literal;

import io.clickstream.etl.session.JoinedFix;
import io.clickstream.etl.session.SessionCorrection;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.BinaryOperator;

/**
 * Writes stored events again as late events changed them ({@link SessionCorrection}): each correction's rows are
 * read (of each event the row with the highest version), ranked by (time, event id), tagged again under the funnels
 * it names ({@link RowTagging}), and those that change are inserted again by ClickHouse itself ({@code INSERT …
 * SELECT}, so no row travels to the job and back) with the session's id and number, their index, their tags and their
 * version plus one, which replaces them on merge. The joined values a correction fixes are written first, by a
 * statement of their own, so that the tags see them. Rows the job sent may not be in the table yet (the events sink
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

    /**
     * Corrections read per statement: each statement reads the days' partitions whatever the number of users it
     * names (a user's rows lie in every event type's granules), so few large statements cost least.
     */
    static final int PER_STATEMENT = 2_000;
    /** Characters of listed rows per statement (a session's rows beyond it go to the next statement). */
    static final int MAX_LISTED = 2_000_000;

    /** max_query_size (256 KiB by default) above the listed rows and the users named. */
    private static final Map<String, String> SETTINGS =
            Map.of("load_balancing", "in_order", "insert_distributed_sync", "1", "max_query_size", "8388608");

    private static final long MILLIS_PER_DAY = 86_400_000L;

    private final Sql sql;
    private final String table;
    private final List<String> columns;
    /** database.table of the sessions (Distributed), null: sessions are not retired here. */
    private final String sessionsTable;
    /** database.table of the corrected user-days (Distributed), in the events' database. */
    private final String daysTable;

    private final List<String> sessionColumns;
    private final int maxListed;
    /** Computes a corrected session's funnel tags again; null: tags stay as stored. */
    private final RowTagging tagging;

    /**
     * {@code table}: database.table of the events (the Distributed table); {@code columns}: those the job writes. The
     * user-days corrected are listed in corrected_days of the same database (sql/V008).
     */
    public EventCorrections(Sql sql, String table, List<String> columns) {
        this(sql, table, columns, null, List.of(), null);
    }

    /**
     * Also retires, in {@code sessionsTable} (database.table) with the sessions' {@code sessionColumns}, the session
     * rows a correction's session took in: those of the user within its bounds under another id (merged into it, or
     * its old id). The per-user step writes such rows itself; this one repairs a row lost with a run that failed
     * after the step had recorded the late event (a replay then finds it recorded and has nothing to retire).
     */
    public EventCorrections(
            Sql sql,
            String table,
            List<String> columns,
            String sessionsTable,
            List<String> sessionColumns,
            RowTagging tagging) {
        this(sql, table, columns, sessionsTable, sessionColumns, tagging, MAX_LISTED);
    }

    /** With at most {@code maxListed} characters of listed rows per statement (tests: a statement split). */
    EventCorrections(
            Sql sql,
            String table,
            List<String> columns,
            String sessionsTable,
            List<String> sessionColumns,
            RowTagging tagging,
            int maxListed) {
        this.maxListed = maxListed;
        this.tagging = tagging;
        this.sql = sql;
        this.table = table;
        this.daysTable = table.substring(0, table.lastIndexOf('.') + 1) + "corrected_days";
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
            markDays(part);
            // A correction whose joined values waited for its rows waits as a whole, even if the rows come in before
            // the read below: its tags must see the joined values.
            Set<SessionCorrection> unfixed = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
            written += fixJoined(part, evenIfIncomplete, unfixed);
            String scope = scope(part, true);
            List<String> definitions = definitions(part);
            Map<String, List<Row>> rows = read(scope, definitions);
            Statement statement = new Statement(scope, 4, EventCorrections::sessionColumns);
            List<SessionCorrection> complete = new ArrayList<>();
            for (SessionCorrection c : part) {
                List<Row> of = new ArrayList<>();
                for (Row r : rows.getOrDefault(c.userId, List.of())) {
                    if (r.time >= c.start && r.time <= c.end) {
                        of.add(r);
                    }
                }
                if (of.size() < c.events || unfixed.contains(c)) {
                    waiting.add(c);
                    if (!evenIfIncomplete) {
                        continue;
                    }
                    incomplete.add(c);
                } else {
                    complete.add(c);
                }
                of.sort(Comparator.<Row>comparingLong(r -> r.time).thenComparing(r -> r.eventId));
                String[] tags = tags(c, of, definitions);
                for (int k = 0; k < of.size(); k++) {
                    Row r = of.get(k);
                    if (r.sessionNumber == c.sessionNumber
                            && r.index == k
                            && r.sessionId.equals(c.sessionId)
                            && r.tags.equals(tags[k])) {
                        continue; // as the truth has it: written again only if it changes
                    }
                    if (statement.full()) { // a long session's rows over several statements: each row's rank is known
                        written += statement.run();
                    }
                    statement.add(
                            keyLiteral(c.userId, r.eventId, r.version),
                            literal(c.sessionId),
                            String.valueOf(c.sessionNumber),
                            String.valueOf(k),
                            literal(tags[k]));
                }
            }
            written += statement.run();
            if (sessionsTable != null && !complete.isEmpty()) {
                retire(complete);
            }
        }
        return new Outcome(waiting, incomplete, written);
    }

    /**
     * Lists the (day, user) pairs the part's corrections may write again in {@code corrected_days} (sql/V008), before
     * any row changes: the aggregates' states of those user-days cannot take back what the rows held before, so readers
     * count them from the current events instead. A pair listed twice, or for a correction that finds nothing to
     * change, costs a row and changes no figure.
     */
    private void markDays(List<SessionCorrection> part) throws Exception {
        Set<String> pairs = new TreeSet<>();
        for (SessionCorrection c : part) {
            for (long d = Math.floorDiv(c.start, MILLIS_PER_DAY); d <= Math.floorDiv(c.end, MILLIS_PER_DAY); d++) {
                pairs.add("('" + LocalDate.ofEpochDay(d) + "', " + literal(c.userId) + ")");
            }
        }
        if (!pairs.isEmpty()) {
            sql.execute("INSERT INTO " + daysTable + " (dt, user_id) VALUES " + String.join(", ", pairs), SETTINGS);
        }
    }

    /**
     * Writes again, with the joined values they hold now, the rows of the part's corrections whose joined values late
     * givers changed ({@link SessionCorrection#joined}), before their sessions and tags are looked at (a funnel step may
     * test a joined value). A correction whose rows are not all in the table yet waits for them, unless
     * {@code evenIfIncomplete}. A receiving event's own property of a joined name is taken as joined (the stored row
     * does not tell them apart).
     */
    private long fixJoined(List<SessionCorrection> part, boolean evenIfIncomplete, Set<SessionCorrection> unfixed)
            throws Exception {
        List<SessionCorrection> fixed = new ArrayList<>();
        Set<String> names = new java.util.LinkedHashSet<>();
        for (SessionCorrection c : part) {
            if (c.joined != null) {
                fixed.add(c);
                for (JoinedFix f : c.joined) {
                    names.addAll(List.of(f.names));
                }
            }
        }
        if (fixed.isEmpty()) {
            return 0;
        }
        List<String> read = new ArrayList<>(names);
        StringBuilder held = new StringBuilder();
        for (String n : read) {
            // "=value" for a row that has the property, "" for one that has not.
            held.append(", if(has(`props.key`, ")
                    .append(literal(n))
                    .append("), concat('=', `props.value`[indexOf(`props.key`, ")
                    .append(literal(n))
                    .append(")]), '')");
        }
        String scope = scope(fixed, true);
        Map<String, List<String[]>> byUser = newestByUser(
                "SELECT user_id, event_id, toUInt64(ts) * 1000 + ts_ms, version, source" + held + " FROM " + table
                        + " WHERE " + scope + " FORMAT TabSeparated",
                EventCorrections::newerVersion);
        Statement statement = new Statement(scope, 3, EventCorrections::joinedColumns);
        long written = 0;
        for (SessionCorrection c : fixed) {
            List<String[]> rows = new ArrayList<>();
            for (String[] f : byUser.getOrDefault(c.userId, List.of())) {
                long time = Long.parseLong(f[2]);
                if (time >= c.start && time <= c.end) {
                    rows.add(f);
                }
            }
            if (rows.size() < c.events && !evenIfIncomplete) {
                unfixed.add(c); // applied with the session, once its rows are there
                continue;
            }
            for (String[] f : rows) {
                Map<String, String> want = new java.util.LinkedHashMap<>();
                for (JoinedFix fix : c.joined) { // in the order they came: a later one holds the later values
                    if (fix.covers(f[4], Long.parseLong(f[2]))) {
                        for (int k = 0; k < fix.names.length; k++) {
                            want.put(fix.names[k], fix.values[k]);
                        }
                    }
                }
                boolean same = true;
                for (Map.Entry<String, String> w : want.entrySet()) {
                    String stored = f[5 + read.indexOf(w.getKey())];
                    same &= stored.equals(w.getValue().isEmpty() ? "" : "=" + w.getValue());
                }
                if (same) {
                    continue;
                }
                StringBuilder out = new StringBuilder();
                StringBuilder in = new StringBuilder();
                StringBuilder values = new StringBuilder();
                for (Map.Entry<String, String> w : want.entrySet()) {
                    out.append(out.length() == 0 ? "" : ",").append(literal(w.getKey()));
                    if (!w.getValue().isEmpty()) {
                        in.append(in.length() == 0 ? "" : ",").append(literal(w.getKey()));
                        values.append(values.length() == 0 ? "" : ",").append(literal(w.getValue()));
                    }
                }
                if (statement.full()) {
                    written += statement.run();
                }
                statement.add(
                        keyLiteral(c.userId, f[1], Long.parseLong(f[3])),
                        "[" + out + "]",
                        "[" + in + "]",
                        "[" + values + "]");
            }
        }
        return written + statement.run();
    }

    /** The funnel definitions the part's corrections tag under, each once (none without {@link #tagging}). */
    private List<String> definitions(List<SessionCorrection> part) {
        if (tagging == null) {
            return List.of();
        }
        Set<String> all = new java.util.LinkedHashSet<>();
        for (SessionCorrection c : part) {
            if (c.funnels != null) {
                all.addAll(List.of(c.funnels));
            }
        }
        return new ArrayList<>(all);
    }

    /**
     * The tags of a correction's rows (in time order): computed again under its funnels, or as stored if it names
     * none.
     */
    private String[] tags(SessionCorrection c, List<Row> rows, List<String> definitions) {
        String[] tags = new String[rows.size()];
        if (tagging == null || c.funnels == null) {
            for (int k = 0; k < tags.length; k++) {
                tags[k] = rows.get(k).tags;
            }
            return tags;
        }
        int[] column = new int[c.funnels.length];
        for (int f = 0; f < column.length; f++) {
            column[f] = definitions.indexOf(c.funnels[f]);
        }
        long[] times = new long[rows.size()];
        int[][] steps = new int[rows.size()][column.length];
        for (int k = 0; k < times.length; k++) {
            times[k] = rows.get(k).time;
            for (int f = 0; f < column.length; f++) {
                steps[k][f] = rows.get(k).steps[column[f]];
            }
        }
        return tagging.tags(c.funnels, times, steps);
    }

    /**
     * Brings the sessions table in line with the complete corrections: the session rows a correction's session took
     * in — the user's rows under another id within its bounds (by the table's seconds: another session of the user
     * cannot start in the second a session starts, 30 minutes of gap lie between them) — are written again as retired
     * (version + 1), and the correction's own session, if retired, is written again as it was, not retired, at the
     * same version (of equal versions ClickHouse keeps the last inserted; the next row the per-user step writes for
     * the session still wins). The per-user step writes the retire rows itself; this repairs those lost with a run
     * killed after the step had recorded the late event (a replay finds it recorded and has nothing to retire), and
     * a correction applied after a newer one of its session (the newer came while it ran) that retired the session
     * as it stands now: the newer is applied after it and revives it. The current rows are read without FINAL (the
     * newest version of each session) and named by their version, as the events are.
     */
    private void retire(List<SessionCorrection> complete) throws Exception {
        String scope = scope(complete, false);
        Map<String, List<String[]>> byUser = newestByUser(
                "SELECT user_id, session_id, toUInt32(start), toUInt32(end), version, retired FROM " + sessionsTable
                        + " WHERE " + scope + " FORMAT TabSeparated",
                EventCorrections::newerSession);
        List<String> taken = new ArrayList<>();
        List<String> revived = new ArrayList<>();
        for (SessionCorrection c : complete) {
            long first = Math.floorDiv(c.start, 1000L);
            long last = Math.floorDiv(c.end, 1000L);
            for (String[] f : byUser.getOrDefault(c.userId, List.of())) {
                boolean retired = !"0".equals(f[5]);
                if (f[1].equals(c.sessionId)) {
                    if (retired) {
                        revived.add(sessionKey(f));
                    }
                } else if (!retired && Long.parseLong(f[2]) >= first && Long.parseLong(f[3]) <= last) {
                    taken.add(sessionKey(f));
                }
            }
        }
        if (!taken.isEmpty()) {
            sql.execute(sessionsAgain(scope, taken, "toUInt8(1)", "version + 1"), SETTINGS);
        }
        if (!revived.isEmpty()) {
            sql.execute(sessionsAgain(scope, revived, "toUInt8(0)", "version"), SETTINGS);
        }
    }

    /**
     * Of two rows of a session the higher version; of equal versions the one not retired: the equal versions of a
     * retired and a live row are a revived row or the step's next row after a retire, both inserted after it (the
     * one ClickHouse keeps).
     */
    private static String[] newerSession(String[] a, String[] b) {
        int byVersion = Long.compare(Long.parseLong(a[4]), Long.parseLong(b[4]));
        return byVersion > 0 || (byVersion == 0 && "0".equals(a[5])) ? a : b;
    }

    private static String sessionKey(String[] row) {
        return "(" + literal(row[0]) + ", " + literal(row[1]) + ", " + row[4] + ")";
    }

    /** The sessions rows listed by (user, id, version) inserted again with {@code retired} and {@code version}. */
    private String sessionsAgain(String scope, List<String> keys, String retired, String version) {
        StringBuilder select = new StringBuilder();
        for (String column : sessionColumns) {
            if (select.length() > 0) {
                select.append(", ");
            }
            select.append(
                    switch (column) {
                        case "retired" -> retired;
                        case "version" -> version;
                        default -> "`" + column + "`";
                    });
        }
        return "INSERT INTO " + sessionsTable + " ("
                + String.join(
                        ", ", sessionColumns.stream().map(c -> "`" + c + "`").toList()) + ") SELECT " + select
                + " FROM " + sessionsTable + " WHERE " + scope + " AND (user_id, session_id, version) IN ("
                + String.join(", ", keys) + ")";
    }

    /**
     * One INSERT … SELECT of up to {@code maxListed} characters of listed rows: each row's key once, with its new values
     * at the same place in their lists, from which {@code columns} makes the expressions of the columns it rewrites.
     */
    private final class Statement {
        /** Where the listed rows are ({@link #scope}). */
        private final String scope;

        private final java.util.function.Function<String[], Map<String, String>> columns;
        private final StringBuilder keys = new StringBuilder();
        private final StringBuilder places = new StringBuilder();
        private final StringBuilder[] lists;
        private int rows;

        Statement(String scope, int lists, java.util.function.Function<String[], Map<String, String>> columns) {
            this.scope = scope;
            this.columns = columns;
            this.lists = new StringBuilder[lists];
            for (int i = 0; i < lists; i++) {
                this.lists[i] = new StringBuilder();
            }
        }

        boolean full() {
            int n = keys.length() + places.length();
            for (StringBuilder b : lists) {
                n += b.length();
            }
            return n >= maxListed;
        }

        /** A row by its key literal, with its literal in each list. */
        void add(String key, String... values) {
            String comma = rows == 0 ? "" : ",";
            rows++;
            keys.append(comma).append(key);
            places.append(comma).append(rows);
            for (int i = 0; i < lists.length; i++) {
                lists[i].append(comma).append(values[i]);
            }
        }

        /** Runs the statement if it lists rows; the rows it wrote. */
        int run() throws Exception {
            if (rows == 0) {
                return 0;
            }
            String[] texts = new String[lists.length];
            for (int i = 0; i < lists.length; i++) {
                texts[i] = lists[i].toString();
            }
            sql.execute(insert(scope, keys, places, columns.apply(texts)), SETTINGS);
            int n = rows;
            keys.setLength(0);
            places.setLength(0);
            for (StringBuilder b : lists) {
                b.setLength(0);
            }
            rows = 0;
            return n;
        }
    }

    /** The session columns a statement of rows listed with (id, number, index, tags) rewrites. */
    private static Map<String, String> sessionColumns(String[] lists) {
        String listedTags = "arrayFilter(t -> t != '', splitByChar(',', arrayElement([" + lists[3] + "], _row)))";
        return Map.of(
                "session_id", "arrayElement([" + lists[0] + "], _row)",
                "session_number", "toUInt32(arrayElement([" + lists[1] + "], _row))",
                "session_index", "toUInt32(arrayElement([" + lists[2] + "], _row))",
                "funnels.id", "arrayMap(t -> splitByChar(':', t)[1], " + listedTags + ")",
                "funnels.step", "arrayMap(t -> toUInt8(splitByChar(':', t)[2]), " + listedTags + ")");
    }

    /**
     * The properties a statement of rows listed with (names taken out, names put in, their values) rewrites: a row's
     * properties without the joined names, then the joined values it holds now.
     */
    private static Map<String, String> joinedColumns(String[] lists) {
        String out = "arrayElement([" + lists[0] + "], _row)";
        return Map.of(
                "props.key",
                "arrayConcat(arrayFilter(k -> NOT has(" + out + ", k), `props.key`), arrayElement([" + lists[1]
                        + "], _row))",
                "props.value",
                "arrayConcat(arrayFilter((v, k) -> NOT has(" + out + ", k), `props.value`, `props.key`), "
                        + "arrayElement([" + lists[2] + "], _row))");
    }

    /**
     * A stored event's current row: its key, time and what a correction may change; {@code steps}: the step it matches
     * in each definition read.
     */
    private record Row(
            String eventId,
            long time,
            long version,
            String sessionId,
            int sessionNumber,
            int index,
            String tags,
            int[] steps) {}

    /** A row's funnel tags as {@link RowTagging} writes them. */
    private static final String STORED_TAGS =
            "arrayStringConcat(arrayMap((i, s) -> concat(i, ':', toString(s)), funnels.id, funnels.step), ',')";

    /**
     * The corrections' rows as they are now, by user: of each event the row with the highest version. Without
     * FINAL, which merges every part of the partitions read and cost seconds per statement on a table being inserted
     * into; the rewrite names each row by its version instead.
     */
    private Map<String, List<Row>> read(String scope, List<String> definitions) throws Exception {
        StringBuilder steps = new StringBuilder();
        for (String d : definitions) {
            steps.append(", ").append(tagging.stepExpression(d));
        }
        Map<String, List<Row>> byUser = new HashMap<>();
        newestByUser(
                        "SELECT user_id, event_id, toUInt64(ts) * 1000 + ts_ms, version, session_id, session_number, "
                                + "session_index, " + STORED_TAGS + steps + " FROM " + table + " WHERE "
                                + scope + " FORMAT TabSeparated",
                        EventCorrections::newerVersion)
                .forEach((user, rows) -> byUser.put(
                        user, rows.stream().map(f -> row(f, definitions.size())).toList()));
        return byUser;
    }

    /** A row of {@link #read}'s answer: its key, time, version, session, tags, then its step in each definition. */
    private static Row row(String[] f, int definitions) {
        int[] matched = new int[definitions];
        for (int d = 0; d < matched.length; d++) {
            matched[d] = Integer.parseInt(f[8 + d]);
        }
        return new Row(
                f[1],
                Long.parseLong(f[2]),
                Long.parseLong(f[3]),
                f[4],
                Integer.parseInt(f[5]),
                Integer.parseInt(f[6]),
                f[7],
                matched);
    }

    /**
     * The answer's rows (the user in the first field, the event or session in the second) by user: of each event or
     * session the row {@code newer} picks. Without FINAL, which merges every part of the partitions read.
     */
    private Map<String, List<String[]>> newestByUser(String select, BinaryOperator<String[]> newer) throws Exception {
        Map<List<String>, String[]> newest = new HashMap<>();
        for (String[] f : TabSeparated.rows(sql.execute(select, SETTINGS))) {
            newest.merge(List.of(f[0], f[1]), f, newer);
        }
        Map<String, List<String[]>> byUser = new HashMap<>();
        newest.values()
                .forEach(f ->
                        byUser.computeIfAbsent(f[0], u -> new ArrayList<>()).add(f));
        return byUser;
    }

    /** Of two rows of an event (version in the fourth field) the one of the higher version. */
    private static String[] newerVersion(String[] a, String[] b) {
        return Long.parseLong(a[3]) >= Long.parseLong(b[3]) ? a : b;
    }

    /**
     * The rows listed (each event's current row, named with its version) written again with the expressions of
     * {@code replaced} for their columns and their version plus one: the inner query finds each row's place in the
     * lists by a hash look-up ({@code transform}).
     */
    private String insert(String scope, CharSequence keys, CharSequence places, Map<String, String> replaced) {
        StringBuilder inner = new StringBuilder();
        StringBuilder outer = new StringBuilder();
        for (String column : columns) {
            String name = "`" + column + "`";
            inner.append(name).append(", ");
            if (outer.length() > 0) {
                outer.append(", ");
            }
            outer.append(column.equals("version") ? "version + 1" : replaced.getOrDefault(column, name));
        }
        return "INSERT INTO " + table + " ("
                + String.join(", ", columns.stream().map(c -> "`" + c + "`").toList())
                + ") SELECT " + outer + " FROM (SELECT " + inner
                + "toUInt32(transform(concat(user_id, '\\0', event_id, '\\0', toString(version)), [" + keys + "], ["
                + places + "], 0)) AS _row FROM " + table + " WHERE " + scope + ") WHERE _row > 0";
    }

    /**
     * The rows of the corrections' users on the days of their bounds (and, for events, within the seconds they
     * span): by day, user hash and user, so that ClickHouse reads only the partitions and granules that can hold them
     * and tests each row against sets, not against every correction's bounds. The bounds of each correction are
     * applied to the rows read.
     */
    private static String scope(List<SessionCorrection> part, boolean seconds) {
        Set<String> days = new TreeSet<>();
        Set<String> users = new TreeSet<>();
        long first = Long.MAX_VALUE;
        long last = Long.MIN_VALUE;
        for (SessionCorrection c : part) {
            for (long d = Math.floorDiv(c.start, MILLIS_PER_DAY); d <= Math.floorDiv(c.end, MILLIS_PER_DAY); d++) {
                days.add("'" + LocalDate.ofEpochDay(d) + "'");
            }
            users.add(literal(c.userId));
            first = Math.min(first, Math.floorDiv(c.start, 1000L));
            last = Math.max(last, Math.floorDiv(c.end, 1000L));
        }
        StringBuilder hashes = new StringBuilder();
        for (String u : users) {
            hashes.append(hashes.length() == 0 ? "" : ", ")
                    .append("cityHash64(")
                    .append(u)
                    .append(')');
        }
        return "dt IN (" + String.join(", ", days) + ") AND uh IN (" + hashes + ") AND user_id IN ("
                + String.join(", ", users) + ")"
                + (seconds ? " AND ts BETWEEN toDateTime(" + first + ") AND toDateTime(" + last + ")" : "");
    }

    /** The literal of {@code concat(user_id, '\\0', event_id, '\\0', toString(version))} for one row. */
    private static String keyLiteral(String user, String eventId, long version) {
        String u = literal(user);
        String e = literal(eventId);
        return u.substring(0, u.length() - 1) + "\\0" + e.substring(1, e.length() - 1) + "\\0" + version + "'";
    }
}
