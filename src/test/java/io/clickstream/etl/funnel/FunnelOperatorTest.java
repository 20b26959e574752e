package io.clickstream.etl.funnel;

import io.clickstream.etl.event.Event;
import io.clickstream.etl.testing.FakeBlobStore;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.streaming.util.TwoInputStreamOperatorTestHarness;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import static org.assertj.core.api.Assertions.assertThat;

class FunnelOperatorTest {
    /** By name, so that the operator's serializable factories find them. */
    private static final Map<String, FakeBlobStore> STORES = new ConcurrentHashMap<>();
    private static final Map<String, List<FunnelUpdate>> TOPICS = new ConcurrentHashMap<>();
    private final String name = "funnels-" + System.nanoTime();
    private final List<TwoInputStreamOperatorTestHarness<Event, FunnelUpdate, Event>> harnesses = new ArrayList<>();

    private static final String CHECKOUT = "{\"id\": \"checkout\", \"steps\": [{\"event_type\": \"view\"},"
            + " {\"event_type\": \"cart\"}, {\"event_type\": \"buy\", \"where\": {\"properties.amount\": {\"gt\": 0}}}]}";

    @AfterEach
    void closeAll() throws Exception {
        for (TwoInputStreamOperatorTestHarness<Event, FunnelUpdate, Event> h : harnesses) {
            h.close();
        }
        STORES.remove(name);
        TOPICS.remove(name);
    }

    private FakeBlobStore store() {
        return STORES.computeIfAbsent(name, n -> new FakeBlobStore());
    }

    private List<FunnelUpdate> topic() {
        return TOPICS.computeIfAbsent(name, n -> new ArrayList<>());
    }

    private TwoInputStreamOperatorTestHarness<Event, FunnelUpdate, Event> harness(int batchSize, OperatorSubtaskState restore)
            throws Exception {
        store();
        topic();
        String n = name;
        FunnelOperator op = new FunnelOperator(() -> STORES.get(n), () -> List.copyOf(TOPICS.get(n)), batchSize, 100,
                86_400_000L, 1000, 1000);
        TwoInputStreamOperatorTestHarness<Event, FunnelUpdate, Event> h = new TwoInputStreamOperatorTestHarness<>(op);
        harnesses.add(h);
        h.setup();
        if (restore != null) {
            h.initializeState(restore);
        }
        h.open();
        return h;
    }

    private static Event ev(String id, String session, int index, String type, long publishedSecond) {
        Event e = new Event();
        e.eventId = id;
        e.userId = "u-" + session;
        e.sessionId = session;
        e.sessionIndex = index;
        e.eventType = type;
        e.eventTime = publishedSecond * 1000;
        e.kafkaTimestamp = publishedSecond * 1000;
        e.propertyKeys = new String[] {"amount"};
        e.propertyValues = new String[] {"12"};
        return e;
    }

    private static List<String> tags(List<Event> events) {
        List<String> out = new ArrayList<>();
        for (Event e : events) {
            StringBuilder b = new StringBuilder(e.eventId).append("=");
            for (int i = 0; i < e.funnelIds.length; i++) {
                b.append(i == 0 ? "" : ",").append(e.funnelIds[i]).append(":").append(e.funnelSteps[i]);
            }
            out.add(b.toString());
        }
        return out;
    }

    @Test
    void tagsTheStepsEachEventReachesAcrossBatches() throws Exception {
        TwoInputStreamOperatorTestHarness<Event, FunnelUpdate, Event> h = harness(2, null);
        h.processElement2(new FunnelUpdate("checkout", 0, 0, CHECKOUT), 0);
        h.processElement1(ev("e1", "s1", 0, "view", 10), 0);
        h.processElement1(ev("e2", "s1", 1, "scroll", 11), 0);
        h.processElement1(ev("e3", "s1", 2, "cart", 12), 0);
        h.processElement1(ev("e4", "s1", 3, "buy", 13), 0);
        assertThat(tags(h.extractOutputValues())).containsExactly("e1=checkout:1", "e2=", "e3=checkout:2", "e4=checkout:3");
    }

