package io.clickstream.etl.testing;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.clickstream.etl.aggregate.CurrentUserDays;
import io.clickstream.etl.config.JobConfig;
import io.clickstream.etl.testing.ClickstreamTruth.Expected;
import io.clickstream.etl.testing.ClickstreamTruth.Generated;
import io.clickstream.etl.tools.Funnels;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The job set-up the event-time tests share — a join from the backend into web and app events, three funnels (one
 * testing the joined property), and the same funnels as {@link ClickstreamTruth} sees them, written independently of
 * the definitions' parser — and the check of every stored row against the truth.
 */
public final class TruthJob {
    private TruthJob() {}

    /** The topics by source, and the job's settings (the funnels published, the join rules set) over them. */
    public record Setup(Map<String, String> topics, String deadLetterTopic, Map<String, String> settings) {
        public JobConfig config() {
            return JobConfig.of(settings);
        }

        public String database() {
            return settings.get("clickhouse.database");
        }
    }

    /**
     * A topic per source (web 3 partitions, app and backend 2), a dead-letter topic, a migrated database, the funnels
     * published, and settings reading the topics from the start with the join rules; {@code extra} on top.
     */
    public static Setup setUp(Map<String, String> extra) throws Exception {
        TestStack.requireRunning();
        Map<String, String> topics = new HashMap<>();
        for (String source : ClickstreamTruth.SOURCES) {
            topics.put(source, TestStack.unique(source));
        }
        TestStack.createTopics(3, topics.get("web"));
        TestStack.createTopics(2, topics.get("app"), topics.get("backend"));
        String dead = TestStack.unique("dead");
        TestStack.createTopics(1, dead);
        Map<String, String> settings = new HashMap<>(TestStack.jobSettings());
        settings.put("kafka.topics", String.join(",", topics.get("web"), topics.get("app"), topics.get("backend")));
        settings.put("kafka.dead-letter-topic", dead);
        settings.put("kafka.start-from", "earliest");
        settings.put("kafka.group-id", TestStack.unique("g"));
        settings.put("clickhouse.database", TestStack.migratedDatabase());
        settings.put("clickhouse.sink.flush-interval", "200ms");
        settings.put("funnel.definitions-topic", TestStack.unique("funnels"));
        settings.put("device.enabled", "false");
        settings.put("join.rules", JOIN_RULES);
        settings.putAll(extra);
        JobConfig config = JobConfig.of(settings);
        for (String definition : DEFINITIONS) {
            Funnels.publish(config, definition);
        }
        return new Setup(topics, dead, settings);
    }

    public static final String JOIN_RULES = "[{\"from\": \"backend\", \"fields\": [\"properties.plan\"], "
            + "\"into\": [\"web\", \"app\"], \"prefix\": \"acct.\"}]";
    public static final String CHECKOUT = "{\"id\": \"checkout\", \"window\": \"1h\", \"steps\": ["
            + "{\"event_type\": \"page_view\"}, {\"event_type\": \"add_to_cart\"}, {\"event_type\": \"purchase\"}]}";
    public static final String SEARCH_TO_CART = "{\"id\": \"search-to-cart\", \"mode\": \"strict\", \"steps\": ["
            + "{\"event_type\": \"search\"}, {\"event_type\": \"add_to_cart\"}]}";
    /** Its first step tests the property the join carries over from the backend. */
    public static final String PRO_PURCHASE = "{\"id\": \"pro-purchase\", \"steps\": ["
            + "{\"event_type\": \"page_view\", \"where\": {\"properties.acct.plan\": \"pro\"}},"
            + "{\"event_type\": \"purchase\"}]}";

    public static final List<String> DEFINITIONS = List.of(CHECKOUT, SEARCH_TO_CART, PRO_PURCHASE);

