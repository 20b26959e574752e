package io.clickstream.etl.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.clickstream.etl.clickhouse.DeclaredColumnsOnCluster;
import io.clickstream.etl.clickhouse.DeclaredRow;
import io.clickstream.etl.testing.TestStack;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The job with a schema file (issue 29) on the 2 × 2 cluster: it refuses to start before its columns are in the
 * tables; once tools.DeclareColumns put them there, every event is stored once with each declared value converted,
 * and each value that does not fit is its column's default and a line of error_log (field, value as sent, reason) —
 * row by row against what the test expects from each value it generated, by rules of its own.
 */
class DeclaredColumnsJobITCase {
    @RegisterExtension
    static final MiniClusterExtension FLINK = new MiniClusterExtension(new MiniClusterResourceConfiguration.Builder()
            .setNumberTaskManagers(1)
            .setNumberSlotsPerTaskManager(2)
            .build());

    private static final String SCHEMA = "{\"columns\": ["
            + "{\"name\": \"age\", \"type\": \"UInt8\", \"path\": \"properties.age\", \"default\": 7},"
            + "{\"name\": \"price\", \"type\": \"Decimal(10, 2)\", \"path\": \"properties.price\","
            + " \"event_types\": [\"purchase\"]},"
            + "{\"name\": \"video_id\", \"type\": \"String\", \"path\": \"properties.video.id\"},"
            + "{\"name\": \"length\", \"type\": \"Decimal(9, 3)\", \"path\": \"properties.video.length\"},"
            + "{\"name\": \"n\", \"type\": \"Int64\", \"path\": \"properties.n\"},"
            + "{\"name\": \"tags\", \"type\": \"Array(String)\", \"path\": \"properties.tags\"}]}";

    /** A value as the event sends it (null: left out), what the column then holds, and the error (null: none). */
    private record Case(String json, String stored, String reason, String shown) {
        static Case ok(String json, String stored) {
            return new Case(json, stored, null, null);
        }

        static Case bad(String json, String stored, String reason, String shown) {
            return new Case(json, stored, reason, shown);
        }
    }

    private static final List<Case> AGES = List.of(
            Case.ok("30", "30"),
            Case.bad("300", "7", "out_of_range", "300"),
            Case.ok("\"41\"", "41"),
            Case.bad("\"abc\"", "7", "not_a_number", "abc"),
            Case.bad("-1", "7", "out_of_range", "-1"),
            Case.bad("12.5", "7", "not_an_integer", "12.5"),
            Case.ok(null, "7"),
            Case.ok("null", "7"));

    private static final List<Case> PRICES = List.of(
            Case.ok("12.50", "12.50"),
            Case.ok("\"9.99\"", "9.99"),
            Case.bad("12.345", "0.00", "too_many_decimals", "12.345"),
            Case.bad("123456789", "0.00", "out_of_range", "123456789"),
            Case.bad("true", "0.00", "wrong_type", "true"),
            Case.ok(null, "0.00"),
            Case.ok("0.1", "0.10"));

    /** properties.video: its id and length. */
    private static final List<Case[]> VIDEOS = List.of(
            new Case[] {Case.ok("\"v-1\"", "v-1"), Case.ok("61.5", "61.500")},
            new Case[] {Case.ok("42", "42"), Case.ok("1e2", "100.000")},
            new Case[] {Case.ok(null, ""), Case.bad("\"long\"", "0.000", "not_a_number", "long")},
            new Case[] {Case.ok(null, ""), Case.ok(null, "0.000")});

    private static final List<Case> NS = List.of(
            Case.ok("9007199254740993", "9007199254740993"),
            Case.ok("-9223372036854775808", "-9223372036854775808"),
            Case.bad("9223372036854775808", "0", "out_of_range", "9223372036854775808"),
            Case.ok(null, "0"));

    private static final List<Case> TAGS = List.of(
            Case.ok("[\"a\",\"b\"]", "['a','b']"),
            Case.ok("[1,\"x\"]", "['1','x']"),
            Case.bad("\"a\"", "[]", "wrong_type", "a"),
            Case.ok("[]", "[]"),
            Case.ok(null, "[]"));

    private static final List<String> TYPES = List.of("purchase", "video_view", "page_view");
    private static final int EVENTS = 240;

