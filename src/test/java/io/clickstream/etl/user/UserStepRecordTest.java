package io.clickstream.etl.user;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.clickstream.etl.event.Event;
import io.clickstream.etl.funnel.FunnelTracker;
import io.clickstream.etl.funnel.FunnelUpdate;
import io.clickstream.etl.funnel.FunnelVersions;
import io.clickstream.etl.funnel.SessionFunnels;
import io.clickstream.etl.join.JoinedValues;
import io.clickstream.etl.redis.HashStore;
import io.clickstream.etl.session.JoinedFix;
import io.clickstream.etl.session.SessionAssigner;
import io.clickstream.etl.session.SessionCorrection;
import io.clickstream.etl.session.SessionRules;
import io.clickstream.etl.session.UserHistory;
import io.clickstream.etl.testing.FakeHashStore;
import io.clickstream.etl.testing.OlderJoinedValues;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.flink.streaming.util.OneInputStreamOperatorTestHarness;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The per-user step's one Redis hash per user: what a batch reads and writes (the fields it changed, nothing else),
 * the joins keyed by user inside it, and users whose state is still in the layout before it.
 */
class UserStepRecordTest {
    private static final long T0 = 1_763_800_000_000L;
    /** The latest order's product into later web events of the user. */
    private static final String ORDER_JOIN =
            "[{\"name\": \"order\", \"from\": \"backend\", \"fields\": [\"properties.product\"],"
                    + " \"into\": [\"web\"]}]";
    /** Reaching step 2 (a cart) needs the joined product. */
    private static final String REPEAT = "{\"id\": \"repeat\", \"steps\": [{\"event_type\": \"page_view\"},"
            + " {\"event_type\": \"cart\", \"where\": {\"properties.order.product\": {\"equals\": \"p1\"}}}]}";

    @RegisterExtension
    final UserStepFixture step = new UserStepFixture();

    private FakeHashStore store() {
        return step.store();
    }

    private OneInputStreamOperatorTestHarness<Event, Event> harness(int batchSize, String joinRules, Duration joinTtl)
            throws Exception {
        return step.open(
                UserStepFixture.settings(
                        SessionRules.defaults(), joinRules, batchSize, 1000, joinTtl, Duration.ofSeconds(1)),
                null);
    }

    private static Event ev(String id, String user, long minute, String source, String type, String... props) {
        Event e = new Event();
        e.eventId = id;
        e.userId = user;
        e.source = source;
        e.eventType = type;
        e.eventTime = T0 + minute * 60_000L;
        e.kafkaTimestamp = e.eventTime;
        e.propertyKeys = new String[props.length / 2];
        e.propertyValues = new String[props.length / 2];
        for (int i = 0; i < props.length / 2; i++) {
            e.propertyKeys[i] = props[2 * i];
            e.propertyValues[i] = props[2 * i + 1];
        }
        return e;
    }

    private static Map<String, Event> byId(List<Event> events) {
        Map<String, Event> out = new LinkedHashMap<>();
        events.forEach(e -> out.put(e.eventId, e));
        return out;
    }

    private HashStore.Changes lastWriteOf(String user) {
        List<Map<String, HashStore.Changes>> writes = store().writes;
        for (int i = writes.size() - 1; i >= 0; i--) {
            if (writes.get(i).containsKey("user:" + user)) {
                return writes.get(i).get("user:" + user);
            }
        }
        throw new AssertionError("no write of " + user);
    }