    @Test
    void withinABatchASessionIsEvaluatedInIndexOrder() throws Exception {
        TwoInputStreamOperatorTestHarness<Event, FunnelUpdate, Event> h = harness(10, null);
        h.processElement2(new FunnelUpdate("checkout", 0, 0, CHECKOUT), 0);
        h.processElement1(ev("e2", "s1", 1, "cart", 11), 0);
        h.processElement1(ev("e1", "s1", 0, "view", 10), 0);
        h.prepareSnapshotPreBarrier(1);
        assertThat(tags(h.extractOutputValues())).containsExactly("e2=checkout:2", "e1=checkout:1");
    }

    @Test
    void aFunnelDefinedWhileRunningAppliesToEventsPublishedAfterIt() throws Exception {
        TwoInputStreamOperatorTestHarness<Event, FunnelUpdate, Event> h = harness(1, null);
        h.processElement1(ev("e1", "s1", 0, "view", 10), 0);
        h.processElement2(new FunnelUpdate("checkout", 15_000, 0, CHECKOUT), 0);
        h.processElement1(ev("e2", "s1", 1, "cart", 16), 0);
        h.processElement1(ev("e3", "s2", 0, "view", 17), 0);
        h.processElement1(ev("e4", "s2", 1, "cart", 18), 0);
        assertThat(tags(h.extractOutputValues())).containsExactly("e1=", "e2=", "e3=checkout:1", "e4=checkout:2");
    }

    @Test
    void aChangedDefinitionRestartsSessionsInProgressAndARemovedOneStopsTagging() throws Exception {
        TwoInputStreamOperatorTestHarness<Event, FunnelUpdate, Event> h = harness(1, null);
        h.processElement2(new FunnelUpdate("checkout", 0, 0, CHECKOUT), 0);
        h.processElement1(ev("e1", "s1", 0, "view", 10), 0);
        String changed = CHECKOUT.replace("\"cart\"", "\"wishlist\"");
        h.processElement2(new FunnelUpdate("checkout", 20_000, 1, changed), 0);
        h.processElement1(ev("e2", "s1", 1, "wishlist", 21), 0); // the new version needs a new 'view' first
        h.processElement1(ev("e3", "s1", 2, "view", 22), 0);
        h.processElement1(ev("e4", "s1", 3, "wishlist", 23), 0);
        h.processElement2(new FunnelUpdate("checkout", 30_000, 2, null), 0);
        h.processElement1(ev("e5", "s1", 4, "buy", 31), 0);
        assertThat(tags(h.extractOutputValues())).containsExactly("e1=checkout:1", "e2=", "e3=checkout:1",
                "e4=checkout:2", "e5=");
    }

    @Test
    void aBadDefinitionIsIgnoredAndThePreviousVersionStays() throws Exception {
        TwoInputStreamOperatorTestHarness<Event, FunnelUpdate, Event> h = harness(1, null);
        h.processElement2(new FunnelUpdate("checkout", 0, 0, CHECKOUT), 0);
        h.processElement2(new FunnelUpdate("checkout", 1_000, 1, "{\"id\": \"checkout\", \"steps\": []}"), 0);
        h.processElement2(new FunnelUpdate("other", 1_000, 2, CHECKOUT), 0); // key and id differ
        h.processElement1(ev("e1", "s1", 0, "view", 10), 0);
        assertThat(tags(h.extractOutputValues())).containsExactly("e1=checkout:1");
    }

    @Test
    void definitionsOnTheTopicAtStartApplyToTheFirstEvents() throws Exception {
        topic().add(new FunnelUpdate("checkout", 0, 0, CHECKOUT));
        TwoInputStreamOperatorTestHarness<Event, FunnelUpdate, Event> h = harness(1, null);
        h.processElement1(ev("e1", "s1", 0, "view", 10), 0);
        // the same record arriving later through the broadcast input changes nothing
        h.processElement2(new FunnelUpdate("checkout", 0, 0, CHECKOUT), 0);
        h.processElement1(ev("e2", "s1", 1, "cart", 11), 0);
        assertThat(tags(h.extractOutputValues())).containsExactly("e1=checkout:1", "e2=checkout:2");
    }

