package io.clickstream.etl.report;

import io.clickstream.etl.aggregate.CurrentUserDays;
import io.clickstream.etl.report.ReportRequest.Kind;
import java.time.LocalDate;
import java.util.List;

/**
 * The SQL of each standard report over the aggregates (sql/V006, V004), for ClickHouse 18.16 and current versions.
 * Every user-based report starts from the rows of user_days per (day, user, split value), merged, optionally sampled
 * by the user hash, current (a user-day a late event's correction touched is counted from its current events,
 * {@link CurrentUserDays}); pages come from objects_daily where no correction touched the days, from the current
 * events where one did.
 */
public final class ReportQueries {
    /** A report's statement and how to read its answer. */
    public record Query(Kind kind, String sql, List<String> columns, Scale scale, Chart chart) {}

    /**
     * Which columns are counted over sampled users: {@code users} are numbers of users (scaled, with a binomial error),
     * {@code sums} are sums over those users (scaled; their error is stated as the row's user count's).
     */
    public record Scale(List<String> users, List<String> sums) {
        static final Scale NONE = new Scale(List.of(), List.of());
    }

    /** How the HTML report draws it: line or bar, the x column, the y columns, one series per split value. */
    public record Chart(String type, String x, List<String> y) {}

    private ReportQueries() {}

    /**
     * The list of the reports' SQL in docs/clickhouse.md, for the clickstream database and the week 2026-11-01..07, unsplit and
     * unsampled (JobConfigTest-style: a test keeps the page equal to it).
     */
    public static String markdown() {
        ReportRequest week = new ReportRequest(
                "clickstream",
                java.time.LocalDate.of(2026, 11, 1),
                java.time.LocalDate.of(2026, 11, 7),
                List.of(Kind.values()),
                ReportRequest.Split.NONE,
                1,
                7,
                1,
                20);
        StringBuilder out = new StringBuilder();
        for (Kind kind : Kind.values()) {
            out.append("-- ")
                    .append(kind.id())
                    .append(": ")
                    .append(kind.title)
                    .append('\n')
                    .append(of(week, kind).sql())
                    .append(";\n");
        }
        return out.toString();
    }

    /** A report's query over days no late event's correction touched. */
    public static Query of(ReportRequest r, Kind kind) {
        return of(r, kind, false);
    }

    /**
     * A report's query; {@code corrected}: a correction touched a user-day in the range ({@link
     * CurrentUserDays#anyCorrected}), so the pages come from the current events (objects_daily's states keep the
     * sessions and entries the corrections changed).
     */
    public static Query of(ReportRequest r, Kind kind, boolean corrected) {
        return switch (kind) {
            case ACTIVE -> active(r);
            case DAYS -> days(r);
            case RETENTION -> retention(r);
            case TRAFFIC -> traffic(r);
            case PAGES -> pages(r, corrected);
            case FUNNELS -> funnels(r);
        };
    }

    /**
     * One row per (day, user, split value) with the page views, sessions and funnel steps of the user's events that
     * have the value, days [from, to]: user_days holds a row per (day, user) and combination of the values, so a
     * value's figures come from its own events, and a user counts under each value they had.
     */
    private static String userDaysSplit(ReportRequest r, String from, String to) {
        return "SELECT dt, user_id, " + r.split().column + " AS split, uniqExactIfMerge(page_views) AS pv,"
                + " uniqExactMerge(sessions) AS s, groupUniqArrayArrayMerge(funnel_steps) AS steps"
                + " FROM " + CurrentUserDays.rows(r.database(), sample(r), range(from, to))
                + " GROUP BY dt, user_id, split";
    }

    /**
     * One row per (day, user, split value) the user had events with, days [from, to]: which rows exist no correction
     * changes (an event keeps its day and its values), so user_days as stored answers it.
     */
    private static String userDaysPresent(ReportRequest r, String from, String to) {
        return "SELECT dt, user_id, " + r.split().column + " AS split FROM " + r.database() + ".user_days" + sample(r)
                + " WHERE " + range(from, to) + " GROUP BY dt, user_id, split";
    }

    private static String range(String from, String to) {
        return "dt >= " + from + " AND dt <= " + to;
    }

    private static String sample(ReportRequest r) {
        return r.sampleDenominator() == 1 ? "" : " SAMPLE 1/" + r.sampleDenominator();
    }

    private static String day(LocalDate d) {
        return "toDate('" + d + "')";
    }

