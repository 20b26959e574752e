package io.clickstream.etl.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;
import io.clickstream.etl.config.JobConfig;
import io.clickstream.etl.testing.MalformedInputs;
import io.clickstream.etl.testing.MmdbWriter;
import io.clickstream.etl.testing.TestStack;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The first end-to-end path on real services: JSON events in real Kafka topics → the job on a Flink MiniCluster →
 * rows in the 2×2 ClickHouse cluster, and malformed inputs → the dead-letter topic. The job runs once (bounded),
 * the tests check what it left behind.
 */
class KafkaToClickHouseITCase {
    private static final JsonMapper JSON = new JsonMapper();
    private static final int VALID_EVENTS = 3000;
    private static final int USERS = 250;

    @RegisterExtension
    static final MiniClusterExtension FLINK = new MiniClusterExtension(new MiniClusterResourceConfiguration.Builder()
            .setNumberTaskManagers(1)
            .setNumberSlotsPerTaskManager(2)
            .build());

    private static String database;
    private static String deadLetterTopic;
    private static final Map<String, String> malformedPayloadToReason = new LinkedHashMap<>();
    private static final Map<String, RecordMetadata> malformedPositions = new HashMap<>();

    static final String CHROME = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
            + "Chrome/131.0.0.0 Safari/537.36";

    @BeforeAll
    static void runJobOverValidAndMalformedEvents(@TempDir Path dir) throws Exception {
        TestStack.requireRunning();
        Path geoDb = dir.resolve("city.mmdb");
        new MmdbWriter("GeoIP2-City")
                .add(
                        "81.2.69.0/24",
                        Map.of(
                                "country", Map.of("iso_code", "GB", "names", Map.of("en", "United Kingdom")),
                                "subdivisions", List.of(Map.of("names", Map.of("en", "England"))),
                                "city", Map.of("names", Map.of("en", "London")),
                                "location", Map.of("latitude", 51.5142, "longitude", -0.0931)))
                .write(geoDb);
        database = TestStack.migratedDatabase();
        String web = TestStack.unique("web");
        String app = TestStack.unique("app");
        deadLetterTopic = TestStack.unique("dead");
        TestStack.createTopics(4, web, app, deadLetterTopic);

        long now = System.currentTimeMillis();
        List<ProducerRecord<byte[], byte[]>> records = new ArrayList<>();
        for (int i = 0; i < VALID_EVENTS; i++) {
            String user = "user-" + (i % USERS);
            String json = i == 7
                    ? fullEvent(user, now)
                    : "{\"event_id\":\"e-" + i + "\",\"user_id\":\"" + user + "\",\"event_type\":\""
                            + (i % 3 == 0 ? "click" : "page_view") + "\",\"ts\":" + (now - 60_000 + i) + "}";
            records.add(record(i % 2 == 0 ? web : app, user, json.getBytes(StandardCharsets.UTF_8)));
        }
        int firstMalformed = records.size();
        List<byte[]> malformed = malformedInputs(now);
        for (byte[] payload : malformed) {
            records.add(record(web, "bad-user", payload));
        }

        List<RecordMetadata> positions = TestStack.produce(records);
        for (int i = 0; i < malformed.size(); i++) {
            malformedPositions.put(key(positions.get(firstMalformed + i)), positions.get(firstMalformed + i));
        }

        JobConfig config = TestStack.settings(
                web + "," + app,
                deadLetterTopic,
                database,
                Map.of(
                        "kafka.bounded",
                        "true",
                        "clickhouse.sink.batch-rows",
                        "700",
                        "geo.databases",
                        geoDb.toString()));
        StreamExecutionEnvironment env = TestStack.job(config, 0);
        env.execute("KafkaToClickHouseITCase");
    }

    private static String key(RecordMetadata m) {
        return m.partition() + "@" + m.offset();
    }

    private static ProducerRecord<byte[], byte[]> record(String topic, String key, byte[] value) {
        return new ProducerRecord<>(topic, key.getBytes(StandardCharsets.UTF_8), value);
    }

    private static String fullEvent(String user, long now) {
        return "{\"event_id\":\"e-7\",\"user_id\":\"" + user + "\",\"event_type\":\"purchase\",\"ts\":\""
                + java.time.Instant.ofEpochMilli(now - 30_000 - (now % 1000) + 123) + "\",\"source\":\"ios\","
                + "\"url\":\"https://shop.test/ü?x=1\",\"referrer\":\"https://ref.test/\",\"ip\":\"81.2.69.142\","
                + "\"user_agent\":\"" + CHROME + "\",\"properties\":{\"price\":19.99,\"sku\":\"A-1\",\"gift\":false}}";
    }

