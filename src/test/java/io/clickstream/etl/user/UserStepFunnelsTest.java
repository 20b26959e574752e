package io.clickstream.etl.user;

import static org.assertj.core.api.Assertions.assertThat;

import io.clickstream.etl.event.Event;
import io.clickstream.etl.funnel.FunnelUpdate;
import io.clickstream.etl.session.SessionCorrection;
import io.clickstream.etl.testing.FakeFunnelTopic;
import io.clickstream.etl.testing.FakeHashStore;
import java.util.ArrayList;
import java.util.List;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.streaming.util.OneInputStreamOperatorTestHarness;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The funnels part of the per-user step: tags by the version in effect when an event was published, definitions
 * read from the topic by the step itself, progress kept with the user's sessions.
 */
class UserStepFunnelsTest {
    /** By name, so that the operator's serializable factories find them. */
    /** Record times near the wall clock, as live events have: the step reads the definitions before their batches. */
    private static final long BASE = System.currentTimeMillis();

    @RegisterExtension
    final UserStepFixture step = new UserStepFixture();

    private static final String CHECKOUT = "{\"id\": \"checkout\", \"steps\": [{\"event_type\": \"view\"},"
            + " {\"event_type\": \"cart\"}, {\"event_type\": \"buy\", \"where\": {\"properties.amount\": {\"gt\": 0}}}]}";

    private FakeHashStore store() {
        return step.store();
    }

    private FakeFunnelTopic topic() {
        return step.topic();
    }

    private void publish(String funnel, long publishedSecond, long offset, String definition) {
        topic().publish(new FunnelUpdate(funnel, BASE + publishedSecond * 1000, offset, definition));
    }

    private OneInputStreamOperatorTestHarness<Event, Event> harness(int batchSize, OperatorSubtaskState restore)
            throws Exception {
        return step.open(UserStepFixture.settings(batchSize), restore);
    }

    /** An event of the user of {@code session} (one session per user here: its events are seconds apart). */
    private static Event ev(String id, String session, String type, long publishedSecond) {
        Event e = new Event();
        e.eventId = id;
        e.userId = "u-" + session;
        e.eventType = type;
        e.eventTime = BASE + publishedSecond * 1000;
        e.kafkaTimestamp = BASE + publishedSecond * 1000;
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
        OneInputStreamOperatorTestHarness<Event, Event> h = harness(2, null);
        publish("checkout", 0, 0, CHECKOUT);
        h.processElement(ev("e1", "s1", "view", 10), 0);
        h.processElement(ev("e2", "s1", "scroll", 11), 0);
        h.processElement(ev("e3", "s1", "cart", 12), 0);
        h.processElement(ev("e4", "s1", "buy", 13), 0);
        assertThat(tags(h.extractOutputValues()))
                .containsExactly("e1=checkout:1", "e2=", "e3=checkout:2", "e4=checkout:3");
    }

    @Test
    void withinABatchASessionIsEvaluatedInIndexOrder() throws Exception {
        OneInputStreamOperatorTestHarness<Event, Event> h = harness(10, null);
        publish("checkout", 0, 0, CHECKOUT);
        h.processElement(ev("e2", "s1", "cart", 11), 0);
        h.processElement(ev("e1", "s1", "view", 10), 0);
        h.prepareSnapshotPreBarrier(1);
        assertThat(tags(h.extractOutputValues())).containsExactly("e1=checkout:1", "e2=checkout:2");
    }

    @Test
    void aFunnelDefinedWhileRunningAppliesToEventsPublishedAfterIt() throws Exception {
        OneInputStreamOperatorTestHarness<Event, Event> h = harness(1, null);
        h.processElement(ev("e1", "s1", "view", 10), 0);
        publish("checkout", 15, 0, CHECKOUT);
        h.processElement(ev("e2", "s1", "cart", 16), 0);
        h.processElement(ev("e3", "s2", "view", 17), 0);
        h.processElement(ev("e4", "s2", "cart", 18), 0);
        assertThat(tags(h.extractOutputValues())).containsExactly("e1=", "e2=", "e3=checkout:1", "e4=checkout:2");
    }