    private static Query active(ReportRequest r) {
        String sql =
                "SELECT d AS day, split, uniqExactIf(user_id, d - dt < 1) AS dau, uniqExactIf(user_id, d - dt < 7) AS wau,"
                        + " uniqExact(user_id) AS mau FROM (SELECT dt, user_id, split, dt + n AS d FROM ("
                        + userDaysPresent(r, day(r.from()) + " - 29", day(r.to())) + ") ARRAY JOIN range(30) AS n)"
                        + " WHERE d >= " + day(r.from()) + " AND d <= " + day(r.to())
                        + " GROUP BY day, split ORDER BY day, split";
        return new Query(
                Kind.ACTIVE,
                sql,
                List.of("day", "split", "dau", "wau", "mau"),
                new Scale(List.of("dau", "wau", "mau"), List.of()),
                new Chart("line", "day", List.of("dau", "wau", "mau")));
    }

    private static Query days(ReportRequest r) {
        String end = day(r.to());
        String sql = "SELECT days, split, sum(d7 = days) AS users_7d, sum(d28 = days) AS users_28d FROM ("
                + "SELECT user_id, split, uniqExactIf(dt, dt > " + end + " - 7) AS d7, uniqExact(dt) AS d28 FROM ("
                + userDaysPresent(r, end + " - 27", end)
                + ") GROUP BY user_id, split) ARRAY JOIN arrayMap(x -> x + 1, range(28)) AS days"
                + " GROUP BY days, split HAVING users_28d > 0 OR users_7d > 0 ORDER BY days, split";
        return new Query(
                Kind.DAYS,
                sql,
                List.of("days", "split", "users_7d", "users_28d"),
                new Scale(List.of("users_7d", "users_28d"), List.of()),
                new Chart("bar", "days", List.of("users_7d", "users_28d")));
    }

    private static Query retention(ReportRequest r) {
        // First seen: the user's first day at all (up to the last cohort's last day), split by the values the user
        // had on that day. 18.16 takes one ARRAY JOIN per SELECT: the split in the inner one, the days in the outer.
        String sql = "SELECT cohort, split, n AS day_n, uniqExact(user_id) AS users FROM ("
                + "SELECT user_id, split, cohort, days FROM (SELECT user_id, min(dt) AS cohort,"
                + " groupUniqArray(dt) AS days, groupArray((dt, split)) AS day_splits FROM ("
                + userDaysPresent(r, "toDate('1970-01-02')", day(r.to().plusDays(r.retentionDays())))
                + ") GROUP BY user_id)"
                + " ARRAY JOIN arrayMap(x -> tupleElement(x, 2), arrayFilter(x -> tupleElement(x, 1) = cohort, day_splits))"
                + " AS split)"
                + " ARRAY JOIN arrayMap(x -> toInt32(x - cohort), days) AS n"
                + " WHERE cohort >= " + day(r.from()) + " AND cohort <= " + day(r.to()) + " AND n <= "
                + r.retentionDays()
                + " GROUP BY cohort, split, day_n ORDER BY cohort, split, day_n";
        return new Query(
                Kind.RETENTION,
                sql,
                List.of("cohort", "split", "day_n", "users"),
                new Scale(List.of("users"), List.of()),
                new Chart("line", "day_n", List.of("users")));
    }

    private static Query traffic(ReportRequest r) {
        String sql =
                "SELECT dt AS day, split, sum(pv) AS page_views, sum(s) AS sessions, uniqExact(user_id) AS users FROM ("
                        + userDaysSplit(r, day(r.from()), day(r.to())) + ") GROUP BY day, split ORDER BY day, split";
        return new Query(
                Kind.TRAFFIC,
                sql,
                List.of("day", "split", "page_views", "sessions", "users"),
                new Scale(List.of("users"), List.of("page_views", "sessions")),
                new Chart("line", "day", List.of("page_views", "sessions")));
    }

