package io.clickstream.etl.user;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.clickstream.etl.event.Event;
import io.clickstream.etl.redis.RedisErrors;
import io.clickstream.etl.session.SessionCorrection;
import io.clickstream.etl.session.SessionRow;
import io.clickstream.etl.session.SessionRules;
import io.clickstream.etl.testing.FakeHashStore;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.streaming.api.watermark.Watermark;
import org.apache.flink.streaming.util.OneInputStreamOperatorTestHarness;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import redis.clients.jedis.exceptions.JedisConnectionException;
import redis.clients.jedis.exceptions.JedisDataException;

/** The sessions part of the per-user step: ids, numbers, indexes and rows, batching and Redis failures. */
class UserStepSessionsTest {
    @RegisterExtension
    final UserStepFixture step = new UserStepFixture();

    private FakeHashStore store() {
        return step.store();
    }

    private OneInputStreamOperatorTestHarness<Event, Event> harness(int batchSize) throws Exception {
        return harness(batchSize, SessionRules.defaults());
    }

    private OneInputStreamOperatorTestHarness<Event, Event> harness(int batchSize, SessionRules rules)
            throws Exception {
        return harness(batchSize, rules, 1000);
    }

    private OneInputStreamOperatorTestHarness<Event, Event> harness(int batchSize, SessionRules rules, int cacheSize)
            throws Exception {
        return harness(batchSize, rules, cacheSize, 1000);
    }

    private OneInputStreamOperatorTestHarness<Event, Event> harness(int batchSize, OperatorSubtaskState restore)
            throws Exception {
        return step.open(UserStepFixture.settings(batchSize), restore);
    }

    private OneInputStreamOperatorTestHarness<Event, Event> harness(
            int batchSize, SessionRules rules, int cacheSize, long maxBackoffMs) throws Exception {
        return step.open(
                UserStepFixture.settings(
                        rules, null, batchSize, cacheSize, Duration.ofDays(30), Duration.ofMillis(maxBackoffMs)),
                null);
    }

    private static Event ev(String id, String user, long minute, String source) {
        Event e = new Event();
        e.eventId = id;
        e.userId = user;
        e.source = source;
        e.eventTime = 1_763_800_000_000L + minute * 60_000L;
        return e;
    }

    private static List<Event> stream(int events, int users) {
        List<Event> out = new ArrayList<>();
        for (int i = 0; i < events; i++) {
            out.add(ev("e" + i, "u" + (i % users), i / users, i % 3 == 0 ? "app" : "web"));
        }
        return out;
    }

    @Test
    void assignsInBatchesAndWritesEachChangedUserOncePerCheckpoint() throws Exception {
        OneInputStreamOperatorTestHarness<Event, Event> h = harness(500);
        List<Event> input = stream(5000, 200);
        for (Event e : input) {
            h.processElement(e, 0);
        }

        List<Event> out = h.extractOutputValues();
        assertThat(out).hasSize(5000);
        assertThat(out).allSatisfy(e -> assertThat(e.sessionId).hasSize(16));
        // 10 batches: one read (only the first batch has uncached users), no write before the barrier.
        assertThat(store().calls.get()).isEqualTo(1);
        assertThat(store().hashes).isEmpty();

        h.prepareSnapshotPreBarrier(1);
        assertThat(store().calls.get())
                .as("the 200 users' changes in one write")
                .isEqualTo(2);
        assertThat(store().hashes).hasSize(200);
        h.prepareSnapshotPreBarrier(2);
        assertThat(store().calls.get()).as("nothing changed since").isEqualTo(2);
    }

    @Test
    void oneUsersEventsFromAllSourcesShareTheSession() throws Exception {
        OneInputStreamOperatorTestHarness<Event, Event> h = harness(10);
        h.processElement(ev("a", "u1", 0, "web"), 0);
        h.processElement(ev("b", "u1", 5, "app"), 0);
        h.processElement(ev("c", "u1", 9, "billing"), 0);
        h.prepareSnapshotPreBarrier(1);

        assertThat(h.extractOutputValues())
                .extracting(e -> e.sessionId)
                .containsOnly(h.extractOutputValues().get(0).sessionId);
        assertThat(h.extractOutputValues()).extracting(e -> e.sessionIndex).containsExactly(0, 1, 2);
    }

