package io.clickstream.etl.clickhouse;

import static org.assertj.core.api.Assertions.assertThat;

import io.clickstream.etl.event.Event;
import io.clickstream.etl.testing.TestStack;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The per (day, user and its values) and per (day, object) aggregates (sql/V006, V004) on the real 2×2 cluster, filled
 * by the materialized views as the sink's own inserts arrive, against what the inserted events say, computed here:
 * every user's every day, each combination of source, country, browser and device of it, every page's and item's; and
 * rows sent again in other batches (past the replicated tables' block deduplication, as a replay the replay check
 * cannot see would) count once.
 */
class DailyAggregatesITCase {
    private static final long DAY = 86_400_000L;
    private static final long T0 = Instant.parse("2026-11-02T00:00:00Z").toEpochMilli();
    private static final String[] SOURCES = {"web", "app", "backend"};
    private static final List<Event> EVENTS = new ArrayList<>();
    private static String db;

    @BeforeAll
    static void insertThroughTheSinksPath() throws Exception {
        TestStack.requireRunning();
        db = TestStack.migratedDatabase();
        TestStack.query(TestStack.clickHouseUrls().get(0), "INSERT INTO " + db + ".object_keys VALUES ('item_id')");
        for (String url : TestStack.clickHouseUrls()) { // each node's views read the list on that node
            TestStack.await(
                    "object_keys replicated to " + url,
                    Duration.ofSeconds(60),
                    TestStack.unchecked(() -> TestStack.count(url, "SELECT count() FROM " + db + ".object_keys") == 1));
        }
        for (int i = 0; i < 400; i++) {
            EVENTS.add(event(i));
        }
        for (int from = 0; from < EVENTS.size(); from += 100) {
            insert(EVENTS.subList(from, from + 100));
        }
    }

    /** 23 users over two days, three sources, sessions of up to 50 events, a funnel now and then. */
    private static Event event(int i) {
        Event e = new Event();
        e.eventId = "agg-" + i;
        e.userId = "u" + (i % 23);
        e.eventType = i % 3 == 0 ? "page_view" : "click";
        e.source = SOURCES[(i / 7) % 3];
        e.eventTime = T0 + (i % 5 == 0 ? DAY : 0) + (i * 97_000L) % (DAY - 1000) + i % 1000;
        e.url = "https://shop.example.com/p/" + (i % 11) + (i % 3 == 1 ? "?ref=" + i : "");
        e.propertyKeys = i % 2 == 0 ? new String[] {"item_id", "q"} : new String[0];
        e.propertyValues = i % 2 == 0 ? new String[] {"i" + (i % 13), "x" + i} : new String[0];
        e.ip = "10.0.0." + (i % 200);
        e.userAgent = "test";
        e.kafkaTopic = "agg";
        e.kafkaPartition = i % 2;
        e.kafkaOffset = i;
        e.kafkaTimestamp = e.eventTime;
        e.countryCode = i % 4 == 0 ? "FR" : "DE";
        e.country = i % 4 == 0 ? "France" : "Germany";
        e.browser = i % 5 == 0 ? "Chrome" : "Firefox";
        e.deviceType = i % 6 == 0 ? "Mobile" : "Desktop";
        e.sessionId = e.userId + "-s" + (i / 50);
        e.sessionNumber = 1 + i / 50;
        e.sessionIndex = (i % 50) / 23; // 0: the user's first event in this block of 50, which is its session
        e.funnelIds = i % 7 == 0 ? new String[] {"checkout"} : new String[0];
        e.funnelSteps = i % 7 == 0 ? new int[] {1 + i % 3} : new int[0];
        return e;
    }

    private static void insert(List<Event> rows) throws Exception {
        TestInserts.insert(db, rows);
    }

    /** Per day and user, as the aggregates should say it: events, sessions, page views, first, last, sources, steps. */
    private static String truth() {
        return truth(e -> "");
    }

