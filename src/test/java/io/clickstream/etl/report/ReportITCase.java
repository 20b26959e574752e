package io.clickstream.etl.report;

import static org.assertj.core.api.Assertions.assertThat;

import io.clickstream.etl.clickhouse.ClickHouseSql;
import io.clickstream.etl.clickhouse.TestInserts;
import io.clickstream.etl.event.Event;
import io.clickstream.etl.report.ReportRequest.Kind;
import io.clickstream.etl.report.ReportRequest.Split;
import io.clickstream.etl.testing.TestStack;
import io.clickstream.etl.tools.Report;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The standard reports on the real cluster, over aggregates the views filled from known events, against figures
 * computed here from the same events by their definitions: every row of every report, unsplit and split by each
 * dimension (by the events that have each value: a user's events differ in all four); a sample; and the HTML page in
 * a real headless Chromium (it loads, every chart draws, no script error).
 */
class ReportITCase {
    private static final LocalDate D0 = LocalDate.of(2026, 11, 2);
    private static final LocalDate LAST = D0.plusDays(12);
    private static final LocalDate FROM = D0.plusDays(3);
    private static final LocalDate TO = D0.plusDays(10);
    private static final String[] SOURCES = {"web", "app", "backend"};
    private static final List<Event> EVENTS = new ArrayList<>();
    private static String db;
    private static ClickHouseSql sql;

    /** 40 users: user k first seen on day k % 6, then active every 1 + k % 3 days; a page view a day, a cart click for even k. */
    @BeforeAll
    static void knownEvents() throws Exception {
        TestStack.requireRunning();
        db = TestStack.migratedDatabase();
        for (int k = 0; k < 40; k++) {
            LocalDate first = D0.plusDays(k % 6);
            for (LocalDate d = first; !d.isAfter(LAST); d = d.plusDays(1 + k % 3)) {
                boolean second = d.equals(first.plusDays(1 + k % 3));
                EVENTS.add(event(
                        k,
                        d,
                        0,
                        "page_view",
                        "https://shop.example.com/p/" + (k % 4) + "/item?x=" + k,
                        k % 5 == 0 ? 1 : 0));
                if (k % 2 == 0) {
                    EVENTS.add(event(k, d, 1, "click", "https://shop.example.com/cart", k % 10 == 0 && second ? 2 : 0));
                }
            }
        }
        TestInserts.insert(db, EVENTS);
        // The sessions table's rows of those sessions: an older row with another exit first, then the latest.
        StringBuilder sessions = new StringBuilder();
        java.util.Map<String, Event> last = new java.util.LinkedHashMap<>();
        EVENTS.forEach(e -> last.merge(e.sessionId, e, (a, b) -> a.eventTime >= b.eventTime ? a : b));
        last.values()
                .forEach(e -> sessions.append(sessions.length() == 0 ? "" : ",")
                        .append(String.format(
                                "('%s', '%s', '%s', 'https://shop.example.com/old', '', 1), ('%s', '%s', '%s', '%s', '%s', 2)",
                                day(e), e.sessionId, e.userId, day(e), e.sessionId, e.userId, e.url, e.country)));
        try (ClickHouseSql admin = new ClickHouseSql(
                TestStack.clickHouse(), TestStack.clickHouseUrls().get(0))) {
            admin.execute(
                    "INSERT INTO " + db + ".sessions (dt, session_id, user_id, exit_url, country, version) VALUES "
                            + sessions,
                    java.util.Map.of("insert_distributed_sync", "1")); // stored on the shards when it returns
        }
        sql = new ClickHouseSql(
                TestStack.clickHouse(), TestStack.clickHouseUrls().get(0));
    }

    @AfterAll
    static void close() {
        if (sql != null) {
            sql.close();
        }
    }

    private static Event event(int k, LocalDate day, int index, String type, String url, int checkoutStep) {
        Event e = new Event();
        e.userId = "u" + k;
        e.eventId = e.userId + "-" + day + "-" + index;
        e.eventType = type;
        e.eventTime =
                day.atStartOfDay(ZoneOffset.UTC).toInstant().toEpochMilli() + 36_000_000L + k * 60_000L + index * 1000L;
        e.kafkaTimestamp = e.eventTime;
        e.kafkaTopic = "reports";
        e.url = url;
        // A user's events differ in source, country, browser and device, within a day and from day to day.
        e.source = SOURCES[(k + index + day.getDayOfMonth()) % 3];
        e.country = (k + index) % 2 == 0 ? "Germany" : "France";
        e.browser = (k + day.getDayOfMonth()) % 3 == 0 ? "Chrome" : "Firefox";
        e.deviceType = index == 1 ? "Mobile" : "Desktop";
        e.sessionId = e.userId + "-" + day;
        e.sessionIndex = index;
        e.funnelIds = checkoutStep > 0 ? new String[] {"checkout"} : new String[0];
        e.funnelSteps = checkoutStep > 0 ? new int[] {checkoutStep} : new int[0];
        return e;
    }

    private static LocalDate day(Event e) {
        return java.time.Instant.ofEpochMilli(e.eventTime)
                .atZone(ZoneOffset.UTC)
                .toLocalDate();
    }

    private static ReportRequest request(Kind kind, Split split, int sample) {
        return new ReportRequest(db, FROM, TO, List.of(kind), split, sample, 7, 1, 20);
    }

    private static List<List<Object>> rows(Kind kind, Split split, int sample) throws Exception {
        return new ReportRunner(sql::execute)
                .run(request(kind, split, sample))
                .get(0)
                .rows();
    }

    /** Users with an event on a day in [from, to] among those {@code who} accepts. */
    private static Set<String> activeUsers(LocalDate from, LocalDate to, Predicate<Event> who) {
        Set<String> users = new TreeSet<>();
        EVENTS.stream()
                .filter(who)
                .filter(e -> !day(e).isBefore(from) && !day(e).isAfter(to))
                .forEach(e -> users.add(e.userId));
        return users;
    }

    private static List<List<Object>> activeTruth(Predicate<Event> who, String split, long scale) {
        List<List<Object>> out = new ArrayList<>();
        for (LocalDate d = FROM; !d.isAfter(TO); d = d.plusDays(1)) {
            List<Object> row = new ArrayList<>(List.of(d.toString()));
            if (split != null) {
                row.add(split);
            }
            row.add(scale * activeUsers(d, d, who).size());
            row.add(scale * activeUsers(d.minusDays(6), d, who).size());
            row.add(scale * activeUsers(d.minusDays(29), d, who).size());
            out.add(row);
        }
        return out;
    }

    @Test
    void activeUsersPerDayAreTheUsersWithAnEventThatDayWeekAndMonth() throws Exception {
        assertThat(rows(Kind.ACTIVE, Split.NONE, 1)).isEqualTo(activeTruth(e -> true, null, 1));
    }

    @Test
    void aSplitByCountryGivesEachCountrysUsers() throws Exception {
        List<List<Object>> expected = new ArrayList<>();
        List<List<Object>> france = activeTruth(e -> e.country.equals("France"), "France", 1);
        List<List<Object>> germany = activeTruth(e -> e.country.equals("Germany"), "Germany", 1);
        for (int i = 0; i < france.size(); i++) {
            expected.add(france.get(i));
            expected.add(germany.get(i));
        }
        assertThat(rows(Kind.ACTIVE, Split.COUNTRY, 1)).isEqualTo(expected);
    }

    @Test
    void aSampleCountsTheSampledUsersScaledUpWithTheirInterval() throws Exception {
        Set<String> sampled = new HashSet<>(
                List.of(sql.execute("SELECT user_id FROM " + db // uh: 18.16 samples a Distributed table only with it
                                + ".user_days SAMPLE 1/2 GROUP BY user_id, uh FORMAT TabSeparated")
                        .split("\n")));
        assertThat(sampled.size()).isBetween(5, 35);
        List<List<Object>> truth = activeTruth(e -> sampled.contains(e.userId), null, 1);
        List<List<Object>> expected = new ArrayList<>();
        for (List<Object> t : truth) {
            List<Object> row = new ArrayList<>(List.of(t.get(0)));
            for (int i = 1; i < 4; i++) {
                long n = (Long) t.get(i);
                row.add(2 * n);
                row.add(Math.round(1.96 * Math.sqrt(n * 0.5) * 2));
            }
            expected.add(row);
        }
        assertThat(rows(Kind.ACTIVE, Split.NONE, 2)).isEqualTo(expected);
        assertThat(new ReportRunner(sql::execute)
                        .run(request(Kind.ACTIVE, Split.NONE, 2))
                        .get(0)
                        .columns())
                .containsExactly("day", "dau", "dau_pm95", "wau", "wau_pm95", "mau", "mau_pm95");
    }

    @Test
    void daysInServiceCountUsersByTheirActiveDaysInTheLast7And28() throws Exception {
        Map<Long, long[]> byDays = new TreeMap<>();
        for (String user : activeUsers(TO.minusDays(27), TO, e -> true)) {
            long d7 = EVENTS.stream()
                    .filter(e -> e.userId.equals(user) && !day(e).isBefore(TO.minusDays(6)) && !day(e).isAfter(TO))
                    .map(ReportITCase::day)
                    .distinct()
                    .count();
            long d28 = EVENTS.stream()
                    .filter(e -> e.userId.equals(user) && !day(e).isAfter(TO))
                    .map(ReportITCase::day)
                    .distinct()
                    .count();
            byDays.computeIfAbsent(d7, x -> new long[2])[0]++;
            byDays.computeIfAbsent(d28, x -> new long[2])[1]++;
        }
        List<List<Object>> expected = new ArrayList<>();
        byDays.forEach((days, c) -> {
            if (days > 0) {
                expected.add(List.of(days, c[0], c[1]));
            }
        });
        assertThat(rows(Kind.DAYS, Split.NONE, 1)).isEqualTo(expected);
    }

    @Test
    void retentionFollowsEachFirstSeenCohortForSevenDays() throws Exception {
        assertThat(rows(Kind.RETENTION, Split.NONE, 1)).isEqualTo(retention(null));
    }

    @Test
    void trafficIsPageViewsSessionsAndUsersPerDay() throws Exception {
        List<List<Object>> expected = new ArrayList<>();
        for (LocalDate d = FROM; !d.isAfter(TO); d = d.plusDays(1)) {
            LocalDate day = d;
            List<Event> of = EVENTS.stream().filter(e -> day(e).equals(day)).toList();
            expected.add(List.of(
                    d.toString(),
                    of.stream().filter(e -> e.eventType.equals("page_view")).count(),
                    of.stream().map(e -> e.sessionId).distinct().count(),
                    of.stream().map(e -> e.userId).distinct().count()));
        }
        assertThat(rows(Kind.TRAFFIC, Split.NONE, 1)).isEqualTo(expected);
    }

    @Test
    void topPagesGroupTheirUrlsByTheFirstPathSegmentWithEntriesAndExits() throws Exception {
        List<Event> inRange = EVENTS.stream()
                .filter(e -> !day(e).isBefore(FROM) && !day(e).isAfter(TO))
                .toList();
        List<List<Object>> expected = new ArrayList<>();
        for (String page : List.of("shop.example.com/p", "shop.example.com/cart")) {
            List<Event> of = inRange.stream()
                    .filter(e -> e.url.startsWith("https://" + page + "/") || e.url.equals("https://" + page))
                    .toList();
            java.util.Map<String, Event> lastOf = new java.util.HashMap<>();
            inRange.forEach(e -> lastOf.merge(e.sessionId, e, (x, y) -> x.eventTime >= y.eventTime ? x : y));
            expected.add(List.of(
                    page,
                    of.stream().filter(e -> e.eventType.equals("page_view")).count(),
                    of.stream().map(e -> e.userId).distinct().count(),
                    of.stream().map(e -> e.sessionId).distinct().count(),
                    of.stream()
                            .filter(e -> e.sessionIndex == 0)
                            .map(e -> e.sessionId)
                            .distinct()
                            .count(),
                    lastOf.values().stream().filter(e -> of.contains(e)).count()));
        }
        assertThat(rows(Kind.PAGES, Split.NONE, 1)).isEqualTo(expected);
    }

    @Test
    void topPagesSplitByCountryComeFromTheEventsOfEachCountry() throws Exception {
        List<Event> inRange = EVENTS.stream()
                .filter(e -> !day(e).isBefore(FROM) && !day(e).isAfter(TO))
                .toList();
        java.util.Map<String, Event> lastOf = new java.util.HashMap<>();
        inRange.forEach(e -> lastOf.merge(e.sessionId, e, (x, y) -> x.eventTime >= y.eventTime ? x : y));
        List<List<Object>> expected = new ArrayList<>();
        for (String country : List.of("France", "Germany")) {
            for (String page : List.of("shop.example.com/p", "shop.example.com/cart")) {
                List<Event> of = inRange.stream()
                        .filter(e -> e.country.equals(country)
                                && (e.url.startsWith("https://" + page + "/") || e.url.equals("https://" + page)))
                        .toList();
                if (!of.isEmpty()) {
                    expected.add(List.of(
                            page,
                            country,
                            of.stream()
                                    .filter(e -> e.eventType.equals("page_view"))
                                    .count(),
                            of.stream().map(e -> e.userId).distinct().count(),
                            of.stream().map(e -> e.sessionId).distinct().count(),
                            of.stream()
                                    .filter(e -> e.sessionIndex == 0)
                                    .map(e -> e.sessionId)
                                    .distinct()
                                    .count(),
                            lastOf.values().stream().filter(of::contains).count()));
                }
            }
        }
        assertThat(rows(Kind.PAGES, Split.COUNTRY, 1)).isEqualTo(expected);
    }

    @Test
    void funnelConversionCountsTheUsersWhoReachedEachStep() throws Exception {
        Map<String, Integer> top = new TreeMap<>();
        EVENTS.stream()
                .filter(e -> !day(e).isBefore(FROM) && !day(e).isAfter(TO) && e.funnelIds.length > 0)
                .forEach(e -> top.merge(e.userId, e.funnelSteps[0], Math::max));
        assertThat(top).isNotEmpty();
        assertThat(rows(Kind.FUNNELS, Split.NONE, 1))
                .isEqualTo(List.of(
                        List.of("checkout", 1L, (long) top.size()),
                        List.of(
                                "checkout",
                                2L,
                                top.values().stream().filter(s -> s >= 2).count())));
    }

    private static Function<Event, String> valueOf(Split split) {
        return switch (split) {
            case NONE -> e -> "";
            case SOURCE -> e -> e.source;
            case COUNTRY -> e -> e.country;
            case BROWSER -> e -> e.browser;
            case DEVICE -> e -> e.deviceType;
        };
    }

    private static boolean within(Event e, LocalDate from, LocalDate to) {
        return !day(e).isBefore(from) && !day(e).isAfter(to);
    }

    /** The values {@code split} gives the events of [from, to], in order. */
    private static TreeSet<String> values(Function<Event, String> value, LocalDate from, LocalDate to) {
        TreeSet<String> out = new TreeSet<>();
        EVENTS.stream().filter(e -> within(e, from, to)).forEach(e -> out.add(value.apply(e)));
        return out;
    }

    @ParameterizedTest
    @EnumSource(
            value = Split.class,
            names = {"SOURCE", "COUNTRY", "BROWSER", "DEVICE"})
    void everyReportSplitCountsTheEventsThatHaveEachValue(Split split) throws Exception {
        Function<Event, String> value = valueOf(split);
        assertThat(values(value, FROM, TO)).as("the split has several values").hasSizeGreaterThan(1);

        List<List<Object>> traffic = new ArrayList<>();
        for (LocalDate d = FROM; !d.isAfter(TO); d = d.plusDays(1)) {
            LocalDate day = d;
            for (String v : values(value, d, d)) {
                List<Event> of = EVENTS.stream()
                        .filter(e -> day(e).equals(day) && value.apply(e).equals(v))
                        .toList();
                traffic.add(List.of(
                        d.toString(),
                        v,
                        of.stream().filter(e -> e.eventType.equals("page_view")).count(),
                        of.stream().map(e -> e.sessionId).distinct().count(),
                        of.stream().map(e -> e.userId).distinct().count()));
            }
        }
        assertThat(rows(Kind.TRAFFIC, split, 1)).as("traffic").isEqualTo(traffic);

        List<List<Object>> active = new ArrayList<>();
        for (LocalDate d = FROM; !d.isAfter(TO); d = d.plusDays(1)) {
            for (String v : values(value, d.minusDays(29), d)) {
                Predicate<Event> with = e -> value.apply(e).equals(v);
                active.add(List.of(
                        d.toString(),
                        v,
                        (long) activeUsers(d, d, with).size(),
                        (long) activeUsers(d.minusDays(6), d, with).size(),
                        (long) activeUsers(d.minusDays(29), d, with).size()));
            }
        }
        assertThat(rows(Kind.ACTIVE, split, 1)).as("active").isEqualTo(active);

        Map<String, Integer> top = new TreeMap<>(); // funnel, value, user: the step reached with that value
        EVENTS.stream()
                .filter(e -> within(e, FROM, TO) && e.funnelIds.length > 0)
                .forEach(e -> top.merge(
                        e.funnelIds[0] + "\t" + value.apply(e) + "\t" + e.userId, e.funnelSteps[0], Math::max));
        Map<String, Long> reached = new TreeMap<>();
        top.forEach((key, step) -> {
            for (int s = 1; s <= step; s++) {
                reached.merge(key.substring(0, key.lastIndexOf('\t')) + "\t" + s, 1L, Long::sum);
            }
        });
        List<List<Object>> funnels = new ArrayList<>();
        reached.forEach((key, users) -> {
            String[] f = key.split("\t");
            funnels.add(List.of(f[0], f[1], Long.parseLong(f[2]), users));
        });
        assertThat(funnels).isNotEmpty();
        assertThat(rows(Kind.FUNNELS, split, 1)).as("funnels").isEqualTo(funnels);

        Map<Long, Map<String, long[]>> byDays = new TreeMap<>(); // days, value: users with 7 and 28
        for (String v : values(value, TO.minusDays(27), TO)) {
            Predicate<Event> with = e -> value.apply(e).equals(v);
            for (String user : activeUsers(TO.minusDays(27), TO, with)) {
                long[] d = {0, 0};
                EVENTS.stream()
                        .filter(e -> e.userId.equals(user) && with.test(e) && within(e, TO.minusDays(27), TO))
                        .map(ReportITCase::day)
                        .distinct()
                        .forEach(x -> {
                            d[1]++;
                            d[0] += x.isAfter(TO.minusDays(7)) ? 1 : 0;
                        });
                byDays.computeIfAbsent(d[0], x -> new TreeMap<>()).computeIfAbsent(v, x -> new long[2])[0]++;
                byDays.computeIfAbsent(d[1], x -> new TreeMap<>()).computeIfAbsent(v, x -> new long[2])[1]++;
            }
        }
        List<List<Object>> days = new ArrayList<>();
        byDays.forEach((n, perValue) -> perValue.forEach((v, c) -> {
            if (n > 0) {
                days.add(List.of(n, v, c[0], c[1]));
            }
        }));
        assertThat(rows(Kind.DAYS, split, 1)).as("days").isEqualTo(days);

        assertThat(rows(Kind.RETENTION, split, 1)).as("retention").isEqualTo(retention(value));
    }

    /**
     * The retention report's truth: users per first-seen day (cohort) in the range, per value they had on that day
     * (none without a split: {@code value} null), and per day after it up to seven on which they came back.
     */
    private static List<List<Object>> retention(Function<Event, String> value) {
        Map<String, LocalDate> firstSeen = new TreeMap<>();
        EVENTS.forEach(e -> firstSeen.merge(e.userId, day(e), (a, b) -> a.isBefore(b) ? a : b));
        Map<String, Long> cohorts = new TreeMap<>(); // cohort, value, n
        firstSeen.forEach((user, cohort) -> {
            if (cohort.isBefore(FROM) || cohort.isAfter(TO)) {
                return;
            }
            Set<String> firstValues = new TreeSet<>();
            EVENTS.stream()
                    .filter(e -> e.userId.equals(user) && day(e).equals(cohort))
                    .forEach(e -> firstValues.add(value == null ? "" : value.apply(e)));
            EVENTS.stream()
                    .filter(e -> e.userId.equals(user))
                    .map(ReportITCase::day)
                    .distinct()
                    .forEach(d -> {
                        long n = d.toEpochDay() - cohort.toEpochDay();
                        if (n <= 7) {
                            firstValues.forEach(
                                    v -> cohorts.merge(cohort + "\t" + v + "\t" + (char) ('a' + n), 1L, Long::sum));
                        }
                    });
        });
        List<List<Object>> rows = new ArrayList<>();
        cohorts.forEach((key, users) -> {
            String[] f = key.split("\t", -1);
            List<Object> row = new ArrayList<>(List.of(f[0]));
            if (value != null) {
                row.add(f[1]);
            }
            row.add((long) (f[2].charAt(0) - 'a'));
            row.add(users);
            rows.add(row);
        });
        return rows;
    }

    @Test
    void theHtmlReportOpensOfflineInChromiumAndDrawsEveryChart() throws Exception {
        Path html = Files.createTempFile("report", ".html");
        Report.run(
                "--from",
                FROM.toString(),
                "--to",
                TO.toString(),
                "--split",
                "source",
                "--format",
                "html",
                "--out",
                html.toString(),
                "--set",
                "clickhouse.urls=" + String.join(",", TestStack.clickHouseUrls()),
                "--set",
                "clickhouse.database=" + db);
        String page = Files.readString(html);
        assertThat(page)
                .doesNotContain("<script src")
                .doesNotContain("/*ECHARTS*/")
                .contains("echarts");
        String dom = chromium("--dump-dom", html);
        String root = dom.substring(dom.indexOf("<html"), dom.indexOf('>', dom.indexOf("<html")));
        assertThat(root)
                .as("the page's marks: every chart drawn, no script error")
                .contains("data-charts=\"6\"")
                .contains("data-charts-drawn=\"6\"")
                .doesNotContain("data-errors");
        assertThat(dom).contains("<h2>active users: DAU, WAU, MAU</h2>").contains("<canvas");
        // The charts over time draw a line through every day of the range (and retention through its days after
        // the first), not a dot.
        java.util.regex.Matcher points = java.util.regex.Pattern.compile("id=\"chart-([a-z]+)\" data-points=\"(\\d+)\"")
                .matcher(dom);
        Map<String, Integer> perChart = new TreeMap<>();
        while (points.find()) {
            perChart.put(points.group(1), Integer.parseInt(points.group(2)));
        }
        int days = (int) (TO.toEpochDay() - FROM.toEpochDay() + 1);
        assertThat(perChart)
                .containsEntry("active", days)
                .containsEntry("traffic", days)
                .containsEntry("retention", 8)
                .hasSize(6);
        // A picture of the page for a developer to look at: target/report-screenshot.png.
        Path shot = Path.of("target", "report-screenshot.png").toAbsolutePath();
        Files.deleteIfExists(shot);
        chromium("--screenshot=" + shot, html);
        assertThat(shot).exists();
        assertThat(Files.size(shot)).as("a picture of the page").isGreaterThan(20_000);
    }

    /** Debian's chromium, headless, as the developers' guide starts it; fails loudly when it is not installed. */
    static String chromium(String mode, Path html) throws Exception {
        String binary = Files.isExecutable(Path.of("/usr/bin/chromium")) ? "/usr/bin/chromium" : null;
        if (binary == null) {
            throw new IllegalStateException(
                    "chromium is not installed: scripts/stack.sh install installs it (apt: chromium)");
        }
        Path profile = Files.createTempDirectory("chromium");
        Process p = new ProcessBuilder(
                        binary,
                        "--headless",
                        "--no-sandbox",
                        "--disable-gpu",
                        "--no-first-run",
                        "--disable-background-networking",
                        "--user-data-dir=" + profile,
                        "--virtual-time-budget=10000",
                        "--window-size=1280,4000",
                        mode,
                        html.toUri().toString())
                .redirectError(ProcessBuilder.Redirect.DISCARD)
                .start();
        String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        assertThat(p.waitFor(120, TimeUnit.SECONDS)).as("chromium finished").isTrue();
        return out;
    }
}