    @Test
    void aBatchWritesTheFieldsOfTheSessionItChangedNotTheUsersOtherSessions() throws Exception {
        OneInputStreamOperatorTestHarness<Event, Event> h = harness(100, null, Duration.ofDays(30));
        h.processElement(ev("a1", "u1", 0, "web", "page_view"), 0);
        h.processElement(ev("b1", "u1", 120, "web", "page_view"), 0);
        h.prepareSnapshotPreBarrier(1);
        String first = h.extractOutputValues().get(0).sessionId;
        String second = h.extractOutputValues().get(1).sessionId;
        assertThat(lastWriteOf("u1").set())
                .containsOnlyKeys("h", "s:" + first, "i:" + first, "s:" + second, "i:" + second, "t");

        h.processElement(ev("b2", "u1", 125, "web", "page_view"), 0);
        h.prepareSnapshotPreBarrier(2);
        assertThat(lastWriteOf("u1").set())
                .as("the header, the other session and this one's entry did not change (t: the newest record time)")
                .containsOnlyKeys("s:" + second, "t");
        assertThat(lastWriteOf("u1").delete()).isEmpty();

        h.processElement(ev("a1", "u1", 0, "web", "page_view"), 0); // a replay changes nothing
        int writes = store().writes.size();
        h.prepareSnapshotPreBarrier(3);
        assertThat(store().writes).hasSize(writes);
        assertThat(h.extractOutputValues().get(3).sessionId).isEqualTo(first);
    }

    @Test
    void aLongSessionKeepsItsEventsInChunksSoABatchRewritesAtMostTheLastOne() throws Exception {
        OneInputStreamOperatorTestHarness<Event, Event> h = harness(1000, null, Duration.ofDays(30));
        for (int i = 0; i < 150; i++) {
            h.processElement(ev("e" + i, "u1", i, "web", "page_view"), 0);
        }
        h.prepareSnapshotPreBarrier(1);
        String session = h.extractOutputValues().get(0).sessionId;
        assertThat(lastWriteOf("u1").set())
                .containsOnlyKeys(
                        "h", "s:" + session, "i:" + session, "e:" + session + ":0", "e:" + session + ":1", "t");
        int whole = lastWriteOf("u1").set().get("s:" + session).length;

        h.processElement(ev("e150", "u1", 150, "web", "page_view"), 0);
        h.prepareSnapshotPreBarrier(2);
        assertThat(lastWriteOf("u1").set())
                .as("full chunks are not written again")
                .containsOnlyKeys("s:" + session, "t");
        assertThat(lastWriteOf("u1").set().get("s:" + session).length).isEqualTo(whole + 12);

        // A new task reads the chunks back: replayed events get their indexes, a new one the next.
        OneInputStreamOperatorTestHarness<Event, Event> next = harness(1000, null, Duration.ofDays(30));
        next.processElement(ev("e3", "u1", 3, "web", "page_view"), 0);
        next.processElement(ev("e100", "u1", 100, "web", "page_view"), 0);
        next.processElement(ev("e151", "u1", 151, "web", "page_view"), 0);
        next.prepareSnapshotPreBarrier(1);
        Map<String, Event> out = byId(next.extractOutputValues());
        assertThat(out.get("e3").sessionIndex).isEqualTo(3);
        assertThat(out.get("e100").sessionIndex).isEqualTo(100);
        assertThat(out.get("e151").sessionIndex).isEqualTo(151);
        assertThat(out.values()).extracting(e -> e.sessionId).containsOnly(session);

        next.processElement(ev("later", "u1", 4 * 24 * 60, "web", "page_view"), 0); // beyond the 48 h history
        next.prepareSnapshotPreBarrier(2);
        assertThat(lastWriteOf("u1").delete())
                .as("a forgotten session's chunks go with it")
                .containsExactlyInAnyOrder(
                        "s:" + session, "i:" + session, "e:" + session + ":0", "e:" + session + ":1");
    }