    /**
     * The same per day, user and the values {@code values} gives an event (tab-separated after the user, or ""):
     * what the events with those values say.
     */
    private static String truth(java.util.function.Function<Event, String> values) {
        Map<String, List<Event>> byDayAndUser = new TreeMap<>();
        for (Event e : EVENTS) {
            String day = Instant.ofEpochMilli(e.eventTime)
                    .atZone(ZoneOffset.UTC)
                    .toLocalDate()
                    .toString();
            String v = values.apply(e);
            byDayAndUser
                    .computeIfAbsent(day + "\t" + e.userId + (v.isEmpty() ? "" : "\t" + v), k -> new ArrayList<>())
                    .add(e);
        }
        StringBuilder out = new StringBuilder();
        byDayAndUser.forEach((key, events) -> {
            TreeSet<String> sessions = new TreeSet<>();
            TreeSet<String> sources = new TreeSet<>();
            TreeSet<String> steps = new TreeSet<>();
            long pageViews = 0;
            long first = Long.MAX_VALUE;
            long last = Long.MIN_VALUE;
            for (Event e : events) {
                sessions.add(e.sessionId);
                sources.add(e.source);
                for (int f = 0; f < e.funnelIds.length; f++) {
                    steps.add(e.funnelIds[f] + ":" + e.funnelSteps[f]);
                }
                pageViews += e.eventType.equals("page_view") ? 1 : 0;
                first = Math.min(first, e.eventTime / 1000);
                last = Math.max(last, e.eventTime / 1000);
            }
            out.append(String.join(
                            "\t",
                            key,
                            String.valueOf(events.size()),
                            String.valueOf(sessions.size()),
                            String.valueOf(pageViews),
                            String.valueOf(first),
                            String.valueOf(last),
                            array(sources),
                            array(steps)))
                    .append('\n');
        });
        return out.toString();
    }

    private static String array(TreeSet<String> values) {
        List<String> quoted = new ArrayList<>();
        values.forEach(v -> quoted.add("'" + v + "'"));
        return "[" + String.join(",", quoted) + "]";
    }

    private static String aggregates() throws Exception {
        return aggregates("");
    }

    /** The aggregates per day, user and the {@code columns} (", source, country", or ""). */
    private static String aggregates(String columns) throws Exception {
        return TestStack.query(
                TestStack.clickHouseUrls().get(0),
                "SELECT dt, user_id" + columns + ", uniqExactMerge(events),"
                        + " uniqExactMerge(sessions), uniqExactIfMerge(page_views), toUnixTimestamp(minMerge(first_ts)),"
                        + " toUnixTimestamp(maxMerge(last_ts)), arraySort(groupUniqArray(source)),"
                        + " arraySort(groupUniqArrayArrayMerge(funnel_steps))"
                        + " FROM " + db + ".user_days GROUP BY dt, user_id" + columns + " ORDER BY dt, user_id"
                        + columns + " FORMAT TabSeparated");
    }

    @Test
    void everyUsersDayEqualsWhatItsEventsSayAcrossBothShards() throws Exception {
        assertThat(aggregates()).isEqualTo(truth());
        Map<LocalDate, TreeSet<String>> users = new TreeMap<>();
        EVENTS.forEach(e -> users.computeIfAbsent(
                        Instant.ofEpochMilli(e.eventTime).atZone(ZoneOffset.UTC).toLocalDate(), d -> new TreeSet<>())
                .add(e.userId));
        StringBuilder dau = new StringBuilder();
        users.forEach(
                (day, set) -> dau.append(day).append('\t').append(set.size()).append('\n'));
        assertThat(TestStack.query(
                        TestStack.clickHouseUrls().get(0),
                        "SELECT dt, uniqExact(user_id) FROM " + db
                                + ".user_days GROUP BY dt ORDER BY dt FORMAT TabSeparated"))
                .as("DAU")
                .isEqualTo(dau.toString());
        for (String url : TestStack.clickHouseUrls()) { // each shard holds its users' rows, on both replicas
            TestStack.await(
                    "aggregate rows on " + url,
                    Duration.ofSeconds(60),
                    TestStack.unchecked(
                            () -> TestStack.count(url, "SELECT count() FROM " + db + ".user_days_local") > 0));
        }
    }

    @Test
    void eachOfAUsersDaysValuesHoldsExactlyTheEventsThatHaveIt() throws Exception {
        assertThat(aggregates(", source, country, browser, device_type"))
                .isEqualTo(truth(e -> e.source + "\t" + e.country + "\t" + e.browser + "\t" + e.deviceType));
        assertThat(aggregates(", country")).isEqualTo(truth(e -> e.country));
        assertThat(aggregates(", browser")).isEqualTo(truth(e -> e.browser));
        assertThat(aggregates(", device_type")).isEqualTo(truth(e -> e.deviceType));
        assertThat(aggregates(", source")).isEqualTo(truth(e -> e.source));
    }