    @Test
    void emitsItsBatchBeforeTheCheckpointBarrier() throws Exception {
        OneInputStreamOperatorTestHarness<Event, Event> h = harness(1000);
        h.processElement(ev("a", "u1", 0, "web"), 0);
        h.processElement(ev("b", "u2", 0, "web"), 0);
        assertThat(h.extractOutputValues()).isEmpty();

        h.prepareSnapshotPreBarrier(7);

        assertThat(h.extractOutputValues()).extracting(e -> e.eventId).containsExactly("a", "b");
    }

    @Test
    void emitsAPartialBatchAfterTheBatchDelay() throws Exception {
        OneInputStreamOperatorTestHarness<Event, Event> h = harness(1000);
        h.setProcessingTime(0);
        h.processElement(ev("a", "u1", 0, "web"), 0);

        h.setProcessingTime(100);

        assertThat(h.extractOutputValues()).hasSize(1);
    }

    @Test
    void aRedisRefusalThatNoRetryMendsFailsTheJobWithWhatToFix() throws Exception {
        OneInputStreamOperatorTestHarness<Event, Event> h = harness(1);
        store().failure = () -> new JedisDataException("OOM command not allowed when used memory > 'maxmemory'.");
        store().failNext.set(1_000);

        assertThatThrownBy(() -> h.processElement(ev("a", "u1", 0, "web"), 0))
                .hasMessageContaining("OOM command not allowed")
                .hasMessageContaining("raise maxmemory");
        assertThat(store().failures.get()).as("failed at once, not retried").isEqualTo(1);
        assertThat(h.extractOutputValues()).isEmpty();
    }

    @Test
    void redisCallsThatKeepTimingOutFailTheJobButFewerAreRetried() throws Exception {
        OneInputStreamOperatorTestHarness<Event, Event> h = harness(1, SessionRules.defaults(), 1000, 100);
        store().failure = () -> new JedisConnectionException(new java.net.SocketTimeoutException("Read timed out"));
        store().failNext.set(RedisErrors.MAX_TIMEOUTS_IN_A_ROW - 1);
        h.processElement(ev("a", "u1", 0, "web"), 0);
        assertThat(h.extractOutputValues()).hasSize(1);

        store().failNext.set(1_000);
        h.processElement(ev("b", "u1", 1, "web"), 0); // cached: no call
        assertThatThrownBy(() -> h.prepareSnapshotPreBarrier(1)).hasMessageContaining("redis.timeout");
        assertThat(store().failures.get()).isEqualTo(2 * RedisErrors.MAX_TIMEOUTS_IN_A_ROW - 1);
        store().failNext.set(0); // the harness's close ends the input, which writes
    }

    @Test
    void retriesRedisUntilItAnswersAndNeverEmitsWithoutASession() throws Exception {
        OneInputStreamOperatorTestHarness<Event, Event> h = harness(2);
        store().failNext.set(3);
        h.processElement(ev("a", "u1", 0, "web"), 0);
        h.processElement(ev("b", "u1", 1, "web"), 0);

        assertThat(h.extractOutputValues())
                .hasSize(2)
                .allSatisfy(e -> assertThat(e.sessionId).isNotEmpty());
        assertThat(store().failures.get()).isEqualTo(3);
    }

    @Test
    void aRestartedTaskWithRedisAheadGivesTheSameSessions() throws Exception {
        List<Event> input = stream(600, 30);
        OneInputStreamOperatorTestHarness<Event, Event> first = harness(100);
        for (Event e : input) {
            first.processElement(e, 0);
        }
        first.prepareSnapshotPreBarrier(1);
        Map<String, String> firstAnswers = answers(first.extractOutputValues());

        // A new task (empty cache) reprocesses the second half, then everything, against the same store.
        OneInputStreamOperatorTestHarness<Event, Event> second = harness(64);
        for (Event e : stream(600, 30).subList(300, 600)) {
            second.processElement(e, 0);
        }
        for (Event e : stream(600, 30)) {
            second.processElement(e, 0);
        }
        second.prepareSnapshotPreBarrier(1);

        assertThat(second.extractOutputValues())
                .hasSize(900)
                .allSatisfy(e -> assertThat(answer(e)).isEqualTo(firstAnswers.get(e.eventId)));
    }

