package io.clickstream.etl.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.clickstream.etl.config.Options;
import io.clickstream.etl.kafka.ErasureTopic;
import io.clickstream.etl.testing.MmdbWriter;
import io.clickstream.etl.testing.TestStack;
import io.clickstream.etl.tools.Erase;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.apache.flink.core.execution.JobClient;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import redis.clients.jedis.Jedis;

/**
 * Privacy on the real stack: IPs truncated after geo, user ids and an e-mail property pseudonymized with a keyed
 * hash (sessions still right), then one user erased with tools.Erase while the job runs — rows, sessions, per-user
 * and per-page aggregates, Redis — and a replay of that user's events does not bring them back.
 */
class PrivacyITCase {
    private static final String KEY = "it-privacy-key-0123456789abcdef";
    private static final int USERS = 6;

    private static String hmac(String value) throws Exception {
        Mac mac = Mac.getInstance("HmacSHA256");
        mac.init(new SecretKeySpec(KEY.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
        return HexFormat.of()
                .formatHex(mac.doFinal(value.getBytes(StandardCharsets.UTF_8)))
                .substring(0, 32);
    }

    private record Ev(String id, String user, long ts, String url) {
        String json() {
            return "{\"event_id\":\"" + id + "\",\"user_id\":\"" + user + "\",\"event_type\":\"page_view\",\"ts\":" + ts
                    + ",\"url\":\"" + url + "\",\"ip\":\"81.2.69.142\",\"properties\":{\"email\":\"" + user
                    + "@mail.example\",\"plan\":\"pro\"}}";
        }
    }

    @Test
    void truncatesIpsPseudonymizesAndErasesAUserForGood(@TempDir Path dir) throws Exception {
        TestStack.requireRunning();
        Path geo = dir.resolve("city.mmdb");
        // Only the full address is located: a lookup of the truncated one would find nothing.
        new MmdbWriter("GeoIP2-City")
                .add(
                        "81.2.69.142/32",
                        Map.of("country", Map.of("iso_code", "GB", "names", Map.of("en", "United Kingdom"))))
                .write(geo);
        Path keyFile = dir.resolve("privacy.key");
        Files.writeString(keyFile, KEY + "\n");
        TestStack.Streaming s = TestStack.streaming(
                "privacy",
                Map.of(
                        "privacy.ip",
                        "truncate",
                        "privacy.pseudonymize",
                        "user_id,properties.email",
                        "privacy.key-file",
                        keyFile.toString(),
                        "geo.databases",
                        geo.toString(),
                        "privacy.erasure-check-interval",
                        "1s",
                        "privacy.erasure-lead",
                        "15s"));
        // Two past days (UTC), three sessions per user: at 10:00, 10:20 (same session), 14:00 and next day 09:00.
        LocalDate day1 = LocalDate.now(ZoneOffset.UTC).minusDays(3);
        long base = day1.atStartOfDay(ZoneOffset.UTC).toInstant().toEpochMilli();
        List<Ev> events = new ArrayList<>();
        for (int u = 0; u < USERS; u++) {
            String user = "person-" + u;
            long[] at = {
                base + 10 * 3_600_000L,
                base + 10 * 3_600_000L + 20 * 60_000L,
                base + 14 * 3_600_000L,
                base + 33 * 3_600_000L
            };
            for (int i = 0; i < at.length; i++) {
                events.add(new Ev(user + "-e" + i, user, at[i] + u * 1000L, "https://shop.example.com/p/" + (i % 2)));
            }
        }
        TestStack.produce(records(s.topic(), events));

        JobClient job = TestStack.job(s.config(), 1000).executeAsync("PrivacyITCase");
        try {
            String node = TestStack.clickHouseUrls().get(0);
            String db = s.database();
            TestStack.await(
                    "all rows",
                    Duration.ofSeconds(120),
                    TestStack.unchecked(
                            () -> TestStack.count(node, "SELECT count() FROM " + db + ".events") == events.size()));

            // Stored: pseudonyms computed here independently, the truncated IP, geo from the full one.
            String rows = TestStack.query(
                    node,
                    "SELECT user_id, props.value[indexOf(props.key, 'email')] AS email, "
                            + "props.value[indexOf(props.key, 'plan')] AS plan, ip, country_code, count(), uniqExact(session_id) FROM "
                            + db
                            + ".events GROUP BY user_id, email, plan, ip, country_code ORDER BY user_id FORMAT TabSeparated");
            List<String> expected = new ArrayList<>();
            for (int u = 0; u < USERS; u++) {
                expected.add(String.join(
                        "\t",
                        hmac("person-" + u),
                        hmac("person-" + u + "@mail.example"),
                        "pro",
                        "81.2.69.0",
                        "GB",
                        "4",
                        "3"));
            }
            expected.sort(null);
            assertThat(rows.strip().split("\n")).containsExactlyElementsOf(expected);
            assertThat(TestStack.query(
                                    node,
                                    "SELECT count() FROM " + db + ".events WHERE user_id LIKE 'person-%' "
                                            + "OR ip = '81.2.69.142' FORMAT TabSeparated")
                            .strip())
                    .isEqualTo("0");

            // Erase person-0 while the job runs; others untouched.
            String erased = hmac("person-0");
            TestStack.await(
                    "session rows",
                    Duration.ofSeconds(60),
                    TestStack.unchecked(
                            () -> TestStack.count(node, "SELECT uniqExact(session_id) FROM " + db + ".sessions")
                                    == USERS * 3L));
            Map<String, Long> pagesBefore = pageViews(node, db);
            Erase.run(
                    "--set",
                    "clickhouse.urls=" + String.join(",", TestStack.clickHouseUrls()),
                    "--set",
                    "clickhouse.database=" + db,
                    "--set",
                    "redis.host=" + TestStack.redis().split(":")[0],
                    "--set",
                    "redis.port=" + TestStack.redis().split(":")[1],
                    "--set",
                    "redis.key-prefix=" + s.config().get(Options.REDIS_KEY_PREFIX),
                    "--set",
                    "privacy.pseudonymize=user_id",
                    "--set",
                    "privacy.key-file=" + keyFile,
                    "--set",
                    "clickhouse.cluster=" + TestStack.cluster(),
                    "--set",
                    "kafka.bootstrap-servers=" + TestStack.kafkaBootstrap(),
                    "--set",
                    "privacy.erasure-topic=" + s.config().get(Options.PRIVACY_ERASURE_TOPIC),
                    "--user",
                    "person-0");
            for (String table : List.of("events", "sessions", "user_days")) {
                assertThat(TestStack.count(
                                node, "SELECT count() FROM " + db + "." + table + " WHERE user_id = '" + erased + "'"))
                        .as(table)
                        .isZero();
                assertThat(TestStack.count(node, "SELECT uniqExact(user_id) FROM " + db + "." + table))
                        .as(table)
                        .isEqualTo(USERS - 1);
            }
            // Page views per page and day: each page lost exactly person-0's views.
            Map<String, Long> pagesAfter = pageViews(node, db);
            Map<String, Long> expectedPages = new TreeMap<>(pagesBefore);
            for (Ev e : events) {
                if (e.user().equals("person-0")) {
                    String day = java.time.Instant.ofEpochMilli(e.ts())
                            .atZone(ZoneOffset.UTC)
                            .toLocalDate()
                            .toString();
                    expectedPages.merge(day + " " + e.url(), -1L, Long::sum);
                }
            }
            assertThat(pagesAfter).isEqualTo(expectedPages);
            String prefix = s.config().get(io.clickstream.etl.config.Options.REDIS_KEY_PREFIX);
            try (Jedis redis = new Jedis(
                    TestStack.redis().split(":")[0],
                    Integer.parseInt(TestStack.redis().split(":")[1]))) {
                assertThat(redis.exists(prefix + ":user:" + erased)).isFalse();
                assertThat(redis.exists(prefix + ":user:" + hmac("person-1"))).isTrue();
            }
            assertThat(ErasureTopic.readAll(s.config()))
                    .as("the erasure is on the durable list, under the stored id")
                    .containsOnlyKeys(erased, "person-0");

            // One new event after the erasure's time (it covers what was published up to privacy.erasure-lead after
            // the request), then a replay: the job again from the start of the topic, which still has person-0's
            // events.
            long erasedAt = ErasureTopic.readAll(s.config()).get(erased).erasedAt();
            Thread.sleep(Math.max(0, erasedAt - System.currentTimeMillis() + 1000));
            TestStack.produce(records(
                    s.topic(),
                    List.of(new Ev(
                            "person-0-new", "person-0", System.currentTimeMillis(), "https://shop.example.com/p/9"))));
            job.cancel().get(60, TimeUnit.SECONDS);
            job = TestStack.job(s.config().with("kafka.group-id", TestStack.unique("replay")), 1000)
                    .executeAsync("PrivacyITCase-replay");
            TestStack.await(
                    "the new event",
                    Duration.ofSeconds(60),
                    TestStack.unchecked(() -> TestStack.count(
                                    node, "SELECT count() FROM " + db + ".events WHERE event_id = 'person-0-new'")
                            == 1));
            Thread.sleep(2000);
            assertThat(TestStack.query(
                                    node,
                                    "SELECT event_id FROM " + db + ".events WHERE user_id = '" + erased
                                            + "' FORMAT TabSeparated")
                            .strip())
                    .as("only what came after the erasure")
                    .isEqualTo("person-0-new");
        } finally {
            job.cancel().get(60, TimeUnit.SECONDS);
        }
    }

    private static Map<String, Long> pageViews(String node, String db) throws Exception {
        Map<String, Long> out = new TreeMap<>();
        for (String line : TestStack.query(
                        node,
                        "SELECT dt, object, uniqExactIfMerge(page_views) FROM " + db
                                + ".objects_daily WHERE object_key = 'url' GROUP BY dt, object FORMAT TabSeparated")
                .split("\n")) {
            if (!line.isBlank()) {
                String[] f = line.split("\t");
                out.put(f[0] + " " + f[1], Long.parseLong(f[2]));
            }
        }
        return out;
    }

    private static List<ProducerRecord<byte[], byte[]>> records(String topic, List<Ev> events) {
        List<ProducerRecord<byte[], byte[]>> out = new ArrayList<>();
        for (Ev e : events) {
            out.add(new ProducerRecord<>(
                    topic, e.user().getBytes(StandardCharsets.UTF_8), e.json().getBytes(StandardCharsets.UTF_8)));
        }
        return out;
    }
}
