package io.clickstream.etl.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.clickstream.etl.config.JobConfig;
import io.clickstream.etl.funnel.FunnelDefinition;
import io.clickstream.etl.funnel.FunnelReport;
import io.clickstream.etl.testing.TestStack;
import io.clickstream.etl.tools.Funnels;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Funnels and joins on real Kafka, Redis, ClickHouse and Flink: two funnels are published while the job runs;
 * sessions streamed before carry no tags, sessions streamed after carry exactly the expected ones, and the
 * retroactive report over the stored events agrees with the tags on the sessions streamed after the definition
 * (and counts the earlier sessions too, which the stream cannot). Profile values reach later web events.
 */
class FunnelITCase {
    @RegisterExtension
    static final MiniClusterExtension FLINK = new MiniClusterExtension(new MiniClusterResourceConfiguration.Builder()
            .setNumberTaskManagers(1)
            .setNumberSlotsPerTaskManager(2)
            .build());

    private static final String CHECKOUT = "{\"id\": \"checkout\", \"window\": \"10min\", \"steps\": ["
            + "{\"name\": \"Product page\", \"event_type\": \"page_view\", \"where\": {\"url\": {\"prefix\": \"https://shop.example/p/\"}}},"
            + "{\"event_type\": \"add_to_cart\"},"
            + "{\"event_type\": \"purchase\", \"where\": {\"properties.amount\": {\"gt\": 0}}}]}";
    private static final String CHECKOUT_STRICT = CHECKOUT.replace("\"checkout\"", "\"checkout-strict\"")
            .replace("\"window\"", "\"mode\": \"strict\", \"window\"");

    /**
     * Session patterns (one per user, user i gets pattern i % 6), with the levels they reach: sequential, strict.
     * Steps one minute apart unless a pause is given; the window is 10 minutes.
     */
    private static final String[][] PATTERNS = {
        {"view", "cart", "buy"}, // 3, 3
        {"view", "scroll", "cart", "buy"}, // 3, 1
        {"view", "cart"}, // 2, 2
        {"cart", "buy"}, // 0, 0
        {"view", "cart", "pause15", "buy"}, // 2, 2 (the purchase is outside the window)
        {"view"}, // 1, 1
    };

    private static final int USERS = 60;

    @Test
    void funnelsDefinedWhileRunningTagNewSessionsAndAgreeWithTheRetroactiveReport() throws Exception {
        TestStack.requireRunning();
        String web = TestStack.unique("web");
        String profile = TestStack.unique("profile");
        String dead = TestStack.unique("dead");
        String funnels = TestStack.unique("funnels");
        TestStack.createTopics(2, web, profile, dead);
        String database = TestStack.migratedDatabase();
        Map<String, String> settings = new HashMap<>(TestStack.jobSettings());
        settings.put("kafka.topics", web + "," + profile);
        settings.put("kafka.dead-letter-topic", dead);
        settings.put("kafka.start-from", "earliest");
        settings.put("kafka.group-id", TestStack.unique("g"));
        settings.put("clickhouse.database", database);
        settings.put("clickhouse.sink.flush-interval", "200ms");
        settings.put("funnel.definitions-topic", funnels);
        settings.put("device.enabled", "false");
        settings.put("join.rules", "[{\"from\": \"profile\", \"fields\": [\"properties.age\", \"properties.plan\"]}]");
        JobConfig config = JobConfig.of(settings);
        String node = TestStack.clickHouseUrls().get(0);

        JobClient job = TestStack.job(config, 1000).executeAsync("FunnelITCase");
        try {
            // Before any definition: sessions two days ago.
            long before = System.currentTimeMillis() - 2 * 86_400_000L;
            produce(node, database, web, profile, "a", before, 0);

            Funnels.publish(config, CHECKOUT);
            Funnels.publish(config, CHECKOUT_STRICT);
            // After: sessions starting an hour ago (published now, after the definitions).
            long after = System.currentTimeMillis() - 3_600_000L;
            produce(node, database, web, profile, "b", after, rows());
        } finally {
            job.cancel().get();
        }

        // The tags: "who reached step 3 of checkout" is a plain query.
        String reached = "SELECT uniqExact(session_id) FROM " + database
                + ".events WHERE arrayExists((f, s) -> f = '%s' AND s >= %d, " + "funnels.id, funnels.step)";
        assertThat(TestStack.count(node, String.format(reached, "checkout", 1))).isEqualTo(50);
        assertThat(TestStack.count(node, String.format(reached, "checkout", 2))).isEqualTo(40);
        assertThat(TestStack.count(node, String.format(reached, "checkout", 3))).isEqualTo(20);
        assertThat(TestStack.count(node, String.format(reached, "checkout-strict", 1)))
                .isEqualTo(50);
        assertThat(TestStack.count(node, String.format(reached, "checkout-strict", 2)))
                .isEqualTo(30);
        assertThat(TestStack.count(node, String.format(reached, "checkout-strict", 3)))
                .isEqualTo(10);
        assertThat(TestStack.count(
                        node,
                        "SELECT count() FROM " + database + ".events WHERE event_id LIKE 'a-%' AND "
                                + "length(funnels.id) > 0"))
                .as("no tags on events published before the definitions")
                .isZero();

        // The retroactive report: on the sessions streamed after the definitions it equals the tags...
        LocalDate firstDay = day(System.currentTimeMillis() - 3_600_000L);
        LocalDate lastDay = day(System.currentTimeMillis() + 3_600_000L);
        for (String json : List.of(CHECKOUT, CHECKOUT_STRICT)) {
            FunnelReport r = Funnels.report(config, FunnelDefinition.parse(json), firstDay, lastDay);
            assertThat(r.sessions()).isEqualTo(USERS);
            assertThat(r.retroactive()).as(r.table()).isEqualTo(r.streamed());
        }
        FunnelReport recent = Funnels.report(config, FunnelDefinition.parse(CHECKOUT), firstDay, lastDay);
        assertThat(recent.retroactive()).containsExactly(50L, 40L, 20L);
        FunnelReport recentStrict = Funnels.report(config, FunnelDefinition.parse(CHECKOUT_STRICT), firstDay, lastDay);
        assertThat(recentStrict.retroactive()).containsExactly(50L, 30L, 10L);
        // ... and over the earlier days it also counts the sessions from before the definition, which have no tags.
        FunnelReport all = Funnels.report(
                config, FunnelDefinition.parse(CHECKOUT), day(System.currentTimeMillis() - 3 * 86_400_000L), lastDay);
        assertThat(all.sessions()).isEqualTo(2 * USERS);
        assertThat(all.retroactive()).containsExactly(100L, 80L, 40L);
        assertThat(all.streamed()).containsExactly(50L, 40L, 20L);

        // The join: every web event of a user after the user's profile event carries the profile's values.
        long webEventsAfterProfile =
                TestStack.count(node, "SELECT count() FROM " + database + ".events WHERE source = 'web'");
        assertThat(TestStack.count(
                        node,
                        "SELECT count() FROM " + database + ".events WHERE source = 'web' AND "
                                + "props.value[indexOf(props.key, 'profile.age')] = toString(30 + toUInt32(substring(user_id, 6)) % 40) AND "
                                + "props.value[indexOf(props.key, 'profile.plan')] = 'pro'"))
                .isEqualTo(webEventsAfterProfile);
    }