    private static Map<String, String> answers(List<Event> events) {
        Map<String, String> m = new HashMap<>();
        events.forEach(e -> m.put(e.eventId, answer(e)));
        return m;
    }

    private static String answer(Event e) {
        return e.sessionId + "/" + e.sessionNumber + "/" + e.sessionIndex;
    }

    /** Runs (id, minute) events for user u1 through the operator in batches of {@code batch}; returns id → session number. */
    private Map<String, Integer> numbers(SessionRules rules, int batch, Object... idAndMinute) throws Exception {
        OneInputStreamOperatorTestHarness<Event, Event> h = harness(batch, rules);
        for (int i = 0; i < idAndMinute.length; i += 2) {
            h.processElement(ev((String) idAndMinute[i], "u1", ((Number) idAndMinute[i + 1]).longValue(), "web"), 0);
        }
        h.prepareSnapshotPreBarrier(1);
        Map<String, Integer> out = new HashMap<>();
        h.extractOutputValues().forEach(e -> out.put(e.eventId, e.sessionNumber));
        return out;
    }

    @Test
    void aThirtyMinuteGapStartsANewSession() throws Exception {
        assertThat(numbers(SessionRules.defaults(), 10, "a", 0, "b", 29, "c", 59, "d", 60))
                .containsEntry("a", 1)
                .containsEntry("b", 1)
                .containsEntry("c", 2)
                .containsEntry("d", 2);
    }

    @Test
    void midnightInTheConfiguredZoneEndsASession() throws Exception {
        // Minute 0 is 2025-11-22T08:26:40Z; minute 933 is 23:59:40 UTC, minute 934 00:00:40 UTC the next day.
        SessionRules utcMidnight = new SessionRules(
                java.time.Duration.ofMinutes(30), java.time.ZoneOffset.UTC, null, java.time.Duration.ofHours(48), 100);
        assertThat(numbers(utcMidnight, 10, "before", 933, "after", 934))
                .containsEntry("before", 1)
                .containsEntry("after", 2);
        step.freshStore();
        assertThat(numbers(SessionRules.defaults(), 10, "before", 933, "after", 934))
                .containsEntry("after", 1);
    }

    @Test
    void maxLengthEndsALongSession() throws Exception {
        SessionRules oneHour = new SessionRules(
                java.time.Duration.ofMinutes(30),
                null,
                java.time.Duration.ofHours(1),
                java.time.Duration.ofHours(48),
                100);
        assertThat(numbers(oneHour, 100, "a", 0, "b", 20, "c", 40, "d", 60, "e", 61))
                .containsEntry("d", 1)
                .containsEntry("e", 2);
    }

    @Test
    void outOfOrderEventsLandInTheSameSessionsAsInOrderOnes() throws Exception {
        Map<String, Integer> inOrder = numbers(SessionRules.defaults(), 2, "a", 0, "b", 10, "c", 50, "d", 55, "e", 100);
        step.freshStore();
        Map<String, Integer> shuffled =
                numbers(SessionRules.defaults(), 2, "d", 55, "a", 0, "e", 100, "c", 50, "b", 10);

        assertThat(shuffled).isEqualTo(inOrder);
        assertThat(inOrder).containsEntry("b", 1).containsEntry("c", 2).containsEntry("e", 3);
    }

    @Test
    void emitsTheStateOfEverySessionABatchTouched() throws Exception {
        OneInputStreamOperatorTestHarness<Event, Event> h = harness(10);
        h.processElement(ev("a", "u1", 0, "web"), 0);
        h.processElement(ev("b", "u1", 5, "app"), 0);
        h.processElement(ev("c", "u2", 0, "web"), 0);
        h.processElement(ev("d", "u1", 100, "web"), 0);
        h.prepareSnapshotPreBarrier(1);

        List<SessionRow> rows = rows(h);
        assertThat(rows).hasSize(3);
        SessionRow first = rows.stream()
                .filter(r -> r.userId.equals("u1") && r.sessionNumber == 1)
                .findFirst()
                .orElseThrow();
        assertThat(first.events).isEqualTo(2);
        assertThat(first.sources).containsExactly("app", "web");
        assertThat(first.end - first.start).isEqualTo(5 * 60_000L);
    }