    /** Every kind of malformed input; the expected reason is recorded for each. */
    private static List<byte[]> malformedInputs(long now) {
        List<byte[]> out = new ArrayList<>();
        for (MalformedInputs.Malformed m : MalformedInputs.all("x", now, false)) {
            if (m.text() != null) {
                malformedPayloadToReason.put(m.text(), m.reason());
            }
            out.add(m.payload());
        }
        return out;
    }

    @Test
    void everyValidEventLandsOnBothReplicasOfTheShardThatOwnsItsUser() throws Exception {
        List<String> nodes = TestStack.clickHouseUrls();
        // Which shard owns each user, by the Distributed table's own sharding expression (2 shards, weight 1).
        Map<String, Integer> shardOfUser = new HashMap<>();
        for (String line : TestStack.query(
                        nodes.get(0),
                        "SELECT user_id, cityHash64(user_id) % 2 FROM " + "(SELECT DISTINCT user_id FROM " + database
                                + ".events) FORMAT TabSeparated")
                .split("\n")) {
            String[] cols = line.split("\t");
            shardOfUser.put(cols[0], Integer.parseInt(cols[1]));
        }
        assertThat(shardOfUser).hasSize(USERS);

        // Replicas fetch parts asynchronously: wait until every node holds what its shard should.
        Map<Integer, Set<String>> expected = new HashMap<>();
        for (int i = 0; i < VALID_EVENTS; i++) {
            expected.computeIfAbsent(shardOfUser.get("user-" + (i % USERS)), s -> new HashSet<>())
                    .add("e-" + i);
        }
        assertThat(expected.get(0)).isNotEmpty();
        assertThat(expected.get(1)).isNotEmpty();
        for (int n = 0; n < 4; n++) {
            String node = nodes.get(n);
            int shard = n / 2;
            TestStack.await(
                    "node " + node + " to hold shard " + (shard + 1),
                    Duration.ofSeconds(60),
                    TestStack.unchecked(() -> eventIds(node).equals(expected.get(shard))));
            assertThat(TestStack.count(node, "SELECT count() FROM " + database + ".events_local"))
                    .as("no duplicates on " + node)
                    .isEqualTo(expected.get(shard).size());
        }
        assertThat(TestStack.count(nodes.get(2), "SELECT count() FROM " + database + ".events"))
                .isEqualTo(VALID_EVENTS);
    }

    private static Set<String> eventIds(String node) throws Exception {
        String body = TestStack.query(node, "SELECT event_id FROM " + database + ".events_local FORMAT TabSeparated");
        Set<String> ids = new HashSet<>();
        for (String line : body.split("\n")) {
            if (!line.isEmpty()) {
                ids.add(line);
            }
        }
        return ids;
    }

    @Test
    void storedRowKeepsEveryFieldOfTheEvent() throws Exception {
        JsonNode row = JSON.readTree(TestStack.query(
                TestStack.clickHouseUrls().get(1),
                "SELECT toString(dt) AS day, toUnixTimestamp(ts) AS secs, ts_ms, event_id, user_id, event_type, source, "
                        + "url, referrer, ip, user_agent, props.key AS pk, props.value AS pv, kafka_partition, version, "
                        + "uh = cityHash64(user_id) AS uh_ok, country_code, country, region, city, latitude, longitude, browser, "
                        + "browser_version, os, device_type, is_bot FROM " + database
                        + ".events WHERE event_id = 'e-7' FORMAT JSONEachRow"));

        assertThat(row.get("event_type").asText()).isEqualTo("purchase");
        assertThat(row.get("source").asText()).isEqualTo("ios");
        assertThat(row.get("url").asText()).isEqualTo("https://shop.test/ü?x=1");
        assertThat(row.get("referrer").asText()).isEqualTo("https://ref.test/");
        assertThat(row.get("ip").asText()).isEqualTo("81.2.69.142");
        assertThat(row.get("user_agent").asText()).isEqualTo(CHROME);
        assertThat(row.get("country_code").asText()).isEqualTo("GB");
        assertThat(row.get("country").asText()).isEqualTo("United Kingdom");
        assertThat(row.get("region").asText()).isEqualTo("England");
        assertThat(row.get("city").asText()).isEqualTo("London");
        assertThat(row.get("latitude").asDouble()).isEqualTo(51.5142);
        assertThat(row.get("longitude").asDouble()).isEqualTo(-0.0931);
        assertThat(row.get("browser").asText()).isEqualTo("Chrome");
        assertThat(row.get("browser_version").asText()).isEqualTo("131");
        assertThat(row.get("os").asText()).isEqualTo("Windows NT");
        assertThat(row.get("device_type").asText()).isEqualTo("desktop");
        assertThat(row.get("is_bot").asInt()).isZero();
        assertThat(row.get("ts_ms").asInt()).isEqualTo(123);
        assertThat(row.get("pk").toString()).isEqualTo("[\"price\",\"sku\",\"gift\"]");
        assertThat(row.get("pv").toString()).isEqualTo("[\"19.99\",\"A-1\",\"false\"]");
        assertThat(row.get("uh_ok").asInt()).isEqualTo(1);
        assertThat(row.get("version").asLong()).isGreaterThan(row.get("secs").asLong() * 1000);
        assertThat(row.get("day").asText())
                .isEqualTo(java.time.LocalDate.ofEpochDay(row.get("secs").asLong() / 86400)
                        .toString());
    }