    @Test
    void aSessionFieldWithAllItsEventsInlineIsReadAndSplitIntoChunksWithItsNextWrite() throws Exception {
        List<Event> events = new ArrayList<>();
        for (int i = 0; i < 70; i++) {
            events.add(ev("e" + i, "u1", i, "web", "page_view"));
        }
        UserHistory history = new UserHistory();
        new SessionAssigner(SessionRules.defaults()).assign("u1", history, events);
        String session = history.sessionIds().get(0);
        // Session field format 1, as the version before the chunks wrote it: a format-1 byte and the session's
        // record with every remembered event (the one-value layout's record after its 9-byte head).
        byte[] whole = history.toBytes();
        byte[] inline = new byte[whole.length - 8];
        inline[0] = 1;
        System.arraycopy(whole, 9, inline, 1, whole.length - 9);
        store().hashes.put("user:u1", new HashMap<>(Map.of("h", history.headerField(), "s:" + session, inline)));

        OneInputStreamOperatorTestHarness<Event, Event> h = harness(1000, null, Duration.ofDays(30));
        h.processElement(ev("e42", "u1", 42, "web", "page_view"), 0);
        h.prepareSnapshotPreBarrier(1);
        assertThat(h.extractOutputValues().get(0).sessionIndex).isEqualTo(42);
        assertThat(store().writes)
                .as("a replay writes nothing, whatever the format")
                .isEmpty();

        h.processElement(ev("e70", "u1", 70, "web", "page_view"), 0);
        h.prepareSnapshotPreBarrier(2);
        assertThat(h.extractOutputValues().get(1).sessionIndex).isEqualTo(70);
        assertThat(lastWriteOf("u1").set())
                .containsOnlyKeys("s:" + session, "i:" + session, "e:" + session + ":0", "t");
        assertThat(lastWriteOf("u1").set().get("s:" + session)[0])
                .isEqualTo((byte) 5); // the current format: chunked, with position tags, the entry in its own field
    }

    @Test
    void aSessionWithoutOneOfItsChunksIsADamagedRecordNotAShorterSession() {
        List<Event> events = new ArrayList<>();
        for (int i = 0; i < 70; i++) {
            events.add(ev("e" + i, "u1", i, "web", "page_view"));
        }
        UserHistory history = new UserHistory();
        new SessionAssigner(SessionRules.defaults()).assign("u1", history, events);
        Map<String, byte[]> fields = new HashMap<>(history.changedSessionFields(false));
        String session = history.sessionIds().get(0);
        assertThat(UserHistory.fromFields(history.headerField(), fields).sessionIds())
                .containsExactly(session);

        fields.remove("e:" + session + ":0");
        assertThatThrownBy(() -> UserHistory.fromFields(history.headerField(), fields))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("session " + session + ": chunk 0 of its remembered events is missing");
    }

    @Test
    void sessionsTheHistoryForgetsAreDeletedWithTheirFunnelProgress() throws Exception {
        step.topic().publish(new FunnelUpdate("repeat", 0, 0, REPEAT));
        OneInputStreamOperatorTestHarness<Event, Event> h = harness(100, null, Duration.ofDays(30));
        h.processElement(ev("old", "u1", 0, "web", "page_view"), 0);
        h.prepareSnapshotPreBarrier(1);
        String old = h.extractOutputValues().get(0).sessionId;
        assertThat(store().hashes.get("user:u1")).containsKeys("s:" + old, "f:" + old);

        h.processElement(ev("new", "u1", 3 * 24 * 60, "web", "page_view"), 0); // beyond the 48 h history
        h.prepareSnapshotPreBarrier(2);
        String current = h.extractOutputValues().get(1).sessionId;
        assertThat(lastWriteOf("u1").delete()).containsExactlyInAnyOrder("s:" + old, "i:" + old, "f:" + old);
        assertThat(store().hashes.get("user:u1"))
                .containsOnlyKeys("h", "s:" + current, "i:" + current, "f:" + current, "t");
    }

    @Test
    void joinsKeyedByUserLiveInTheUsersHashAndFunnelsSeeWhatTheyCarried() throws Exception {
        step.topic().publish(new FunnelUpdate("repeat", 0, 0, REPEAT));
        OneInputStreamOperatorTestHarness<Event, Event> h = harness(2, ORDER_JOIN, Duration.ofDays(30));
        h.processElement(ev("view-1", "u1", 0, "web", "page_view"), 0);
        h.processElement(ev("order", "u1", 1, "backend", "order", "product", "p1"), 0);
        h.processElement(ev("view-2", "u1", 2, "web", "cart"), 0);
        h.processElement(ev("other", "u2", 2, "web", "page_view"), 0);
        h.prepareSnapshotPreBarrier(1);

        Map<String, Event> out = byId(h.extractOutputValues());
        assertThat(out.get("view-1").property("order.product"))
                .as("before the order")
                .isNull();
        assertThat(out.get("view-2").property("order.product")).isEqualTo("p1");
        assertThat(out.get("other").property("order.product"))
                .as("another user's")
                .isNull();
        assertThat(out.get("view-2").funnelIds).containsExactly("repeat");
        assertThat(out.get("view-2").funnelSteps).containsExactly(2);
        assertThat(store().hashes.get("user:u1").keySet())
                .as("one field per joined version")
                .anyMatch(f -> f.startsWith("j:order:"));
        assertThat(store().hashes.keySet())
                .as("no key besides the users' hashes")
                .containsOnly("user:u1", "user:u2");
    }