    /** Per day, object key and object: events, page views, users, sessions, entries. */
    private static String objectTruth() {
        Map<String, List<Event>> byObject = new TreeMap<>();
        for (Event e : EVENTS) {
            String day = Instant.ofEpochMilli(e.eventTime)
                    .atZone(ZoneOffset.UTC)
                    .toLocalDate()
                    .toString();
            byObject.computeIfAbsent(day + "\turl\t" + e.url.replaceAll("\\?.*", ""), k -> new ArrayList<>())
                    .add(e);
            for (int p = 0; p < e.propertyKeys.length; p++) {
                if (e.propertyKeys[p].equals("item_id")) {
                    byObject.computeIfAbsent(day + "\titem_id\t" + e.propertyValues[p], k -> new ArrayList<>())
                            .add(e);
                }
            }
        }
        StringBuilder out = new StringBuilder();
        byObject.forEach((key, events) -> out.append(String.join(
                        "\t",
                        key,
                        String.valueOf(events.size()),
                        String.valueOf(events.stream()
                                .filter(e -> e.eventType.equals("page_view"))
                                .count()),
                        String.valueOf(
                                events.stream().map(e -> e.userId).distinct().count()),
                        String.valueOf(
                                events.stream().map(e -> e.sessionId).distinct().count()),
                        String.valueOf(events.stream()
                                .filter(e -> e.sessionIndex == 0)
                                .map(e -> e.sessionId)
                                .distinct()
                                .count())))
                .append('\n'));
        return out.toString();
    }

    private static String objects() throws Exception {
        return TestStack.query(
                TestStack.clickHouseUrls().get(0),
                "SELECT dt, object_key, object,"
                        + " uniqExactMerge(events), uniqExactIfMerge(page_views), uniqExactMerge(users), uniqExactMerge(sessions),"
                        + " uniqExactIfMerge(entries) FROM " + db + ".objects_daily GROUP BY dt, object_key, object"
                        + " ORDER BY dt, object_key, object FORMAT TabSeparated");
    }

    @Test
    void everyPagesAndItemsDayEqualsWhatItsEventsSayAndOtherPropertiesAreNotObjects() throws Exception {
        assertThat(objects()).isEqualTo(objectTruth());
        assertThat(objects()).doesNotContain("\tq\t");
    }

    @Test
    void aRebuildOfPastDaysRecomputesWhatTheViewsKeptFromTheStoredEvents() throws Exception {
        String users = aggregates();
        String objects = objects();
        for (String table : List.of("user_days_local", "objects_daily_local")) { // aggregates lost, or never made
            TestStack.alter(db + "." + table, "DROP PARTITION '2026-11-02'");
        }
        assertThat(aggregates()).doesNotContain("2026-11-02");

        String printed = TestStack.rebuildAggregates(db, "2026-11-02", "2026-11-03");
        assertThat(aggregates()).isEqualTo(users).isEqualTo(truth());
        assertThat(objects()).isEqualTo(objects).isEqualTo(objectTruth());
        assertThat(printed)
                .contains("rebuilding objects_daily_local, user_days_local in " + db + " for 2 day(s)")
                .containsPattern("day 1/2 2026-11-02: objects_daily \\d+ rows, user_days " + combinations("2026-11-02")
                        + " rows")
                .containsPattern("day 2/2 2026-11-03: objects_daily \\d+ rows, user_days " + combinations("2026-11-03")
                        + " rows");
    }

    /** How many (user, source, country, browser, device) combinations the events of {@code day} have. */
    private static long combinations(String day) {
        return truth(e -> e.source + "\t" + e.country + "\t" + e.browser + "\t" + e.deviceType)
                .lines()
                .filter(l -> l.startsWith(day))
                .count();
    }

    @Test
    void rowsSentAgainInOtherBatchesCountOnceThoughTheRawTableHoldsThemTwice() throws Exception {
        String before = aggregates();
        List<Event> again = new ArrayList<>(EVENTS.subList(0, 250));
        Collections.reverse(again); // other blocks than the first time: block deduplication does not know them
        insert(again.subList(0, 120));
        insert(again.subList(120, 250));
        assertThat(TestStack.count(TestStack.clickHouseUrls().get(0), "SELECT count() FROM " + db + ".events"))
                .as("the raw table holds the copies until its merges")
                .isGreaterThan(EVENTS.size());
        assertThat(aggregates()).isEqualTo(before).isEqualTo(truth());
        assertThat(aggregates(", source, country, browser, device_type"))
                .isEqualTo(truth(e -> e.source + "\t" + e.country + "\t" + e.browser + "\t" + e.deviceType));
        assertThat(objects()).isEqualTo(objectTruth());
    }
}