    /** The same funnels as the truth sees them, written independently of the definitions' parser. */
    public static final List<ClickstreamTruth.Funnel> TRUTH_FUNNELS = List.of(
            new ClickstreamTruth.Funnel(
                    "checkout",
                    false,
                    3_600_000L,
                    List.of(
                            j -> j.event().type().equals("page_view"),
                            j -> j.event().type().equals("add_to_cart"),
                            j -> j.event().type().equals("purchase"))),
            new ClickstreamTruth.Funnel(
                    "search-to-cart",
                    true,
                    Long.MAX_VALUE / 4,
                    List.of(
                            j -> j.event().type().equals("search"),
                            j -> j.event().type().equals("add_to_cart"))),
            new ClickstreamTruth.Funnel(
                    "pro-purchase",
                    false,
                    Long.MAX_VALUE / 4,
                    List.of(
                            j -> j.event().type().equals("page_view") && "pro".equals(j.plan()),
                            j -> j.event().type().equals("purchase"))));

    /** Every stored event against the truth: session (as a grouping), number, index, tags, joined plan. */
    public static void assertStoredRowsMatch(String database, Map<String, Expected> expected) throws Exception {
        String node = TestStack.clickHouseUrls().get(0);
        assertThat(TestStack.count(node, "SELECT count() FROM " + database + ".events"))
                .as("every event once, without FINAL")
                .isEqualTo(expected.size());
        String json = TestStack.query(
                node,
                "SELECT event_id, session_id, session_number, session_index, funnels.id AS f, "
                        + "funnels.step AS s, props.value[indexOf(props.key, 'acct.plan')] AS plan FROM " + database
                        + ".events FORMAT JSONEachRow");
        ObjectMapper mapper = new ObjectMapper();
        Map<String, String> actualSessionOf = new HashMap<>();
        Map<String, Set<String>> idsByTrueSession = new HashMap<>();
        List<String> wrong = new ArrayList<>();
        int wrongSessions = 0;
        int wrongTags = 0;
        int wrongPlans = 0;
        for (String line : json.split("\n")) {
            if (line.isBlank()) {
                continue;
            }
            JsonNode row = mapper.readTree(line);
            String id = row.get("event_id").asText();
            Expected want = expected.get(id);
            List<String> tags = tagsOf(row);
            String sessionId = row.get("session_id").asText();
            actualSessionOf.put(id, sessionId);
            idsByTrueSession
                    .computeIfAbsent(want.sessionKey(), k -> new HashSet<>())
                    .add(sessionId);
            boolean sessionOk = row.get("session_number").asInt() == want.sessionNumber()
                    && row.get("session_index").asInt() == want.index();
            wrongSessions += sessionOk ? 0 : 1;
            wrongTags += tags.equals(want.tags()) ? 0 : 1;
            wrongPlans += row.get("plan").asText().equals(want.plan()) ? 0 : 1;
            if ((!sessionOk
                            || !tags.equals(want.tags())
                            || !row.get("plan").asText().equals(want.plan()))
                    && wrong.size() < 10) {
                wrong.add(id + ": number/index " + row.get("session_number") + "/" + row.get("session_index") + " tags "
                        + tags + " plan '" + row.get("plan").asText() + "', truth " + want);
            }
        }
        long trueSessions =
                expected.values().stream().map(Expected::sessionKey).distinct().count();
        long actualSessions = new HashSet<>(actualSessionOf.values()).size();
        long splitSessions =
                idsByTrueSession.values().stream().filter(s -> s.size() != 1).count();
        String summary = String.format(
                "sessions %d (truth %d), true sessions split %d, events with a wrong number or "
                        + "index %d of %d, wrong funnel tags %d, wrong joined values %d; first differences: %s",
                actualSessions,
                trueSessions,
                splitSessions,
                wrongSessions,
                expected.size(),
                wrongTags,
                wrongPlans,
                wrong);
        assertThat(actualSessions).as(summary).isEqualTo(trueSessions);
        assertThat(splitSessions + wrongSessions + wrongTags + wrongPlans)
                .as(summary)
                .isZero();

        // The sessions table agrees with the events: one row per session (FINAL), with its event count and start.
        assertThat(TestStack.query(
                        node,
                        "SELECT session_id, max(events), toUInt32(min(start)) FROM " + database
                                + ".sessions FINAL GROUP BY session_id ORDER BY session_id FORMAT TabSeparated"))
                .isEqualTo(TestStack.query(
                        node,
                        "SELECT session_id, count(), toUInt32(min(ts)) FROM " + database
                                + ".events GROUP BY session_id ORDER BY session_id FORMAT TabSeparated"));
    }

