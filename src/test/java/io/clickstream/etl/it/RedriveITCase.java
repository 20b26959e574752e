package io.clickstream.etl.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;
import io.clickstream.etl.redrive.DeadLetterFix.Kind;
import io.clickstream.etl.redrive.Redriver;
import io.clickstream.etl.testing.ClickstreamTruth;
import io.clickstream.etl.testing.ClickstreamTruth.Expected;
import io.clickstream.etl.testing.ClickstreamTruth.Generated;
import io.clickstream.etl.testing.TestStack;
import io.clickstream.etl.testing.TruthJob;
import io.clickstream.etl.tools.Redrive;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Dead letters of three kinds re-driven with a rules file that fixes two: a dry run, a run interrupted inside a
 * transaction, a run that continues it and one more that finds nothing left. Each fixed event is stored once with
 * the event-time truth's session, number, index, funnel tags and joined values; each of the third kind gets one new
 * dead letter naming the one it came from; the inputs balance.
 *
 * <p>The fixed events lie in the middle of their users' events, of every source: re-driven, they come hours after
 * the events around them, and the rows stored before them are corrected (sessions, indexes, funnel tags, the joined
 * values a backend event gives), so the current rows (FINAL) end equal to the truth (docs/ingest.md, "Re-driving dead
 * letters").
 */
class RedriveITCase {
    @RegisterExtension
    static final MiniClusterExtension FLINK = new MiniClusterExtension(new MiniClusterResourceConfiguration.Builder()
            .setNumberTaskManagers(1)
            .setNumberSlotsPerTaskManager(2)
            .build());

    private static final JsonMapper JSON = new JsonMapper();
    private static final String RULES = """
            rules:
              - reason: [invalid_timestamp, timestamp_out_of_range]
                convert_timestamp: {field: ts, from: seconds}
              - reason: missing_field
                rename: {uid: user_id}
            """;

    @Test
    void fixedDeadLettersAreStoredOnceWithTheTruthAndTheRestDeadLetteredOnceWithAReference(@TempDir Path dir)
            throws Exception {
        String backfill = TestStack.unique("redrive");
        TestStack.createTopics(2, backfill);
        TruthJob.Setup setup = TruthJob.setUp(Map.of("backfill.topic", backfill));
        ClickstreamTruth truth = ClickstreamTruth.generate(
                23, 60, ClickstreamTruth.Timing.hours(), System.currentTimeMillis() - 17 * 3_600_000L);

        // One event in the middle of each of 9 users' events breaks: 3 with ts in seconds, 3 with user_id as uid, 3
        // with ts in seconds and a url that is a number (the first rule changes them, and they still fail).
        Map<String, List<Generated>> byUser = new java.util.TreeMap<>();
        for (Generated e : truth.events) {
            byUser.computeIfAbsent(e.user(), u -> new ArrayList<>()).add(e);
        }
        List<Generated> broken = byUser.values().stream()
                .filter(events -> events.size() >= 3)
                .map(events -> events.stream()
                        .sorted(Comparator.comparingLong(Generated::ts).thenComparing(Generated::id))
                        .toList()
                        .get(events.size() / 2))
                .limit(9)
                .toList();
        Map<String, String> kindOf = new HashMap<>();
        for (int i = 0; i < broken.size(); i++) {
            kindOf.put(broken.get(i).id(), i < 3 ? "seconds" : i < 6 ? "uid" : "still");
        }
        List<ProducerRecord<byte[], byte[]>> records = new ArrayList<>();
        for (String source : ClickstreamTruth.SOURCES) {
            for (Generated e : truth.of(source)) {
                ProducerRecord<byte[], byte[]> r = e.record(setup.topics());
                String kind = kindOf.get(e.id());
                if (kind != null) {
                    r = new ProducerRecord<>(
                            r.topic(), r.key(), breakIt(e, kind).getBytes(StandardCharsets.UTF_8));
                }
                records.add(r);
            }
        }
        records.add(new ProducerRecord<>(
                setup.topics().get("web"),
                "x".getBytes(StandardCharsets.UTF_8),
                "{\"event_id\": \"cut".getBytes(StandardCharsets.UTF_8)));
        TestStack.produce(records);
        Set<String> fixable = kindOf.entrySet().stream()
                .filter(k -> !k.getValue().equals("still"))
                .map(Map.Entry::getKey)
                .collect(Collectors.toSet());
        Set<String> stillBroken = kindOf.entrySet().stream()
                .filter(k -> k.getValue().equals("still"))
                .map(Map.Entry::getKey)
                .collect(Collectors.toSet());
        Map<String, Expected> expected =
                truth.only(e -> !stillBroken.contains(e.id())).expected(TruthJob.TRUTH_FUNNELS);
        int n = truth.events.size();

        Path rules = dir.resolve("rules.yaml");
        Files.writeString(rules, RULES);
        String db = setup.database();
        String node = TestStack.clickHouseUrls().get(0);
        JobClient job = TestStack.job(setup.config(), 500).executeAsync("RedriveITCase");
        try {
            TestStack.await(
                    "the valid events stored",
                    Duration.ofSeconds(180),
                    TestStack.unchecked(
                            () -> TestStack.count(node, "SELECT count() FROM " + db + ".events") >= n - broken.size()));
            assertThat(TestStack.consume(setup.deadLetterTopic(), 10, Duration.ofSeconds(60)))
                    .as("one dead letter per broken input")
                    .hasSize(10);

            Redriver.Report dry = Redrive.run(null, args(setup, rules, "--dry-run"));
            assertThat(dry.count(Kind.FIXED)).isEqualTo(6);
            assertThat(dry.count(Kind.STILL_FAILING)).isEqualTo(3);
            assertThat(dry.stillFailing).isEqualTo(Map.of("wrong_type", 3L));
            assertThat(dry.count(Kind.NOT_REDRIVABLE)).isEqualTo(1);
            assertThat(dry.byRule).isEqualTo(Map.of(1, 6L, 2, 3L));

            // Interrupted in its second transaction, with one record sent in it: that transaction never counts.
            assertThatThrownBy(() -> Redrive.run(
                            new Redriver.Listener() {
                                @Override
                                public void sent(long redrivenSoFar) {
                                    if (redrivenSoFar == 3) {
                                        throw new IllegalStateException("interrupted");
                                    }
                                }
                            },
                            args(setup, rules, "--batch", "2")))
                    .hasMessageContaining("interrupted");
            Redriver.Report second = Redrive.run(null, args(setup, rules, "--batch", "2"));
            assertThat(second.alreadyRedriven)
                    .as("the first run's committed transaction")
                    .isEqualTo(2);
            assertThat(second.count(Kind.FIXED) + second.count(Kind.STILL_FAILING))
                    .isEqualTo(7);
            Redriver.Report third = Redrive.run(null, args(setup, rules));
            assertThat(third.alreadyRedriven).isEqualTo(9);
            assertThat(third.count(Kind.FIXED) + third.count(Kind.STILL_FAILING))
                    .isZero();
            assertThat(third.count(Kind.UNCHANGED))
                    .as("the re-drive's own dead letters (wrong_type: no rule for it), left as they are")
                    .isEqualTo(3);

            TestStack.await(
                    "the fixed events stored",
                    Duration.ofSeconds(120),
                    TestStack.unchecked(() ->
                            TestStack.count(node, "SELECT count() FROM " + db + ".events") >= n - stillBroken.size()));
            TestStack.awaitSessionRowsAndNothingInFlight(setup.config(), n - stillBroken.size());
        } finally {
            job.cancel().get(60, TimeUnit.SECONDS);
        }

        List<String> report = new ArrayList<>();
        assertThat(TruthJob.wrongCurrentRows(db, expected, report))
                .as("current rows against the truth; first differences: %s", report)
                .isZero();
        Map<String, String> links = new HashMap<>();
        for (String line : TestStack.query(
                        node,
                        "SELECT event_id, props.value[indexOf(props.key, 'redriven_from')] FROM " + db
                                + ".events WHERE kafka_topic = '" + backfill + "' FORMAT TabSeparated")
                .split("\n")) {
            if (!line.isBlank()) {
                links.put(line.split("\t")[0], line.split("\t")[1]);
            }
        }
        assertThat(links.keySet())
                .as("the fixed events, from the re-drive topic")
                .isEqualTo(fixable);
        Map<String, String> inputOf = new HashMap<>();
        for (ConsumerRecord<byte[], byte[]> r :
                TestStack.consume(setup.deadLetterTopic(), 13, Duration.ofSeconds(30))) {
            JsonNode d = JSON.readTree(r.value());
            String id = eventIdOf(d);
            if (!d.has("redriven_from") && id != null) {
                inputOf.put(
                        id,
                        d.get("source_topic").asText() + "/"
                                + d.get("source_partition").asInt() + "@"
                                + d.get("source_offset").asLong());
            }
        }
        for (String id : fixable) {
            assertThat(links.get(id)).as("the stored event names its input").isEqualTo(inputOf.get(id));
        }

        List<JsonNode> again = new ArrayList<>();
        Set<String> letters = new HashSet<>();
        for (ConsumerRecord<byte[], byte[]> r :
                TestStack.consume(setup.deadLetterTopic(), 13, Duration.ofSeconds(30))) {
            JsonNode d = JSON.readTree(r.value());
            letters.add(r.partition() + "@" + r.offset());
            if (d.has("redriven_from")) {
                again.add(d);
            }
        }
        assertThat(letters)
                .as("10 dead letters of inputs, 3 of the re-drive, no more")
                .hasSize(13);
        assertThat(again).hasSize(3);
        Set<String> againIds = new HashSet<>();
        for (JsonNode d : again) {
            String id = eventIdOf(d);
            againIds.add(id);
            assertThat(d.get("reason").asText()).isEqualTo("wrong_type");
            JsonNode from = d.get("redriven_from");
            assertThat(from.get("source_topic").asText() + "/"
                            + from.get("source_partition").asInt() + "@"
                            + from.get("source_offset").asLong())
                    .as("names the input it came from")
                    .isEqualTo(inputOf.get(id));
            assertThat(from.get("dead_letter_topic").asText()).isEqualTo(setup.deadLetterTopic());
        }
        assertThat(againIds).isEqualTo(stillBroken);

        TestStack.BalanceRun balance = TestStack.balance(setup.config(), 1000);
        assertThat(balance.code()).as(balance.printed()).isZero();
        int inputs = n + 1 + fixable.size();
        assertThat(balance.printed())
                .as("the inputs and the re-driven records: each stored once or one dead letter")
                .contains("balanced: " + inputs + " inputs = " + (n - stillBroken.size()) + " stored + 10 dead letters"
                        + " + 0 delivered again (their event stored from another record) + 0 in flight");
    }

    /** The event id in a dead letter's payload; null when the payload is no JSON object. */
    private static String eventIdOf(JsonNode deadLetter) {
        try {
            return JSON.readTree(deadLetter.path("payload").asText())
                    .path("event_id")
                    .asText(null);
        } catch (java.io.IOException e) {
            return null;
        }
    }

    private static String breakIt(Generated e, String kind) throws Exception {
        com.fasterxml.jackson.databind.node.ObjectNode p =
                (com.fasterxml.jackson.databind.node.ObjectNode) JSON.readTree(e.json());
        switch (kind) {
            case "seconds" -> p.put("ts", seconds(e));
            case "uid" -> p.set("uid", p.remove("user_id"));
            default -> {
                p.put("ts", seconds(e));
                p.put("url", 5);
            }
        }
        return p.toString();
    }

    /** The event's time in seconds with its milliseconds as a fraction (invalid_timestamp): fixed, it is exact. */
    private static java.math.BigDecimal seconds(Generated e) {
        return java.math.BigDecimal.valueOf(e.ts()).movePointLeft(3);
    }

    private static String[] args(TruthJob.Setup setup, Path rules, String... more) {
        List<String> out = new ArrayList<>();
        setup.settings().forEach((k, v) -> {
            out.add("--set");
            out.add(k + "=" + v);
        });
        out.add("--rules");
        out.add(rules.toString());
        out.addAll(List.of(more));
        return out.toArray(String[]::new);
    }
}