    private static LocalDate day(long millis) {
        return Instant.ofEpochMilli(millis).atZone(ZoneOffset.UTC).toLocalDate();
    }

    /**
     * The profile events first, landed before the sessions: topics are read side by side, so only this makes
     * "the profile came first" hold in the job as it does in time.
     */
    private static void produce(
            String node, String database, String web, String profile, String batch, long start, long rowsBefore)
            throws Exception {
        List<ProducerRecord<byte[], byte[]>> records = sessions(web, profile, batch, start);
        TestStack.produce(
                records.stream().filter(r -> r.topic().equals(profile)).toList());
        awaitRows(node, database, rowsBefore + USERS);
        TestStack.produce(records.stream().filter(r -> r.topic().equals(web)).toList());
        awaitRows(node, database, rowsBefore + rows());
    }

    private static long rows() {
        long n = 0;
        for (int u = 0; u < USERS; u++) {
            for (String step : PATTERNS[u % PATTERNS.length]) {
                n += step.startsWith("pause") ? 0 : 1;
            }
        }
        return n + USERS; // and one profile event per user
    }

    private static void awaitRows(String node, String database, long expected) throws InterruptedException {
        TestStack.await(
                expected + " rows",
                Duration.ofSeconds(90),
                TestStack.unchecked(
                        () -> TestStack.count(node, "SELECT count() FROM " + database + ".events") >= expected));
    }

    /** One profile event, then one web session per user following its pattern, starting at {@code start}. */
    private static List<ProducerRecord<byte[], byte[]>> sessions(String web, String profile, String batch, long start) {
        List<ProducerRecord<byte[], byte[]>> out = new ArrayList<>();
        for (int u = 0; u < USERS; u++) {
            String user = "user-" + u;
            long t = start + u * 1000L;
            out.add(record(
                    profile,
                    user,
                    "{\"event_id\":\"" + batch + "-" + u + "-p\",\"user_id\":\"" + user
                            + "\",\"event_type\":\"profile_update\",\"source\":\"profile\",\"ts\":" + t
                            + ",\"properties\":{\"age\":" + (30 + u % 40) + ",\"plan\":\"pro\"}}"));
            int i = 0;
            for (String step : PATTERNS[u % PATTERNS.length]) {
                if (step.startsWith("pause")) {
                    t += Integer.parseInt(step.substring(5)) * 60_000L;
                    continue;
                }
                t += 60_000L;
                String type;
                String extra = "";
                switch (step) {
                    case "view":
                        type = "page_view";
                        extra = ",\"url\":\"https://shop.example/p/" + u + "\"";
                        break;
                    case "cart":
                        type = "add_to_cart";
                        break;
                    case "buy":
                        type = "purchase";
                        extra = ",\"properties\":{\"amount\":\"19.90\"}";
                        break;
                    default:
                        type = "scroll";
                }
                out.add(record(
                        web,
                        user,
                        "{\"event_id\":\"" + batch + "-" + u + "-" + i++ + "\",\"user_id\":\"" + user
                                + "\",\"event_type\":\"" + type + "\",\"source\":\"web\",\"ts\":" + t + extra + "}"));
            }
        }
        return out;
    }

    private static ProducerRecord<byte[], byte[]> record(String topic, String key, String json) {
        return new ProducerRecord<>(topic, key.getBytes(StandardCharsets.UTF_8), json.getBytes(StandardCharsets.UTF_8));
    }
}