    /** A stored row's funnel tags (its columns f and s) as the truth writes them: "funnel:step", sorted. */
    private static List<String> tagsOf(JsonNode row) {
        List<String> tags = new ArrayList<>();
        for (int i = 0; i < row.get("f").size(); i++) {
            tags.add(row.get("f").get(i).asText() + ":" + row.get("s").get(i).asInt());
        }
        tags.sort(null);
        return tags;
    }

    /**
     * The current rows (FINAL) of every event against the truth — session (as a grouping), number, index, funnel tags,
     * joined plan — and the sessions table's current rows (FINAL, not retired) against the events: one per session,
     * with its event count and start. Returns the number of wrong rows, with the first differences in {@code report}
     * (so a caller can wait for corrections to land).
     */
    public static int wrongCurrentRows(String database, Map<String, Expected> expected, List<String> report)
            throws Exception {
        String node = TestStack.clickHouseUrls().get(0);
        String json = TestStack.query(
                node,
                "SELECT event_id, session_id, session_number, session_index, funnels.id AS f, funnels.step AS s, "
                        + "props.value[indexOf(props.key, 'acct.plan')] AS plan FROM " + database
                        + ".events FINAL FORMAT JSONEachRow");
        ObjectMapper mapper = new ObjectMapper();
        Map<String, Set<String>> idsByTrueSession = new HashMap<>();
        int wrong = 0;
        int rows = 0;
        for (String line : json.split("\n")) {
            if (line.isBlank()) {
                continue;
            }
            rows++;
            JsonNode row = mapper.readTree(line);
            String id = row.get("event_id").asText();
            Expected want = expected.get(id);
            String sessionId = row.get("session_id").asText();
            idsByTrueSession
                    .computeIfAbsent(want.sessionKey(), k -> new HashSet<>())
                    .add(sessionId);
            List<String> tags = tagsOf(row);
            String plan = row.get("plan").asText();
            if (row.get("session_number").asInt() != want.sessionNumber()
                    || row.get("session_index").asInt() != want.index()
                    || !tags.equals(want.tags())
                    || !plan.equals(want.plan())) {
                wrong++;
                if (report.size() < 10) {
                    report.add(id + ": number/index " + row.get("session_number") + "/" + row.get("session_index")
                            + " tags " + tags + " plan '" + plan + "', truth " + want);
                }
            }
        }
        if (rows != expected.size()) {
            report.add(rows + " current rows, truth " + expected.size());
            wrong += Math.abs(rows - expected.size());
        }
        for (Map.Entry<String, Set<String>> e : idsByTrueSession.entrySet()) {
            if (e.getValue().size() != 1) {
                wrong++;
                report.add("true session " + e.getKey() + " stored under "
                        + e.getValue().size() + " ids");
            }
        }
        String sessions = TestStack.query(
                node,
                "SELECT session_id, events, toUInt32(start), session_number FROM " + database
                        + ".sessions FINAL WHERE NOT retired ORDER BY session_id FORMAT TabSeparated");
        String fromEvents = TestStack.query(
                node,
                "SELECT session_id, count(), toUInt32(min(ts)), any(session_number) FROM " + database
                        + ".events FINAL GROUP BY session_id ORDER BY session_id FORMAT TabSeparated");
        if (!sessions.equals(fromEvents)) {
            wrong++;
            Set<String> stored = new TreeSet<>(List.of(sessions.split("\n")));
            Set<String> derived = new TreeSet<>(List.of(fromEvents.split("\n")));
            Set<String> onlyStored = new TreeSet<>(stored);
            onlyStored.removeAll(derived);
            derived.removeAll(stored);
            report.add("the sessions table's current rows differ from the events' sessions: only in sessions "
                    + onlyStored.stream().limit(5).toList() + ", only in events "
                    + derived.stream().limit(5).toList());
        }
        return wrong;
    }

