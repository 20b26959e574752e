package io.clickstream.etl.testing;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.clickstream.etl.config.JobConfig;
import io.clickstream.etl.testing.ClickstreamTruth.Expected;
import io.clickstream.etl.tools.Funnels;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
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
}