    @Test
    void aChangedDefinitionRestartsSessionsInProgressAndARemovedOneStopsTagging() throws Exception {
        OneInputStreamOperatorTestHarness<Event, Event> h = harness(1, null);
        publish("checkout", 0, 0, CHECKOUT);
        h.processElement(ev("e1", "s1", "view", 10), 0);
        String changed = CHECKOUT.replace("\"cart\"", "\"wishlist\"");
        publish("checkout", 20, 1, changed);
        h.processElement(ev("e2", "s1", "wishlist", 21), 0); // the new version needs a new 'view' first
        h.processElement(ev("e3", "s1", "view", 22), 0);
        h.processElement(ev("e4", "s1", "wishlist", 23), 0);
        publish("checkout", 30, 2, null);
        h.processElement(ev("e5", "s1", "buy", 31), 0);
        assertThat(tags(h.extractOutputValues()))
                .containsExactly("e1=checkout:1", "e2=", "e3=checkout:1", "e4=checkout:2", "e5=");
    }

    @Test
    void aBadDefinitionIsIgnoredAndThePreviousVersionStays() throws Exception {
        OneInputStreamOperatorTestHarness<Event, Event> h = harness(1, null);
        publish("checkout", 0, 0, CHECKOUT);
        publish("checkout", 1, 1, "{\"id\": \"checkout\", \"steps\": []}");
        publish("other", 1, 2, CHECKOUT); // key and id differ
        h.processElement(ev("e1", "s1", "view", 10), 0);
        assertThat(tags(h.extractOutputValues())).containsExactly("e1=checkout:1");
    }

    @Test
    void definitionsOnTheTopicAtStartApplyToTheFirstEvents() throws Exception {
        publish("checkout", 0, 0, CHECKOUT);
        OneInputStreamOperatorTestHarness<Event, Event> h = harness(1, null);
        h.processElement(ev("e1", "s1", "view", 10), 0);
        // the same record read again (a restored job reading the topic from its start) changes nothing
        publish("checkout", 0, 0, CHECKOUT);
        h.processElement(ev("e2", "s1", "cart", 11), 0);
        assertThat(tags(h.extractOutputValues())).containsExactly("e1=checkout:1", "e2=checkout:2");
    }

    @Test
    void aReplayGivesTheSameTagsFromRedisAfterARestartFromACheckpoint() throws Exception {
        OneInputStreamOperatorTestHarness<Event, Event> h = harness(2, null);
        publish("checkout", 0, 0, CHECKOUT);
        List<Event> input = List.of(
                ev("e1", "s1", "view", 10),
                ev("e2", "s1", "cart", 11),
                ev("e3", "s2", "view", 12),
                ev("e4", "s1", "buy", 13));
        for (Event e : input) {
            h.processElement(e, 0);
        }
        OperatorSubtaskState snapshot = h.snapshot(1, 0);
        List<String> first = tags(h.extractOutputValues());
        h.close();

        // The new task restores the definitions from its state (the topic is empty now) and the progress from Redis.
        step.topic().drop();
        OneInputStreamOperatorTestHarness<Event, Event> again = harness(2, snapshot);
        for (Event e : List.of(
                ev("e1", "s1", "view", 10),
                ev("e2", "s1", "cart", 11),
                ev("e3", "s2", "view", 12),
                ev("e4", "s1", "buy", 13))) {
            again.processElement(e, 0);
        }
        again.processElement(ev("e5", "s2", "cart", 14), 0);
        again.prepareSnapshotPreBarrier(2);
        List<String> second = tags(again.extractOutputValues());
        assertThat(first).containsExactly("e1=checkout:1", "e2=checkout:2", "e3=checkout:1", "e4=checkout:3");
        assertThat(second)
                .containsExactly("e1=checkout:1", "e2=checkout:2", "e3=checkout:1", "e4=checkout:3", "e5=checkout:2");
    }

    @Test
    void costsAtMostTwoRedisRoundTripsPerBatch() throws Exception {
        OneInputStreamOperatorTestHarness<Event, Event> h = harness(500, null);
        publish("checkout", 0, 0, CHECKOUT);
        String[] types = {"view", "cart", "buy", "scroll"};
        for (int i = 0; i < 5000; i++) {
            h.processElement(ev("e" + i, "s" + (i % 200), types[(i / 200) % 4], 10 + i / 200), 0);
        }
        assertThat(h.extractOutputValues()).hasSize(5000);
        assertThat(store().calls.get()).isLessThanOrEqualTo(2 * 10);
        assertThat(store().calls.get() / 5000.0).isLessThanOrEqualTo(0.02);
    }