    @Test
    void aCacheTooSmallForTheBatchLosesNoHistory() throws Exception {
        OneInputStreamOperatorTestHarness<Event, Event> h = harness(50, SessionRules.defaults(), 1);
        List<Event> input = stream(200, 25); // 25 users, 8 events each, a minute apart: one session per user
        for (Event e : input) {
            h.processElement(e, 0);
        }
        h.prepareSnapshotPreBarrier(1);

        Map<String, java.util.Set<String>> sessionsByUser = new HashMap<>();
        for (Event e : h.extractOutputValues()) {
            sessionsByUser
                    .computeIfAbsent(e.userId, u -> new java.util.HashSet<>())
                    .add(e.sessionId);
        }
        assertThat(sessionsByUser)
                .hasSize(25)
                .allSatisfy((user, ids) -> assertThat(ids).hasSize(1));
        assertThat(h.extractOutputValues()).extracting(e -> e.sessionIndex).contains(7);
    }

    /** The rows written so far, after the end of input wrote every pending one. */
    private static List<SessionRow> rows(OneInputStreamOperatorTestHarness<Event, Event> h) throws Exception {
        h.endInput();
        return written(h);
    }

    private static List<SessionRow> written(OneInputStreamOperatorTestHarness<Event, Event> h) {
        List<SessionRow> rows = new ArrayList<>();
        var output = h.getSideOutput(UserStepOperator.SESSION_UPDATES);
        if (output != null) { // null until the first row
            output.forEach(r -> rows.add(r.getValue()));
        }
        return rows;
    }

    @Test
    void aLateEventBetweenTwoStoredSessionsMergesThemAndAsksForTheStoredRowsToBeCorrected() throws Exception {
        OneInputStreamOperatorTestHarness<Event, Event> h = harness(10);
        h.processElement(ev("a1", "u1", 0, "web"), 0);
        h.processElement(ev("a2", "u1", 20, "web"), 0);
        h.processElement(ev("b1", "u1", 60, "web"), 0);
        h.processElement(ev("b2", "u1", 80, "web"), 0);
        h.prepareSnapshotPreBarrier(1);
        Map<String, Event> first = new HashMap<>();
        h.extractOutputValues().forEach(e -> first.put(e.eventId, e));

        // Minute 45 borders both (25 min after the first, 15 before the second): they are one session now.
        h.processElement(ev("late", "u1", 45, "app"), 0);
        h.prepareSnapshotPreBarrier(2);

        Event late = h.extractOutputValues().get(4);
        assertThat(late.sessionId).isEqualTo(first.get("a1").sessionId);
        assertThat(late.sessionNumber).isEqualTo(1);
        assertThat(late.sessionIndex)
                .as("after the session's two earlier events")
                .isEqualTo(2);
        assertThat(h.getSideOutput(UserStepOperator.CORRECTIONS))
                .extracting(r -> r.getValue())
                .containsExactly(new SessionCorrection(
                        "u1",
                        first.get("a1").sessionId,
                        1,
                        ev("x", "u1", 0, "web").eventTime,
                        ev("x", "u1", 80, "web").eventTime,
                        5));
        List<SessionRow> rows = rows(h);
        SessionRow retired = rows.stream().filter(r -> r.retired).findFirst().orElseThrow();
        assertThat(retired.sessionId).isEqualTo(first.get("b1").sessionId);
        assertThat(retired.events).isEqualTo(2);
        SessionRow merged = rows.get(rows.size() - 1);
        assertThat(merged.sessionId).isEqualTo(first.get("a1").sessionId);
        assertThat(merged.events).isEqualTo(5);
        assertThat(merged.end).isEqualTo(ev("x", "u1", 80, "web").eventTime);
        assertThat(merged.sources).containsExactly("app", "web");
    }