    @Test
    void eachDeclaredValueIsStoredConvertedOrAsItsDefaultWithTheReasonInErrorLog(@TempDir Path dir) throws Exception {
        TestStack.requireRunning();
        Path schema = dir.resolve("schema.json");
        Files.writeString(schema, SCHEMA);
        TestStack.Streaming setup = TestStack.streaming("declared", Map.of("schema.file", schema.toString()));

        assertThatThrownBy(() -> TestStack.job(setup.config(), 1000))
                .as("the tables do not have the columns yet")
                .hasMessageContaining("events_local.age (UInt8)")
                .hasMessageContaining("tools.DeclareColumns");

        DeclaredRow row = DeclaredRow.from(setup.config());
        DeclaredColumnsOnCluster cluster =
                new DeclaredColumnsOnCluster(TestStack.clickHouse(), TestStack.cluster(), setup.database());
        assertThat(cluster.apply(row, false, 120_000, System.out)).isNotEmpty();
        assertThat(cluster.gaps(row)).as("every node has every column").isEmpty();
        assertThat(cluster.apply(row, false, 120_000, System.out))
                .as("a second run has nothing to do")
                .isEmpty();

        List<ProducerRecord<byte[], byte[]>> records = new ArrayList<>();
        Map<String, String> expected = new TreeMap<>();
        long t0 = System.currentTimeMillis() - 600_000;
        for (int i = 0; i < EVENTS; i++) {
            String id = String.format("d%04d", i);
            String user = "du" + (i % 30);
            String type = TYPES.get(i % TYPES.size());
            Case age = AGES.get(i % AGES.size());
            Case price = PRICES.get(i % PRICES.size());
            Case[] video = VIDEOS.get(i % VIDEOS.size());
            Case n = NS.get(i % NS.size());
            Case tags = TAGS.get(i % TAGS.size());
            StringBuilder props = new StringBuilder();
            add(props, "age", age.json());
            add(props, "price", price.json());
            StringBuilder v = new StringBuilder();
            add(v, "id", video[0].json());
            add(v, "length", video[1].json());
            add(props, "video", "{" + v + "}");
            add(props, "n", n.json());
            add(props, "tags", tags.json());
            String json = "{\"event_id\":\"" + id + "\",\"user_id\":\"" + user + "\",\"event_type\":\"" + type
                    + "\",\"ts\":" + (t0 + i * 1000L) + ",\"source\":\"web\",\"properties\":{" + props + "}}";
            records.add(new ProducerRecord<>(
                    setup.topic(), user.getBytes(StandardCharsets.UTF_8), json.getBytes(StandardCharsets.UTF_8)));

            // What the row must hold, by this test's own rules: a price only on purchases, each bad value named.
            Case storedPrice = type.equals("purchase") ? price : Case.ok(null, "0.00");
            List<String> fields = new ArrayList<>();
            List<String> values = new ArrayList<>();
            List<String> reasons = new ArrayList<>();
            String[] names = {"age", "price", "video_id", "length", "n", "tags"};
            Case[] cases = {age, storedPrice, video[0], video[1], n, tags};
            for (int c = 0; c < cases.length; c++) {
                if (cases[c].reason() != null) {
                    fields.add("'" + names[c] + "'");
                    values.add("'" + cases[c].shown() + "'");
                    reasons.add("'" + cases[c].reason() + "'");
                }
            }
            expected.put(
                    id,
                    String.join(
                            "\t",
                            id,
                            age.stored(),
                            storedPrice.stored(),
                            video[0].stored(),
                            video[1].stored(),
                            n.stored(),
                            tags.stored(),
                            "[" + String.join(",", fields) + "]",
                            "[" + String.join(",", values) + "]",
                            "[" + String.join(",", reasons) + "]"));
        }
        TestStack.produce(records);

        JobClient job = TestStack.jobWithoutRestarts(setup.config(), 1000).executeAsync("DeclaredColumnsJobITCase");
        String node = TestStack.clickHouseUrls().get(0);
        String events = setup.database() + ".events";
        try {
            TestStack.await(
                    EVENTS + " rows",
                    Duration.ofSeconds(120),
                    TestStack.unchecked(() -> TestStack.count(node, "SELECT count() FROM " + events) >= EVENTS));
            String tsv = TestStack.query(
                    node,
                    "SELECT event_id, age, price, video_id, length, n, tags, error_log.field, error_log.value,"
                            + " error_log.reason FROM " + events + " ORDER BY event_id FORMAT TabSeparated");
            Map<String, String> got = new TreeMap<>();
            for (String line : tsv.split("\n")) {
                got.merge(line.substring(0, line.indexOf('\t')), line, (a, b) -> a + " AND TWICE " + b);
            }
            assertThat(got).as("every event once, every column and error_log").isEqualTo(expected);
            assertThat(TestStack.count(node, "SELECT count() FROM " + events + " WHERE length(error_log.field) > 0"))
                    .isGreaterThan(0);
        } finally {
            job.cancel().get(60, TimeUnit.SECONDS);
        }
    }

    private static void add(StringBuilder object, String name, String json) {
        if (json == null) {
            return;
        }
        if (object.length() > 0) {
            object.append(',');
        }
        object.append('"').append(name).append("\":").append(json);
    }
}