    /** What {@link #userDays} found: user-days unequal to the truth, and those counting an event more than once. */
    public record UserDays(int wrong, int countedTwice) {}

    /**
     * The current user-days as the reports read them ({@link CurrentUserDays}) against the truth, per (day, user,
     * source): events, sessions, page views and funnel steps (a session counts on each day and source it has events
     * of). The first differences go to {@code report}.
     */
    public static UserDays userDays(
            String database, List<Generated> events, Map<String, Expected> expected, List<String> report)
            throws Exception {
        Map<String, long[]> counts = new TreeMap<>();
        Map<String, Set<String>> sessions = new HashMap<>();
        Map<String, Set<String>> steps = new HashMap<>();
        for (Generated e : events) {
            Expected want = expected.get(e.id());
            String key = java.time.LocalDate.ofEpochDay(Math.floorDiv(e.ts(), 86_400_000L)) + "\t" + e.user() + "\t"
                    + e.source();
            long[] c = counts.computeIfAbsent(key, k -> new long[2]);
            c[0]++;
            c[1] += e.type().equals("page_view") ? 1 : 0;
            sessions.computeIfAbsent(key, k -> new HashSet<>()).add(want.sessionKey());
            steps.computeIfAbsent(key, k -> new TreeSet<>()).addAll(want.tags());
        }
        Map<String, String> truth = new TreeMap<>();
        counts.forEach((key, c) -> truth.put(
                key,
                c[0] + "\t" + sessions.get(key).size() + "\t" + c[1] + "\t"
                        + steps.get(key).stream()
                                .map(t -> "'" + t + "'")
                                .toList()
                                .toString()
                                .replace(" ", "")));
        String stored = TestStack.query(
                TestStack.clickHouseUrls().get(0),
                "SELECT toString(dt), user_id, source, uniqExactMerge(events), uniqExactMerge(sessions),"
                        + " uniqExactIfMerge(page_views), arraySort(groupUniqArrayArrayMerge(funnel_steps)) FROM "
                        + CurrentUserDays.rows(database, "", "dt >= toDate('1970-01-02')")
                        + " GROUP BY dt, user_id, source FORMAT TabSeparated");
        int wrong = 0;
        int twice = 0;
        Set<String> seen = new HashSet<>();
        for (String line : stored.split("\n")) {
            if (line.isBlank()) {
                continue;
            }
            String[] f = line.split("\t", 4);
            String key = f[0] + "\t" + f[1] + "\t" + f[2];
            seen.add(key);
            String want = truth.get(key);
            if (!f[3].equals(want)) {
                wrong++;
                if (want == null || Long.parseLong(f[3].split("\t")[0]) > Long.parseLong(want.split("\t")[0])) {
                    twice++;
                }
                if (report.size() < 10) {
                    report.add("user-day " + key.replace('\t', ' ') + ": events, sessions, page views, steps " + f[3]
                            + ", truth " + want);
                }
            }
        }
        for (String key : truth.keySet()) {
            if (!seen.contains(key)) {
                wrong++;
                if (report.size() < 10) {
                    report.add("user-day " + key.replace('\t', ' ') + " missing, truth " + truth.get(key));
                }
            }
        }
        return new UserDays(wrong, twice);
    }