    @Test
    void anUploadThreeDaysLateWhileTheUserIsActiveGetsOneSessionWithItsRow() throws Exception {
        OneInputStreamOperatorTestHarness<Event, Event> h = harness(10);
        long threeDays = 3 * 24 * 60;
        h.processElement(ev("now-1", "u1", threeDays, "web"), 0);
        h.processElement(ev("now-2", "u1", threeDays + 5, "web"), 0);
        h.prepareSnapshotPreBarrier(1);
        String active = h.extractOutputValues().get(0).sessionId;

        long written = ev("x", "u1", threeDays + 6, "web").eventTime;
        for (String id : List.of("old-1", "old-2", "old-3")) {
            Event old = ev(id, "u1", Integer.parseInt(id.substring(4)), "app");
            old.kafkaTimestamp = written;
            h.processElement(old, 0);
        }
        h.processElement(ev("now-3", "u1", threeDays + 7, "web"), 0);
        h.prepareSnapshotPreBarrier(2);

        Map<String, Event> out = new HashMap<>();
        h.extractOutputValues().forEach(e -> out.put(e.eventId, e));
        assertThat(List.of(out.get("old-2").sessionId, out.get("old-3").sessionId))
                .containsOnly(out.get("old-1").sessionId);
        assertThat(out.get("old-1").sessionNumber).isEqualTo(2);
        assertThat(out.get("now-3").sessionId).isEqualTo(active);
        assertThat(out.get("now-3").sessionIndex).isEqualTo(2);
        assertThat(rows(h))
                .filteredOn(r -> r.sessionId.equals(out.get("old-1").sessionId))
                .as("the late session has its row")
                .singleElement()
                .satisfies(r -> assertThat(r.events).isEqualTo(3));
    }

    @Test
    void aHistoryInAFormatThisVersionDoesNotKnowFailsTheJobAndStaysAsItWas() throws Exception {
        store().hashes.put("user:u1", new HashMap<>(Map.of("h", new byte[] {9, 0, 0, 0, 1})));
        OneInputStreamOperatorTestHarness<Event, Event> h = harness(10);
        h.processElement(ev("a", "u1", 0, "web"), 0);

        assertThatThrownBy(() -> h.prepareSnapshotPreBarrier(1))
                .hasMessageContaining("a user")
                .hasMessageContaining("unknown session header format 9")
                .hasMessageContaining("user:u1")
                .hasMessageContaining("Nothing was changed");
        assertThat(store().hashes.get("user:u1").get("h")).containsExactly(9, 0, 0, 0, 1);
        assertThat(store().writes).isEmpty();
        assertThat(h.extractOutputValues()).isEmpty();
    }

    @Test
    void aHistoryOfTheOlderLayoutInAFormatThisVersionDoesNotKnowFailsTheJobAndStaysAsItWas() throws Exception {
        store().values.put("session:u1", new byte[] {9, 0, 0, 0, 1});
        OneInputStreamOperatorTestHarness<Event, Event> h = harness(10);
        h.processElement(ev("a", "u1", 0, "web"), 0);

        assertThatThrownBy(() -> h.prepareSnapshotPreBarrier(1))
                .hasMessageContaining("a user")
                .hasMessageContaining("unknown session history format 9")
                .hasMessageContaining("session:u1")
                .hasMessageContaining("Nothing was changed");
        assertThat(store().hashes).isEmpty();
        assertThat(h.extractOutputValues()).isEmpty();
    }

    @Test
    void emitsEachUsersEventsInSessionIndexOrderEvenWhenTheyArrivedOutOfOrder() throws Exception {
        OneInputStreamOperatorTestHarness<Event, Event> h = harness(10);
        h.processElement(ev("late-but-later", "u1", 3, "backend"), 0);
        h.processElement(ev("first", "u1", 0, "web"), 0);
        h.processElement(ev("other", "u2", 1, "web"), 0);
        h.processElement(ev("second", "u1", 1, "web"), 0);
        h.prepareSnapshotPreBarrier(1);

        List<Event> u1 = h.extractOutputValues().stream()
                .filter(e -> e.userId.equals("u1"))
                .toList();
        assertThat(u1).extracting(e -> e.eventId).containsExactly("first", "second", "late-but-later");
        assertThat(u1).extracting(e -> e.sessionIndex).containsExactly(0, 1, 2);
    }