    @Test
    void withoutAnyDefinitionNoProgressIsStoredAndNoEventTagged() throws Exception {
        OneInputStreamOperatorTestHarness<Event, Event> h = harness(10, null);
        for (int i = 0; i < 100; i++) {
            h.processElement(ev("e" + i, "s" + i, "view", 10), 0);
        }
        h.prepareSnapshotPreBarrier(1);
        assertThat(h.extractOutputValues())
                .hasSize(100)
                .allSatisfy(e -> assertThat(e.funnelIds).isNullOrEmpty());
        assertThat(store().hashes.values())
                .allSatisfy(fields -> assertThat(fields.keySet()).noneMatch(f -> f.startsWith(UserRecord.FUNNEL)));
    }

    @Test
    void aCatchUpOfEventsPublishedLongAgoReadsTheDefinitionsOnlyAtStart() throws Exception {
        publish("checkout", -7200, 0, CHECKOUT);
        OneInputStreamOperatorTestHarness<Event, Event> h = harness(10, null);
        for (int i = 0; i < 100; i++) {
            h.processElement(ev("e" + i, "s" + (i / 2 % 10), i % 2 == 0 ? "view" : "cart", -3600 + i), 0);
        }
        // published now: the events above were published an hour before it, so it does not apply to them
        publish("checkout", 60, 1, null);
        h.prepareSnapshotPreBarrier(1);
        assertThat(tags(h.extractOutputValues())).contains("e0=checkout:1", "e1=checkout:2");
        assertThat(topic().reads())
                .as("read at start only: the batches held no event newer than that read")
                .isEqualTo(1);

        h.processElement(ev("live", "s0", "view", 61), 0);
        h.prepareSnapshotPreBarrier(2);
        assertThat(topic().reads())
                .as("a live event: read again, and the removal applies")
                .isEqualTo(2);
        assertThat(tags(h.extractOutputValues())).last().isEqualTo("live=");
    }

    @Test
    void waitsForRedisAndNeverEmitsUntaggedEvents() throws Exception {
        OneInputStreamOperatorTestHarness<Event, Event> h = harness(1, null);
        publish("checkout", 0, 0, CHECKOUT);
        store().failNext.set(3);
        h.processElement(ev("e1", "s1", "view", 10), 0);
        assertThat(store().failures.get()).isEqualTo(3);
        assertThat(tags(h.extractOutputValues())).containsExactly("e1=checkout:1");
    }

    @Test
    void aLateEventHandsItsSessionsTagsToTheCorrectionsFromThenOnWithTheDefinitionsInEffect() throws Exception {
        publish("checkout", 0, 0, CHECKOUT);
        OneInputStreamOperatorTestHarness<Event, Event> h = harness(10, null);
        h.processElement(ev("e1", "s1", "view", 10), 0);
        h.processElement(ev("e2", "s1", "cart", 12), 0);
        h.prepareSnapshotPreBarrier(1);
        assertThat(h.getSideOutput(UserStepOperator.CORRECTIONS))
                .as("in time order: nothing to correct")
                .isNull();

        h.processElement(ev("e3", "s1", "view", 11), 0); // late: within the session, before e2
        h.prepareSnapshotPreBarrier(2);
        h.processElement(ev("e4", "s1", "buy", 14), 0); // on time, in the session the late event changed
        h.prepareSnapshotPreBarrier(3);

        List<SessionCorrection> corrections = new ArrayList<>();
        h.getSideOutput(UserStepOperator.CORRECTIONS).forEach(r -> corrections.add(r.getValue()));
        assertThat(corrections).extracting(c -> c.events).containsExactly(3, 4);
        assertThat(corrections)
                .as("each names the definitions in effect, so the rows are tagged again in time order")
                .allSatisfy(c -> assertThat(c.funnels).containsExactly(CHECKOUT));
        assertThat(corrections.get(1).end).isEqualTo(BASE + 14_000);
        h.close();
    }

    @Test
    void withoutFunnelsACorrectionLeavesTheTagsAsStored() throws Exception {
        OneInputStreamOperatorTestHarness<Event, Event> h = harness(10, null);
        h.processElement(ev("e1", "s1", "view", 10), 0);
        h.processElement(ev("e2", "s1", "cart", 12), 0);
        h.prepareSnapshotPreBarrier(1);
        h.processElement(ev("e3", "s1", "view", 11), 0);
        h.prepareSnapshotPreBarrier(2);
        h.processElement(ev("e4", "s1", "buy", 14), 0);
        h.prepareSnapshotPreBarrier(3);

        List<SessionCorrection> corrections = new ArrayList<>();
        h.getSideOutput(UserStepOperator.CORRECTIONS).forEach(r -> corrections.add(r.getValue()));
        assertThat(corrections).as("only the late event's").hasSize(1);
        assertThat(corrections.get(0).funnels).isNull();
        h.close();
    }
}
