package io.clickstream.etl;

import static org.assertj.core.api.Assertions.assertThat;

import io.clickstream.etl.config.JobConfig;
import io.clickstream.etl.deadletter.DeadLetterLedger;
import io.clickstream.etl.deadletter.Ranges;
import io.clickstream.etl.event.DeadLetter;
import io.clickstream.etl.event.Event;
import io.clickstream.etl.event.RawEvent;
import io.clickstream.etl.funnel.FunnelUpdate;
import io.clickstream.etl.parse.EventParser;
import io.clickstream.etl.parse.ParseLimits;
import io.clickstream.etl.parse.ParsedRecord;
import io.clickstream.etl.session.SessionCorrection;
import io.clickstream.etl.session.SessionRow;
import io.clickstream.etl.testing.ClickstreamTruth;
import io.clickstream.etl.testing.ClickstreamTruth.Expected;
import io.clickstream.etl.testing.ClickstreamTruth.Generated;
import io.clickstream.etl.testing.CollectingSink;
import io.clickstream.etl.testing.FakeErasureList;
import io.clickstream.etl.testing.FakeFunnelTopic;
import io.clickstream.etl.testing.FakeHashStore;
import io.clickstream.etl.testing.TruthJob;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.connector.datagen.source.DataGeneratorSource;
import org.apache.flink.connector.datagen.source.GeneratorFunction;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.junit.jupiter.api.Test;

/**
 * The whole {@link ClickstreamJob#build} on a MiniCluster with in-memory inputs, state stores and sinks: no Kafka,
 * Redis or ClickHouse, seconds to run, so a change to the flow can be checked without the stack. Every event's
 * session number, index, funnel tags and joined value are compared with the truth computed by event time; malformed
 * inputs come out as dead letters with their reasons.
 */
class ClickstreamJobFlowTest {
    private static final Map<String, FakeHashStore> USERS = new ConcurrentHashMap<>();
    private static final Map<String, FakeHashStore> JOINS = new ConcurrentHashMap<>();
    private static final Pattern FUNNEL_ID = Pattern.compile("\"id\"\\s*:\\s*\"([^\"]+)\"");