    @Test
    void aLateGiverAsksForTheJoinedValuesOfTheRowsReceivedBeforeItToBeCorrectedWithTheirTags() throws Exception {
        step.topic().publish(new FunnelUpdate("repeat", 0, 0, REPEAT));
        OneInputStreamOperatorTestHarness<Event, Event> h = harness(10, ORDER_JOIN, Duration.ofDays(30));
        h.processElement(ev("view", "u1", 0, "web", "page_view"), 0);
        h.processElement(ev("cart", "u1", 2, "web", "cart"), 0);
        h.prepareSnapshotPreBarrier(1);
        assertThat(byId(h.extractOutputValues()).get("cart").property("order.product"))
                .isNull();

        h.processElement(ev("order", "u1", 1, "backend", "order", "product", "p1"), 0); // came after the cart
        h.prepareSnapshotPreBarrier(2);

        List<SessionCorrection> corrections = new ArrayList<>();
        h.getSideOutput(UserStepOperator.CORRECTIONS).forEach(r -> corrections.add(r.getValue()));
        assertThat(corrections).hasSize(1);
        SessionCorrection c = corrections.get(0);
        assertThat(c.events).isEqualTo(3);
        assertThat(c.funnels).containsExactly(REPEAT);
        assertThat(c.joined)
                .as("the web events from the order's time to the newest received before it hold its product")
                .containsExactly(new JoinedFix(
                        T0 + 60_000L,
                        T0 + 2 * 60_000L,
                        "backend",
                        new String[] {"web"},
                        new String[] {"order.product"},
                        new String[] {"p1"}));
    }

    @Test
    void batchesCostOneReadOfNewUsersAndACheckpointOneWriteWithSessionsJoinsAndFunnelsAllOn() throws Exception {
        step.topic().publish(new FunnelUpdate("repeat", 0, 0, REPEAT));
        OneInputStreamOperatorTestHarness<Event, Event> h = harness(500, ORDER_JOIN, Duration.ofDays(30));
        for (int i = 0; i < 5000; i++) {
            h.processElement(
                    ev(
                            "e" + i,
                            "u" + (i % 100),
                            i / 100,
                            i % 7 == 0 ? "backend" : "web",
                            i % 7 == 0 ? "order" : "page_view",
                            "product",
                            "p" + (i % 3)),
                    0);
        }
        assertThat(h.extractOutputValues()).hasSize(5000);
        // 10 batches: the first reads its (new) users; later batches find their users cached.
        assertThat(store().calls.get()).isEqualTo(1);
        h.prepareSnapshotPreBarrier(1);
        assertThat(store().calls.get())
                .as("the 100 users' changes in one write")
                .isEqualTo(2);
    }