    @Test
    void aReplayGivesTheSameTagsFromRedisAfterARestartFromACheckpoint() throws Exception {
        TwoInputStreamOperatorTestHarness<Event, FunnelUpdate, Event> h = harness(2, null);
        h.processElement2(new FunnelUpdate("checkout", 0, 0, CHECKOUT), 0);
        List<Event> input = List.of(ev("e1", "s1", 0, "view", 10), ev("e2", "s1", 1, "cart", 11),
                ev("e3", "s2", 0, "view", 12), ev("e4", "s1", 2, "buy", 13));
        for (Event e : input) {
            h.processElement1(e, 0);
        }
        OperatorSubtaskState snapshot = h.snapshot(1, 0);
        List<String> first = tags(h.extractOutputValues());
        h.close();

        // The new task restores the definitions from its state (the topic is empty now) and the progress from Redis.
        TwoInputStreamOperatorTestHarness<Event, FunnelUpdate, Event> again = harness(2, snapshot);
        for (Event e : List.of(ev("e1", "s1", 0, "view", 10), ev("e2", "s1", 1, "cart", 11),
                ev("e3", "s2", 0, "view", 12), ev("e4", "s1", 2, "buy", 13))) {
            again.processElement1(e, 0);
        }
        again.processElement1(ev("e5", "s2", 1, "cart", 14), 0);
        again.prepareSnapshotPreBarrier(2);
        List<String> second = tags(again.extractOutputValues());
        assertThat(first).containsExactly("e1=checkout:1", "e2=checkout:2", "e3=checkout:1", "e4=checkout:3");
        assertThat(second).containsExactly("e1=checkout:1", "e2=checkout:2", "e3=checkout:1", "e4=checkout:3", "e5=checkout:2");
    }

    @Test
    void costsAtMostTwoRedisRoundTripsPerBatch() throws Exception {
        TwoInputStreamOperatorTestHarness<Event, FunnelUpdate, Event> h = harness(500, null);
        h.processElement2(new FunnelUpdate("checkout", 0, 0, CHECKOUT), 0);
        String[] types = {"view", "cart", "buy", "scroll"};
        for (int i = 0; i < 5000; i++) {
            h.processElement1(ev("e" + i, "s" + (i % 200), i / 200, types[(i / 200) % 4], 10 + i / 200), 0);
        }
        assertThat(h.extractOutputValues()).hasSize(5000);
        assertThat(store().calls.get()).isLessThanOrEqualTo(2 * 10);
        assertThat(store().calls.get() / 5000.0).isLessThanOrEqualTo(0.02);
    }

    @Test
    void withoutAnyDefinitionRedisIsNotUsed() throws Exception {
        TwoInputStreamOperatorTestHarness<Event, FunnelUpdate, Event> h = harness(10, null);
        for (int i = 0; i < 100; i++) {
            h.processElement1(ev("e" + i, "s" + i, 0, "view", 10), 0);
        }
        h.prepareSnapshotPreBarrier(1);
        assertThat(h.extractOutputValues()).hasSize(100);
        assertThat(store().calls.get()).isZero();
    }

    @Test
    void waitsForRedisAndNeverEmitsUntaggedEvents() throws Exception {
        TwoInputStreamOperatorTestHarness<Event, FunnelUpdate, Event> h = harness(1, null);
        h.processElement2(new FunnelUpdate("checkout", 0, 0, CHECKOUT), 0);
        store().failNext.set(3);
        h.processElement1(ev("e1", "s1", 0, "view", 10), 0);
        assertThat(store().failures.get()).isEqualTo(3);
        assertThat(tags(h.extractOutputValues())).containsExactly("e1=checkout:1");
    }
}