    private static Query pages(ReportRequest r, boolean corrected) {
        if (corrected || r.split() != ReportRequest.Split.NONE || r.sampleDenominator() > 1) {
            return pagesFromEvents(r);
        }
        // Exits need a session's last event, which later events change: they come from the sessions table's latest
        // row of each session (FINAL), by the day the session began. Current versions want the joined subqueries named.
        String range = " AND dt >= " + day(r.from()) + " AND dt <= " + day(r.to());
        String sql =
                "SELECT page, views, users, sessions, entries, exits FROM (SELECT " + page(r, "object") + " AS page,"
                        + " uniqExactIfMerge(page_views) AS views, uniqExactMerge(users) AS users,"
                        + " uniqExactMerge(sessions) AS sessions, uniqExactIfMerge(entries) AS entries"
                        + " FROM " + r.database() + ".objects_daily WHERE object_key = 'url'" + range
                        + " GROUP BY page) AS visited"
                        + " ANY LEFT JOIN (SELECT " + page(r, "cutQueryStringAndFragment(exit_url)")
                        + " AS page, count() AS exits"
                        + " FROM " + r.database() + ".sessions FINAL WHERE NOT retired AND exit_url != ''" + range
                        + " GROUP BY page) AS left_from USING page"
                        + " ORDER BY views DESC, page LIMIT " + r.top();
        return new Query(
                Kind.PAGES,
                sql,
                List.of("page", "views", "users", "sessions", "entries", "exits"),
                Scale.NONE,
                new Chart("bar", "page", List.of("views", "users")));
    }

    /**
     * Pages split or sampled, or over days a correction touched: objects_daily has neither a dimension nor a user
     * hash, and its states keep the sessions and entries a correction changed, so these read the events (split
     * by the event's own source, country, browser, device) and the sessions (by their sources and entry's values),
     * sampled by user hash as the other reports are; the top pages of each split value. Both as they are now (FINAL):
     * an event a late one moved to another session or index counts once, in its current session.
     */
    private static Query pagesFromEvents(ReportRequest r) {
        String range = " AND dt >= " + day(r.from()) + " AND dt <= " + day(r.to());
        String sql = "SELECT page, split, views, users, sessions, entries, exits FROM (SELECT "
                + page(r, "cutQueryStringAndFragment(url)") + " AS page, split,"
                + " uniqExactIf(event_id, event_type = 'page_view') AS views, uniqExact(user_id) AS users,"
                + " uniqExact(session_id) AS sessions, uniqExactIf(session_id, session_index = 0) AS entries"
                + " FROM " + r.database() + ".events FINAL" + sample(r) + " ARRAY JOIN " + r.split().ofEvent
                + " AS split"
                + " WHERE url != ''" + range + " GROUP BY page, split) AS visited"
                + " ANY LEFT JOIN (SELECT " + page(r, "cutQueryStringAndFragment(exit_url)") + " AS page, split,"
                + " count() AS exits FROM " + r.database() + ".sessions FINAL" + sample(r) + " ARRAY JOIN "
                + r.split().ofSession + " AS split WHERE NOT retired AND exit_url != ''" + range
                + " GROUP BY page, split) AS left_from"
                + " USING page, split ORDER BY split, views DESC, page LIMIT " + r.top() + " BY split";
        return new Query(
                Kind.PAGES,
                sql,
                List.of("page", "split", "views", "users", "sessions", "entries", "exits"),
                new Scale(List.of("users"), List.of("views", "sessions", "entries", "exits")),
                new Chart("bar", "page", List.of("views", "users")));
    }

    /** A URL's page at the asked depth of its path: depth 0 the host, 1 its first path segment, ... */
    private static String page(ReportRequest r, String url) {
        return "concat(domain(" + url + "), arrayStringConcat(arraySlice(splitByChar('/', path(" + url + ")), 1, "
                + (r.urlDepth() + 1) + "), '/'))";
    }

    private static Query funnels(ReportRequest r) {
        // A user reached a step when any of the range's days holds it or a later one (steps are reached in order).
        String sql =
                "SELECT funnel, split, step, count() AS users FROM (SELECT user_id, split, funnel, max(reached) AS top"
                        + " FROM (SELECT user_id, split, splitByChar(':', fs)[1] AS funnel, toUInt32(splitByChar(':', fs)[2]) AS reached"
                        + " FROM (" + userDaysSplit(r, day(r.from()), day(r.to())) + ") ARRAY JOIN steps AS fs)"
                        + " GROUP BY user_id, split, funnel) ARRAY JOIN arrayMap(x -> x + 1, range(toUInt32(top))) AS step"
                        + " GROUP BY funnel, split, step ORDER BY funnel, split, step";
        return new Query(
                Kind.FUNNELS,
                sql,
                List.of("funnel", "split", "step", "users"),
                new Scale(List.of("users"), List.of()),
                new Chart("bar", "step", List.of("users")));
    }
}