    @Test
    void theSessionRowCarriesTheGeoAndDeviceOfItsEntryEvent() throws Exception {
        // e-7 is its session's only event with an IP and a user agent: the session row must show what e-7 got.
        JsonNode row = JSON.readTree(TestStack.query(
                TestStack.clickHouseUrls().get(0),
                "SELECT s.country_code AS cc, s.country AS c, s.region AS r, s.city AS city, s.browser AS b, s.os AS os,"
                        + " s.device_type AS d, s.is_bot AS bot, e.country_code AS ecc, e.country AS ec, e.region AS er,"
                        + " e.city AS ecity, e.browser AS eb, e.os AS eos, e.device_type AS ed, e.is_bot AS ebot"
                        + " FROM (SELECT * FROM " + database + ".events WHERE event_id = 'e-7') AS e"
                        + " INNER JOIN (SELECT * FROM " + database + ".sessions FINAL) AS s USING (session_id)"
                        + " FORMAT JSONEachRow"));
        assertThat(row.get("cc").asText()).isEqualTo("GB");
        for (String[] pair : new String[][] {
            {"cc", "ecc"},
            {"c", "ec"},
            {"r", "er"},
            {"city", "ecity"},
            {"b", "eb"},
            {"os", "eos"},
            {"d", "ed"},
            {"bot", "ebot"}
        }) {
            assertThat(row.get(pair[0]).asText())
                    .as(pair[0])
                    .isEqualTo(row.get(pair[1]).asText());
        }
    }

    @Test
    void eventsWithoutIpOrUserAgentHaveEmptyGeoAndDevice() throws Exception {
        JsonNode row = JSON.readTree(TestStack.query(
                TestStack.clickHouseUrls().get(0),
                "SELECT country_code, city, isNull(latitude) AS no_lat, browser, device_type, is_bot FROM " + database
                        + ".events WHERE event_id = 'e-8' FORMAT JSONEachRow"));

        assertThat(row.get("country_code").asText()).isEmpty();
        assertThat(row.get("city").asText()).isEmpty();
        assertThat(row.get("no_lat").asInt()).isEqualTo(1);
        assertThat(row.get("browser").asText()).isEmpty();
        assertThat(row.get("device_type").asText()).isEmpty();
        assertThat(row.get("is_bot").asInt()).isZero();
    }

    @Test
    void malformedEventsEndInTheDeadLetterTopicWithReasonAndPosition() throws Exception {
        int expected = malformedPositions.size();
        List<ConsumerRecord<byte[], byte[]>> dead =
                TestStack.consume(deadLetterTopic, expected, Duration.ofSeconds(30));

        assertThat(dead).hasSize(expected);
        Set<String> seenPositions = new HashSet<>();
        for (ConsumerRecord<byte[], byte[]> r : dead) {
            JsonNode n = JSON.readTree(r.value());
            String position = n.get("source_partition").asInt() + "@"
                    + n.get("source_offset").asLong();
            assertThat(malformedPositions)
                    .as("dead letter points at a malformed input")
                    .containsKey(position);
            seenPositions.add(position);
            assertThat(n.get("detail").asText()).isNotBlank();
            if (n.has("payload")) {
                assertThat(n.get("reason").asText())
                        .as(n.get("payload").asText())
                        .isEqualTo(malformedPayloadToReason.get(n.get("payload").asText()));
            } else {
                assertThat(n.get("reason").asText()).isEqualTo("invalid_utf8");
                assertThat(n.get("payload_base64").asText()).isNotEmpty();
            }
        }
        assertThat(seenPositions).hasSize(expected);

        // Every input ends up in exactly one place: ClickHouse or the dead-letter topic.
        long stored = TestStack.count(TestStack.clickHouseUrls().get(0), "SELECT count() FROM " + database + ".events");
        assertThat(stored + dead.size()).isEqualTo(VALID_EVENTS + expected);
        assertThat(TestStack.count(
                        TestStack.clickHouseUrls().get(0),
                        "SELECT count() FROM " + database + ".events WHERE event_id LIKE 'x%' OR user_id = 'u'"))
                .isZero();
    }
}