    @Test
    void joinedValuesOlderThanTheirTtlAreNotCarriedAndAreDeleted() throws Exception {
        Event order = ev("order", "u1", 0, "backend", "order", "product", "p1");
        JoinedValues.Version version = new JoinedValues.Version(
                order.eventTime, "order", List.of("order.product"), List.of("p1"), "u1", order.kafkaTimestamp);
        byte[] joined = JoinedValues.encode(version);
        long writtenLongAgo = System.currentTimeMillis() - Duration.ofDays(2).toMillis();
        UserHistory history = new UserHistory();
        new SessionAssigner(SessionRules.defaults()).assign("u1", history, List.of(order));
        Map<String, byte[]> fields = new HashMap<>();
        fields.put("h", history.headerField());
        fields.putAll(history.changedSessionFields(true));
        fields.put(
                "j:order:" + version.field(),
                ByteBuffer.allocate(8 + joined.length)
                        .putLong(writtenLongAgo)
                        .put(joined)
                        .array());
        store().hashes.put("user:u1", new HashMap<>(fields));

        OneInputStreamOperatorTestHarness<Event, Event> h = harness(10, ORDER_JOIN, Duration.ofDays(1));
        h.processElement(ev("view", "u1", 5, "web", "page_view"), 0);
        h.prepareSnapshotPreBarrier(1);
        assertThat(h.extractOutputValues().get(0).property("order.product")).isNull();
        assertThat(lastWriteOf("u1").delete()).containsExactly("j:order:" + version.field());
        assertThat(h.extractOutputValues().get(0).sessionIndex)
                .as("the history itself was read")
                .isEqualTo(1);
    }

    @Test
    void aUserStoredByTheOlderLayoutKeepsSessionsTagsAndJoinedValuesAndMovesIntoTheHash() throws Exception {
        // What the separate session, funnel and join steps wrote: one value per user, per session, per rule and key.
        Event view = ev("view-1", "u1", 0, "web", "page_view");
        Event order = ev("order", "u1", 1, "backend", "order", "product", "p1");
        UserHistory history = new UserHistory();
        new SessionAssigner(SessionRules.defaults()).assign("u1", history, List.of(view, order));
        String session = history.sessionIds().get(0);
        FunnelVersions versions = new FunnelVersions();
        versions.add(new FunnelUpdate("repeat", 0, 0, REPEAT));
        SessionFunnels progress = SessionFunnels.fromBytes(null);
        view.sessionIndex = 0;
        new FunnelTracker().process(progress, view, versions.activeAt(view.kafkaTimestamp), new ArrayList<>());
        store().values.put("session:u1", history.toBytes());
        store().values.put("funnel:" + session, progress.toBytes());
        store().values.put("join:order:u1", OlderJoinedValues.of(order.eventTime, "order", "order.product", "p1"));
        step.topic().publish(new FunnelUpdate("repeat", 0, 0, REPEAT));

        OneInputStreamOperatorTestHarness<Event, Event> h = harness(10, ORDER_JOIN, Duration.ofDays(30));
        h.processElement(ev("view-1", "u1", 0, "web", "page_view"), 0); // a replay
        h.processElement(ev("view-2", "u1", 2, "web", "cart"), 0);
        h.prepareSnapshotPreBarrier(1);

        Map<String, Event> out = byId(h.extractOutputValues());
        assertThat(out.get("view-1").sessionId).isEqualTo(session);
        assertThat(out.get("view-1").sessionIndex).isZero();
        assertThat(out.get("view-1").funnelSteps).as("its recorded tag").containsExactly(1);
        assertThat(out.get("view-2").sessionIndex).isEqualTo(2);
        assertThat(out.get("view-2").property("order.product")).isEqualTo("p1");
        assertThat(out.get("view-2").funnelSteps).containsExactly(2);
        assertThat(store().hashes.get("user:u1"))
                .containsOnlyKeys(
                        "h",
                        "s:" + session,
                        "i:" + session,
                        "f:" + session,
                        "j:order:" + order.eventTime + ":order",
                        "t");
        assertThat(store().values).as("the older keys are left to expire").containsKey("session:u1");

        // A new task reads the hash, not the older values.
        store().values.clear();
        OneInputStreamOperatorTestHarness<Event, Event> next = harness(10, ORDER_JOIN, Duration.ofDays(30));
        next.processElement(ev("view-2", "u1", 2, "web", "cart"), 0);
        next.prepareSnapshotPreBarrier(1);
        Event again = next.extractOutputValues().get(0);
        assertThat(again.sessionId + "/" + again.sessionIndex + "/" + again.funnelSteps[0])
                .isEqualTo(session + "/2/2");
    }
}