    @Test
    void theWholeFlowGivesEveryEventTheEventTimeTruthAndEveryBadInputADeadLetter() throws Exception {
        long now = System.currentTimeMillis();
        ClickstreamTruth truth =
                ClickstreamTruth.generate(3, 40, ClickstreamTruth.Timing.hours(), now - 17 * 3_600_000L);
        // As a topic per source would deliver them: each in time order; the sources interleaved by time.
        List<Generated> events = truth.events.stream()
                .sorted(Comparator.comparingLong(Generated::ts).thenComparing(Generated::id))
                .toList();
        List<byte[]> inputs = new ArrayList<>();
        List<String> topics = new ArrayList<>();
        for (Generated e : events) {
            inputs.add(e.json().getBytes(StandardCharsets.UTF_8));
            topics.add(e.source());
        }
        inputs.add("{\"event_id\":\"bad-1\",\"user_id\":".getBytes(StandardCharsets.UTF_8));
        topics.add("web");
        inputs.add("{\"event_id\":\"bad-2\",\"user_id\":\"u1\",\"event_type\":\"x\"}".getBytes(StandardCharsets.UTF_8));
        topics.add("app");

        String name = "flow-" + System.nanoTime();
        Map<String, String> settings = new HashMap<>(Map.of(
                "kafka.topics",
                "web,app,backend",
                "kafka.bounded",
                "true",
                "device.enabled",
                "false",
                "join.rules",
                TruthJob.JOIN_RULES));
        JobConfig config = JobConfig.of(settings);
        FakeFunnelTopic funnels = FakeFunnelTopic.named(name);
        for (String definition : TruthJob.DEFINITIONS) {
            Matcher id = FUNNEL_ID.matcher(definition);
            assertThat(id.find()).isTrue();
            funnels.publish(new FunnelUpdate(id.group(1), 0, 0, definition));
        }
        USERS.put(name, new FakeHashStore());
        JOINS.put(name, new FakeHashStore());
        CollectingSink<Event> rows = new CollectingSink<>(name + "-events");
        CollectingSink<SessionRow> sessionRows = new CollectingSink<>(name + "-sessions");
        CollectingSink<DeadLetter> deadLetters = new CollectingSink<>(name + "-dead");
        CollectingSink<SessionCorrection> corrections = new CollectingSink<>(name + "-corrections");
        Map<String, Ranges> ledger = new ConcurrentHashMap<>();

        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        env.setParallelism(2);
        ParseLimits limits = ParseLimits.from(config);
        ClickstreamJob.build(
                env,
                config,
                new ClickstreamJob.Sources(
                        new DataGeneratorSource<>(
                                records(inputs, topics, limits, now),
                                inputs.size(),
                                TypeInformation.of(ParsedRecord.class)),
                        FakeFunnelTopic.definitions(name),
                        FakeErasureList.log(name)),
                new ClickstreamJob.Stores(() -> USERS.get(name), () -> JOINS.get(name), FakeErasureList.acks(name)),
                new ClickstreamJob.Sinks(
                        rows,
                        sessionRows,
                        corrections,
                        deadLetters,
                        () -> inMemory(ledger),
                        ClickstreamJobFlowTest::topicIds));
        env.execute("ClickstreamJobFlowTest");

        Map<String, Expected> expected = truth.expected(TruthJob.TRUTH_FUNNELS);
        List<Event> out = rows.received();
        assertThat(corrections.received())
                .as("events in time order change nothing stored")
                .isEmpty();
        assertThat(out).extracting(e -> e.eventId).doesNotHaveDuplicates().hasSize(expected.size());
        List<String> wrong = new ArrayList<>();
        Set<String> sessions = new HashSet<>();
        for (Event e : out) {
            Expected want = expected.get(e.eventId);
            List<String> tags = new ArrayList<>();
            for (int i = 0; i < e.funnelIds.length; i++) {
                tags.add(e.funnelIds[i] + ":" + e.funnelSteps[i]);
            }
            tags.sort(null);
            String plan = e.property("acct.plan") == null ? "" : e.property("acct.plan");
            if (e.sessionNumber != want.sessionNumber()
                    || e.sessionIndex != want.index()
                    || !tags.equals(want.tags())
                    || !plan.equals(want.plan() == null ? "" : want.plan())) {
                wrong.add(e.eventId + ": " + e.sessionNumber + "/" + e.sessionIndex + " " + tags + " '" + plan
                        + "' truth " + want);
            }
            sessions.add(e.sessionId);
        }
        assertThat(wrong).as("events unlike the truth").isEmpty();
        assertThat(sessions).hasSize((int)
                expected.values().stream().map(Expected::sessionKey).distinct().count());
        Map<String, Integer> latestRowEvents = new TreeMap<>();
        sessionRows.received().forEach(r -> latestRowEvents.merge(r.sessionId, r.events, Math::max));
        assertThat(latestRowEvents.keySet()).isEqualTo(new java.util.TreeSet<>(sessions));
        assertThat(latestRowEvents.values().stream().mapToInt(Integer::intValue).sum())
                .isEqualTo(expected.size());
        assertThat(deadLetters.received())
                .extracting(d -> d.reason)
                .containsExactlyInAnyOrder("malformed_json", "missing_field");
    }

    /** Input i as the Kafka source would parse it: record i of its source's topic, written now. */
    private static GeneratorFunction<Long, ParsedRecord> records(
            List<byte[]> inputs, List<String> topics, ParseLimits limits, long writtenAt) {
        return new GeneratorFunction<>() {
            private transient EventParser parser;

            @Override
            public ParsedRecord map(Long index) {
                if (parser == null) {
                    parser = new EventParser(limits);
                }
                int i = index.intValue();
                RawEvent raw = new RawEvent(topics.get(i), 0, i, writtenAt, null, inputs.get(i));
                return ParsedRecord.of(raw, parser.parse(raw));
            }
        };
    }

    private static io.clickstream.etl.deadletter.TopicIds topicIds() {
        return new io.clickstream.etl.deadletter.TopicIds() {
            @Override
            public String id(String topic) {
                return "id-" + topic;
            }

            @Override
            public void close() {}
        };
    }

    private static DeadLetterLedger inMemory(Map<String, Ranges> ledger) {
        return new DeadLetterLedger() {
            @Override
            public Map<String, Ranges> read() {
                return new HashMap<>(ledger);
            }

            @Override
            public void add(Map<String, Ranges> ranges) {
                ledger.putAll(ranges);
            }

            @Override
            public void close() {}
        };
    }
}