    /**
     * The page report (tools.Report's pages, unsplit, two path segments: a page per product) over the events' days
     * against the truth: per page its views, users, sessions and entries (sessions whose first event is there). Returns
     * the report's note on where it read from and the pages that differ.
     */
    public static List<String> pagesAgainstTheTruth(
            String database, List<Generated> events, Map<String, Expected> expected) throws Exception {
        Map<String, List<Set<String>>> truth = new TreeMap<>();
        long first = Long.MAX_VALUE;
        long last = Long.MIN_VALUE;
        for (Generated e : events) {
            first = Math.min(first, e.ts());
            last = Math.max(last, e.ts());
            if (e.url() == null) {
                continue;
            }
            Expected want = expected.get(e.id());
            List<Set<String>> page = truth.computeIfAbsent(
                    e.url().replace("https://", ""),
                    k -> List.of(new HashSet<>(), new HashSet<>(), new HashSet<>(), new HashSet<>()));
            page.get(0).add(e.id());
            page.get(1).add(e.user());
            page.get(2).add(want.sessionKey());
            if (want.index() == 0) {
                page.get(3).add(want.sessionKey());
            }
        }
        String node = TestStack.clickHouseUrls().get(0);
        io.clickstream.etl.report.ReportTable table = new io.clickstream.etl.report.ReportRunner(
                        q -> TestStack.query(node, q))
                .run(new io.clickstream.etl.report.ReportRequest(
                        database,
                        java.time.LocalDate.ofEpochDay(Math.floorDiv(first, 86_400_000L)),
                        java.time.LocalDate.ofEpochDay(Math.floorDiv(last, 86_400_000L)),
                        List.of(io.clickstream.etl.report.ReportRequest.Kind.PAGES),
                        io.clickstream.etl.report.ReportRequest.Split.NONE,
                        1,
                        7,
                        2,
                        1000))
                .get(0);
        Map<String, String> want = new TreeMap<>();
        truth.forEach((page, sets) -> want.put(
                page, sets.stream().map(x -> String.valueOf(x.size())).toList().toString()));
        Map<String, String> got = new TreeMap<>();
        for (List<Object> row : table.rows()) {
            got.put(String.valueOf(row.get(0)), row.subList(1, 5).toString());
        }
        List<String> out = new ArrayList<>(table.notes());
        want.forEach((page, figures) -> {
            if (!figures.equals(got.get(page))) {
                out.add(page + ": views, users, sessions, entries " + got.get(page) + ", truth " + figures);
            }
        });
        return out;
    }

    /**
     * tools.Quality's checks of each day of the events that compare the aggregates with the raw rows, and look for
     * copies: those that fail, and any whose sessions of the day (all sources) are not the truth's.
     */
    public static List<String> qualityAgainstTheTruth(
            String database, List<Generated> events, Map<String, Expected> expected) throws Exception {
        Map<java.time.LocalDate, Set<String>> sessionsByDay = new TreeMap<>();
        for (Generated e : events) {
            sessionsByDay
                    .computeIfAbsent(
                            java.time.LocalDate.ofEpochDay(Math.floorDiv(e.ts(), 86_400_000L)), d -> new HashSet<>())
                    .add(expected.get(e.id()).sessionKey());
        }
        String node = TestStack.clickHouseUrls().get(0);
        io.clickstream.etl.quality.QualityChecks checks =
                new io.clickstream.etl.quality.QualityChecks(q -> TestStack.query(node, q));
        List<String> out = new ArrayList<>();
        for (Map.Entry<java.time.LocalDate, Set<String>> day : sessionsByDay.entrySet()) {
            boolean sessionsChecked = false;
            for (io.clickstream.etl.quality.QualityChecks.Result r : checks.run(
                    new io.clickstream.etl.quality.QualityChecks.Settings(database, day.getKey(), 0.005, 0.01),
                    Map.of())) {
                boolean compared = r.group().equals("aggregates agree with raw")
                        || r.group().equals("duplicates");
                if (compared && !r.passed()) {
                    out.add(day.getKey() + " " + r);
                }
                if (r.group().equals("aggregates agree with raw")
                        && r.name().equals("sessions (all)")
                        && !r.message().equals(day.getValue().size() + " in both")) {
                    out.add(day.getKey() + " sessions " + r.message() + ", truth "
                            + day.getValue().size());
                }
                sessionsChecked |= r.name().equals("sessions (all)");
            }
            if (!sessionsChecked) {
                out.add(day.getKey() + ": no check of the day's sessions");
            }
        }
        return out;
    }
}