    @Test
    void aUsersSessionsInOneBatchLeaveInTimeOrderSoTheJoinsSeeGiversFirst() throws Exception {
        OneInputStreamOperatorTestHarness<Event, Event> h = harness(100);
        for (int s = 5; s >= 0; s--) { // six sessions, an hour apart, arriving newest first
            h.processElement(ev("s" + s + "-b", "u1", s * 60 + 1, "web"), 0);
            h.processElement(ev("s" + s + "-a", "u1", s * 60, "backend"), 0);
        }
        h.prepareSnapshotPreBarrier(1);

        List<Event> out = h.extractOutputValues();
        assertThat(out).extracting(e -> e.eventTime).isSorted();
        assertThat(out).extracting(e -> e.sessionNumber).containsExactly(1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6);
    }

    private static final long INTERVAL = 10_000; // session.update-interval of these harnesses

    @Test
    void aCatchUpWritesASessionsRowOnceTheWatermarkPassedItsEndNotAtEveryInterval() throws Exception {
        OneInputStreamOperatorTestHarness<Event, Event> h = harness(10);
        h.processElement(ev("a", "u1", 0, "web"), 0); // a day-old session, being caught up with
        h.setProcessingTime(INTERVAL);
        h.processElement(ev("b", "u1", 5, "web"), 0);
        h.setProcessingTime(2 * INTERVAL);
        assertThat(written(h)).as("still open in event time: its row waits").isEmpty();

        h.processWatermark(new Watermark(ev("x", "u1", 5 + 30, "web").eventTime));
        h.processElement(ev("c", "u2", 40, "web"), 0);
        h.setProcessingTime(3 * INTERVAL);
        assertThat(written(h))
                .as("the watermark passed its end plus the gap")
                .singleElement()
                .satisfies(r -> assertThat(r.events).isEqualTo(2));
    }

    @Test
    void aLiveSessionsRowIsWrittenEveryIntervalWhileItGoesOn() throws Exception {
        OneInputStreamOperatorTestHarness<Event, Event> h = harness(10);
        Event live = ev("live", "u1", 0, "web");
        live.eventTime = System.currentTimeMillis();
        h.processElement(live, 0);
        h.processElement(ev("old", "u2", 0, "web"), 0); // a day old, still open in event time
        h.setProcessingTime(INTERVAL); // the batch's rows start waiting
        h.processElement(ev("other", "u3", 1, "web"), 0); // the input is not quiet
        h.setProcessingTime(2 * INTERVAL);
        assertThat(written(h))
                .as("the live session's row, not the old one's")
                .singleElement()
                .satisfies(r -> assertThat(r.userId).isEqualTo("u1"));
    }

    @Test
    void aQuietInputWritesEveryPendingRow() throws Exception {
        OneInputStreamOperatorTestHarness<Event, Event> h = harness(10);
        h.processElement(ev("a", "u1", 0, "web"), 0);
        h.setProcessingTime(INTERVAL);
        assertThat(written(h)).isEmpty();
        h.setProcessingTime(2 * INTERVAL); // no event since the last tick
        assertThat(written(h)).hasSize(1);
    }

    @Test
    void pendingRowsAreWrittenBeforeTheBarrierOfTheCheckpointThatCommitsTheirEvents() throws Exception {
        OneInputStreamOperatorTestHarness<Event, Event> h = harness(10);
        h.processElement(ev("a", "u1", 0, "web"), 0);
        h.processElement(ev("b", "u2", 0, "web"), 0);
        assertThat(written(h)).as("waiting for the interval").isEmpty();
        h.prepareSnapshotPreBarrier(1);
        assertThat(written(h)).extracting(r -> r.userId).containsExactlyInAnyOrder("u1", "u2");
        OperatorSubtaskState snapshot = h.snapshot(1, 0);

        OneInputStreamOperatorTestHarness<Event, Event> restored = harness(10, snapshot);
        restored.endInput();
        assertThat(written(restored))
                .as("nothing held in the checkpoint to write twice")
                .isEmpty();
    }

