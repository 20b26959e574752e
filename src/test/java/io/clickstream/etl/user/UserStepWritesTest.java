package io.clickstream.etl.user;

import static org.assertj.core.api.Assertions.assertThat;

import io.clickstream.etl.event.Event;
import io.clickstream.etl.testing.FakeHashStore;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.streaming.util.OneInputStreamOperatorTestHarness;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * When the per-user step writes to Redis: while catching up a user's changes once per checkpoint (before its barrier),
 * live with each batch, and what a restore then sees. The reference for each case is a run without a failure, written
 * at its end. The generated streams are a year old by their Kafka timestamps: a backlog.
 */
class UserStepWritesTest {
    private static final long T0 = 1_763_800_000_000L;

    @RegisterExtension
    final UserStepFixture step = new UserStepFixture();

    private FakeHashStore store() {
        return step.store();
    }

    /**
     * {@code n} events of {@code users} users, each user's in time order, 0–49 minutes apart (so sessions end and
     * begin), from two sources; published as they happen.
     */
    private static List<Event> stream(int n, int users) {
        Random random = new Random(27);
        long[] minute = new long[users];
        List<Event> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            int u = random.nextInt(users);
            minute[u] += random.nextInt(50);
            Event e = new Event();
            e.eventId = "e" + i;
            e.userId = "u" + u;
            e.source = i % 3 == 0 ? "app" : "web";
            e.eventType = "page_view";
            e.eventTime = T0 + minute[u] * 60_000L;
            e.kafkaTimestamp = e.eventTime;
            e.kafkaTopic = "events";
            e.kafkaPartition = 0;
            e.kafkaOffset = i;
            out.add(e);
        }
        return out;
    }

    private OneInputStreamOperatorTestHarness<Event, Event> harness(int batchSize, int cacheSize) throws Exception {
        return harness(batchSize, cacheSize, null);
    }

    private OneInputStreamOperatorTestHarness<Event, Event> harness(
            int batchSize, int cacheSize, OperatorSubtaskState restore) throws Exception {
        UserStepSettings s = UserStepFixture.settings(
                io.clickstream.etl.session.SessionRules.defaults(),
                null,
                batchSize,
                cacheSize,
                java.time.Duration.ofDays(30),
                java.time.Duration.ofSeconds(1));
        return step.open(s, restore);
    }

    private static void process(OneInputStreamOperatorTestHarness<Event, Event> h, List<Event> events)
            throws Exception {
        for (Event e : events) {
            h.processElement(e, 0);
        }
    }

    private static Map<String, String> answers(List<Event> events) {
        Map<String, String> m = new TreeMap<>();
        events.forEach(e -> m.put(e.eventId, e.sessionId + "/" + e.sessionNumber + "/" + e.sessionIndex));
        return m;
    }

    /** The store's hashes with their values readable, to compare two stores field by field. */
    private Map<String, Map<String, String>> stored() {
        Map<String, Map<String, String>> out = new TreeMap<>();
        store().hashes.forEach((key, fields) -> {
            Map<String, String> f = new TreeMap<>();
            fields.forEach((name, value) -> f.put(name, Base64.getEncoder().encodeToString(value)));
            out.put(key, f);
        });
        return out;
    }

    /** The whole stream in one run, written at its end: the answers and what Redis holds. */
    private record Reference(Map<String, String> answers, Map<String, Map<String, String>> stored) {}

    private Reference reference(int n, int users) throws Exception {
        OneInputStreamOperatorTestHarness<Event, Event> h = harness(50, 1000);
        process(h, stream(n, users));
        h.prepareSnapshotPreBarrier(1);
        Reference r = new Reference(answers(h.extractOutputValues()), stored());
        step.freshStore();
        return r;
    }

    @Test
    void redisHoldsAUsersChangesFromTheNextCheckpointBarrierOnwardsOneWritePerUser() throws Exception {
        OneInputStreamOperatorTestHarness<Event, Event> h = harness(50, 1000);
        process(h, stream(400, 20));
        assertThat(h.extractOutputValues()).hasSize(400);
        assertThat(store().hashes).as("nothing written before the barrier").isEmpty();
        assertThat(store().calls.get()).as("reads of the new users only").isLessThanOrEqualTo(20);

        h.prepareSnapshotPreBarrier(1);

        assertThat(store().writes).hasSize(1);
        assertThat(store().writes.get(0)).hasSize(20);
        assertThat(store().hashes).hasSize(20);
    }

    @Test
    void aTaskRestoredFromItsCheckpointReplaysAgainstWhatTheBarrierWroteAndGivesTheSameAnswersAndState()
            throws Exception {
        Reference reference = reference(1200, 40);
        List<Event> input = stream(1200, 40); // the step sets the events' fields: each run its own

        OneInputStreamOperatorTestHarness<Event, Event> first = harness(50, 1000);
        process(first, input.subList(0, 500));
        first.prepareSnapshotPreBarrier(1); // as the task does before it takes the snapshot
        OperatorSubtaskState checkpoint = first.snapshot(1, 0);
        process(first, input.subList(500, 900)); // emitted, not written: the task then dies
        Map<String, String> firstAnswers = answers(first.extractOutputValues());
        assertThat(firstAnswers).hasSize(900);

        OneInputStreamOperatorTestHarness<Event, Event> restored = harness(64, 1000, checkpoint);
        process(restored, stream(1200, 40).subList(500, 1200)); // the source replays from the checkpoint's offsets
        restored.prepareSnapshotPreBarrier(2);

        Map<String, String> all = new TreeMap<>(firstAnswers);
        Map<String, String> replayed = answers(restored.extractOutputValues());
        replayed.forEach((id, a) -> {
            if (all.containsKey(id)) {
                assertThat(a).as("replayed event " + id).isEqualTo(all.get(id));
            }
        });
        all.putAll(replayed);
        assertThat(all).isEqualTo(reference.answers());
        assertThat(stored()).isEqualTo(reference.stored());
    }

    @Test
    void moreChangedUsersThanTheCacheHoldsAreWrittenAtOnceAndADroppedOneIsNotReadBackStale() throws Exception {
        Reference reference = reference(1500, 60);
        List<Event> input = stream(1500, 60);

        OneInputStreamOperatorTestHarness<Event, Event> h = harness(7, 10);
        process(h, input);
        assertThat(store().writes)
                .as("written before any barrier: more users waited than the cache holds")
                .isNotEmpty();
        h.prepareSnapshotPreBarrier(1);

        assertThat(answers(h.extractOutputValues())).isEqualTo(reference.answers());
        assertThat(stored()).isEqualTo(reference.stored());
    }

    @Test
    void aChangedUserTheCacheDroppedBeforeItsWriteKeepsItsStateNotWhatRedisHeld() throws Exception {
        OneInputStreamOperatorTestHarness<Event, Event> h = harness(1, 3);
        List<Event> input = stream(0, 1);
        String[] users = {"u1", "u1", "u2", "u3", "u4", "u2"};
        for (int i = 0; i < users.length; i++) {
            Event e = new Event();
            e.eventId = "e" + i;
            e.userId = users[i];
            e.source = "web";
            e.eventType = "page_view";
            e.eventTime = T0 + i * 60_000L;
            e.kafkaTimestamp = e.eventTime;
            input.add(e);
        }
        process(h, input.subList(0, 2));
        h.prepareSnapshotPreBarrier(1); // u1 written, and used again since it was cached: the cache keeps it
        process(h, input.subList(2, 5)); // u4 takes the place of u2, which was not used again; nothing written

        assertThat(store().hashes.keySet()).containsExactly("user:u1");
        process(h, input.subList(5, 6));
        List<Event> out = h.extractOutputValues();
        assertThat(out.get(5).sessionId + "/" + out.get(5).sessionIndex)
                .as("the second event of u2's session")
                .isEqualTo(out.get(2).sessionId + "/1");
    }

    /** Events of {@code users} users published now: a live stream. */
    private static List<Event> live(int users) {
        List<Event> out = new ArrayList<>();
        long now = System.currentTimeMillis();
        for (int u = 0; u < users; u++) {
            Event e = new Event();
            e.eventId = "live" + u;
            e.userId = "u" + u;
            e.source = "web";
            e.eventType = "page_view";
            e.eventTime = now - 1_000;
            e.kafkaTimestamp = now - 500;
            out.add(e);
        }
        return out;
    }

    @Test
    void liveEachBatchWritesItsUsersSoThatABarrierHasNothingLeftToWrite() throws Exception {
        OneInputStreamOperatorTestHarness<Event, Event> h = harness(10, 1000);
        process(h, live(30));
        assertThat(store().hashes).as("three batches, each written").hasSize(30);
        assertThat(store().writes).hasSize(3);

        h.prepareSnapshotPreBarrier(1);
        assertThat(store().writes).hasSize(3);
    }

    @Test
    void aHoldWritesLagOfZeroWaitsForTheBarrierAlsoLive() throws Exception {
        UserStepSettings s = UserStepFixture.settings(10, java.time.Duration.ZERO);
        OneInputStreamOperatorTestHarness<Event, Event> h = step.open(s, null);
        process(h, live(30));
        assertThat(store().hashes).isEmpty();

        h.prepareSnapshotPreBarrier(1);
        assertThat(store().hashes).hasSize(30);
    }

    @Test
    void aJobThatTakesNoCheckpointsWritesAMinuteAfterTheFirstChangeAtTheLatest() throws Exception {
        OneInputStreamOperatorTestHarness<Event, Event> h = harness(1, 1000);
        h.setProcessingTime(0);
        process(h, stream(5, 2));
        h.setProcessingTime(UserStepOperator.MAX_UNWRITTEN_MS - 200);
        assertThat(store().hashes).isEmpty();

        h.setProcessingTime(UserStepOperator.MAX_UNWRITTEN_MS + 200);

        assertThat(store().hashes).hasSize(2);
    }

    @Test
    void theEndOfInputWritesWhatWaits() throws Exception {
        OneInputStreamOperatorTestHarness<Event, Event> h = harness(100, 1000);
        process(h, stream(30, 3));
        h.endInput();
        Map<String, Integer> sessions = new HashMap<>();
        h.extractOutputValues().forEach(e -> sessions.merge(e.userId, 1, Integer::sum));
        assertThat(store().hashes.keySet())
                .containsExactlyInAnyOrderElementsOf(
                        sessions.keySet().stream().map(u -> "user:" + u).toList());
    }
}