    @Test
    void aSessionsRowShowsTheSessionAsItStandsWhenWrittenAndAWrittenRowStaysAsItWas() throws Exception {
        OneInputStreamOperatorTestHarness<Event, Event> h = harness(1); // a batch per event: three touch the session
        h.processElement(ev("a", "u1", 0, "web"), 0);
        h.processElement(ev("b", "u1", 5, "app"), 0);
        h.prepareSnapshotPreBarrier(1);
        h.processElement(ev("c", "u1", 10, "web"), 0);
        h.prepareSnapshotPreBarrier(2);

        List<SessionRow> rows = written(h);
        assertThat(rows).extracting(r -> r.events).containsExactly(2, 3);
        assertThat(rows.get(0).end - rows.get(0).start).isEqualTo(5 * 60_000L);
        assertThat(rows.get(0).sources).containsExactly("app", "web");
        assertThat(rows.get(1).end - rows.get(1).start).isEqualTo(10 * 60_000L);
        assertThat(rows).extracting(r -> r.sessionId).containsOnly(rows.get(0).sessionId);
    }

    @Test
    void sessionRowsHeldInTheStateOfAnEarlierReleaseAreWrittenAfterItsRestore() throws Exception {
        SessionRow held = new SessionRow();
        held.sessionId = "s1";
        held.userId = "u1";
        held.events = 3;
        OneInputStreamOperatorTestHarness<Event, Event> earlier =
                new OneInputStreamOperatorTestHarness<>(new HoldingSessionRows(held));
        earlier.setup();
        earlier.open();
        OperatorSubtaskState snapshot = earlier.snapshot(1, 0);
        earlier.close();

        OneInputStreamOperatorTestHarness<Event, Event> restored = harness(10, snapshot);
        restored.prepareSnapshotPreBarrier(2);
        assertThat(written(restored))
                .singleElement()
                .satisfies(r -> assertThat(r.sessionId + "/" + r.events).isEqualTo("s1/3"));
    }

    /** The operator state an earlier release of the per-user step checkpointed: session rows waiting to be written. */
    private static final class HoldingSessionRows
            extends org.apache.flink.streaming.api.operators.AbstractStreamOperator<Event>
            implements org.apache.flink.streaming.api.operators.OneInputStreamOperator<Event, Event> {
        private final SessionRow row;

        HoldingSessionRows(SessionRow row) {
            this.row = row;
        }

        @Override
        public void initializeState(org.apache.flink.runtime.state.StateInitializationContext context)
                throws Exception {
            super.initializeState(context);
            context.getOperatorStateStore()
                    .getListState(new org.apache.flink.api.common.state.ListStateDescriptor<>(
                            "pending-session-rows",
                            org.apache.flink.api.common.typeinfo.TypeInformation.of(SessionRow.class)))
                    .update(List.of(row));
        }

        @Override
        public void processElement(org.apache.flink.streaming.runtime.streamrecord.StreamRecord<Event> element) {}
    }

    @Test
    void anEventDeliveredAgainFromAnotherPositionIsDroppedAndCountedWhileAReplayIsWrittenAgain() throws Exception {
        OneInputStreamOperatorTestHarness<Event, Event> h = harness(1);
        Event first = ev("e1", "u1", 0, "web");
        first.kafkaTopic = "clickstream-web";
        first.kafkaOffset = 10;
        h.processElement(first, 0);
        Event replayed = ev("e1", "u1", 0, "web");
        replayed.kafkaTopic = "clickstream-web";
        replayed.kafkaOffset = 10;
        h.processElement(replayed, 0);
        Event resent = ev("e1", "u1", 0, "web");
        resent.kafkaTopic = "clickstream-web";
        resent.kafkaOffset = 11;
        h.processElement(resent, 0);
        h.processElement(ev("e2", "u1", 1, "web"), 0);
        assertThat(h.extractOutputValues())
                .extracting(e -> e.eventId + "@" + e.kafkaOffset + ":" + e.sessionIndex)
                .containsExactly("e1@10:0", "e1@10:0", "e2@0:1");
    }
}
