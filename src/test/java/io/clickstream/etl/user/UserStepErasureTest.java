package io.clickstream.etl.user;

import static org.assertj.core.api.Assertions.assertThat;

import io.clickstream.etl.event.Event;
import io.clickstream.etl.session.SessionRow;
import io.clickstream.etl.testing.FakeErasureList;
import io.clickstream.etl.testing.FakeHashStore;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.streaming.util.OneInputStreamOperatorTestHarness;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Erasures in the per-user step: an erased user's inputs up to the erasure are left out whatever the timing, the
 * user comes back as a new user with a whole record, and the step acknowledges an erasure only once nothing it
 * emitted before can still be written.
 */
class UserStepErasureTest {
    /** Record times (the clock erasures compare with) are minutes after this. */
    private static final long T0 =
            System.currentTimeMillis() - Duration.ofHours(2).toMillis();

    @RegisterExtension
    final UserStepFixture step = new UserStepFixture();

    private FakeHashStore store() {
        return step.store();
    }

    private FakeErasureList erasures() {
        return step.erasures();
    }

    private static long at(long minute) {
        return T0 + minute * 60_000L;
    }

    /** An event published at {@code minute}, timed then too unless {@code eventMinute} says otherwise. */
    private static Event ev(String id, String user, long minute) {
        return ev(id, user, minute, minute);
    }

    private static Event ev(String id, String user, long eventMinute, long publishedMinute) {
        Event e = new Event();
        e.eventId = id;
        e.userId = user;
        e.source = "web";
        e.eventType = "page_view";
        e.url = "https://shop.example.com/" + id;
        e.eventTime = at(eventMinute);
        e.kafkaTimestamp = at(publishedMinute);
        return e;
    }

    private static List<SessionRow> rows(OneInputStreamOperatorTestHarness<Event, Event> h) {
        List<SessionRow> rows = new ArrayList<>();
        var output = h.getSideOutput(UserStepOperator.SESSION_UPDATES);
        if (output != null) {
            output.forEach(r -> rows.add(r.getValue()));
        }
        return rows;
    }

    @Test
    void aUserErasedWhileAnEventReloadedTheOldRecordComesBackAsANewUserWithAWholeRecord() throws Exception {
        // The sequence that crash-looped the job: an event, the erasure read, an event after the erasure (which
        // reloaded the old hash into the cache), the hash deleted by tools.Erase, another event, then a fresh task on
        // the same store loads the user.
        OneInputStreamOperatorTestHarness<Event, Event> h = step.open(UserStepFixture.settings(1), null);
        h.processElement(ev("a1", "u1", 0), 0);
        erasures().publish("u1", at(10));
        h.processElement(ev("a2", "u1", 11), 0);
        h.prepareSnapshotPreBarrier(1);
        assertThat(store().hashes).containsKey("user:u1");
        store().hashes.remove("user:u1"); // tools.Erase, or a manual DEL
        h.processElement(ev("a3", "u1", 12), 0);
        h.prepareSnapshotPreBarrier(2);
        assertThat(store().hashes.get("user:u1"))
                .as("written whole again, not as the one field the batch changed")
                .containsKeys("h", "t");

        OneInputStreamOperatorTestHarness<Event, Event> fresh = step.open(UserStepFixture.settings(1), null);
        fresh.processElement(ev("a4", "u1", 13), 0);

        List<Event> out = h.extractOutputValues();
        assertThat(out)
                .extracting(e -> e.eventId + ":" + e.sessionNumber + ":" + e.sessionIndex)
                .containsExactly("a1:1:0", "a2:1:0", "a3:1:1");
        assertThat(out.get(1).sessionId)
                .as("within the 30-minute gap of a1, yet a session of its own: a new user")
                .isNotEqualTo(out.get(0).sessionId);
        Event a4 = fresh.extractOutputValues().get(0);
        assertThat(a4.sessionId + ":" + a4.sessionIndex).isEqualTo(out.get(1).sessionId + ":2");
    }

    @Test
    void aStoredRecordFromBeforeTheErasureIsTakenForANewUsersAndReplacedWhole() throws Exception {
        OneInputStreamOperatorTestHarness<Event, Event> h = step.open(UserStepFixture.settings(1), null);
        h.processElement(ev("a1", "u1", 0), 0);
        h.prepareSnapshotPreBarrier(1);
        h.close();
        String oldSession = h.extractOutputValues().get(0).sessionId;
        erasures().publish("u1", at(10));

        // A restarted job, before tools.Erase deleted anything: the old record is still in Redis.
        OneInputStreamOperatorTestHarness<Event, Event> next = step.open(UserStepFixture.settings(1), null);
        next.processElement(ev("a0", "u1", 0, 5), 0); // a replay: left out
        next.processElement(ev("b1", "u1", 11), 0);
        next.prepareSnapshotPreBarrier(1);
        assertThat(next.extractOutputValues()).extracting(e -> e.eventId).containsExactly("b1");
        Event b1 = next.extractOutputValues().get(0);
        assertThat(b1.sessionNumber).isEqualTo(1);
        assertThat(b1.sessionId).isNotEqualTo(oldSession);
        assertThat(store().hashes.get("user:u1").keySet())
                .as("nothing of the old session is left in the record")
                .noneMatch(f -> f.contains(oldSession));
        assertThat(new String(store().hashes.get("user:u1").get("t"), java.nio.charset.StandardCharsets.US_ASCII))
                .isEqualTo(Long.toString(at(11)));
        assertThat(store().deleteUpTo("user:u1", at(10), List.of()))
                .as("tools.Erase's delete keeps a record the user started after the erasure")
                .isFalse();
    }

    @Test
    void anEventPublishedAfterTheErasureButTimedBeforeItIsANewStartNotLeftOut() throws Exception {
        OneInputStreamOperatorTestHarness<Event, Event> h = step.open(UserStepFixture.settings(1), null);
        erasures().publish("u1", at(10));
        h.processElement(ev("late-upload", "u1", 3, 11), 0); // timed before, published after
        h.processElement(ev("replayed", "u1", 3, 9), 0); // published before: erased
        assertThat(h.extractOutputValues()).extracting(e -> e.eventId).containsExactly("late-upload");
    }

    @Test
    void pendingSessionRowsFromBeforeTheErasureAreDroppedAlsoAfterARestoreOfAnOlderCheckpoint() throws Exception {
        OneInputStreamOperatorTestHarness<Event, Event> h = step.open(UserStepFixture.settings(1), null);
        h.processElement(ev("a1", "u1", 0), 0);
        h.processElement(ev("b1", "u2", 0), 0);
        OperatorSubtaskState beforeErasure = h.snapshot(1, 0);
        erasures().publish("u1", at(10));
        h.processElement(ev("b2", "u2", 11), 0);
        h.endInput();
        assertThat(rows(h)).extracting(r -> r.userId).containsOnly("u2");

        // Restored from the checkpoint taken before the erasure: its pending row of u1 must not be written.
        OneInputStreamOperatorTestHarness<Event, Event> restored =
                step.open(UserStepFixture.settings(1), beforeErasure);
        restored.endInput();
        assertThat(rows(restored)).extracting(r -> r.userId).containsOnly("u2");
    }

    @Test
    void acknowledgesAnErasureOnlyAfterACheckpointThatFollowedItCompleted() throws Exception {
        OneInputStreamOperatorTestHarness<Event, Event> h = step.open(UserStepFixture.settings(1), null);
        assertThat(erasures().acked("sessions"))
                .as("known to tools.Erase from the start")
                .isZero();
        h.processElement(ev("a1", "u1", 0), 0);
        long version = erasures().publish("u1", at(10));
        h.snapshot(1, 0); // taken before the step read the erasure
        h.processElement(ev("b1", "u2", 11), 0); // the step applies the list with its next batch
        h.notifyOfCompletedCheckpoint(1);
        assertThat(erasures().acked("sessions")).isLessThan(version);
        h.snapshot(2, 0);
        assertThat(erasures().acked("sessions")).isLessThan(version);
        h.notifyOfCompletedCheckpoint(2);
        assertThat(erasures().acked("sessions")).isEqualTo(version);
    }

    @Test
    void eventsWaitWhileTheErasureListIsBehindByMoreThanTheLead() throws Exception {
        OneInputStreamOperatorTestHarness<Event, Event> h = step.open(UserStepFixture.settings(1), null);
        long now = System.currentTimeMillis();
        erasures().stall(now - Duration.ofHours(2).toMillis()); // read last two hours ago; the lead is one hour
        Event live = ev("live", "u1", 0);
        live.kafkaTimestamp = now;
        CompletableFuture<Void> processed = CompletableFuture.runAsync(() -> {
            try {
                h.processElement(live, 0);
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        Thread.sleep(300);
        assertThat(processed)
                .as("waits, never processes it with what it may have to forget")
                .isNotDone();
        erasures().publish("u1", now);
        erasures().stall(null);
        processed.get(10, TimeUnit.SECONDS);
        assertThat(h.extractOutputValues())
                .as("the erasure read in the meantime covers it")
                .isEmpty();
    }

    @Test
    void aRecordWhoseKeyVanishedBehindTheCacheIsWrittenWholeNeverPartly() throws Exception {
        OneInputStreamOperatorTestHarness<Event, Event> h = step.open(UserStepFixture.settings(1), null);
        h.processElement(ev("a1", "u1", 0), 0);
        h.processElement(ev("a2", "u1", 1), 0);
        h.prepareSnapshotPreBarrier(1);
        store().hashes.remove("user:u1"); // expired, evicted
        h.processElement(ev("a3", "u1", 2), 0);
        h.prepareSnapshotPreBarrier(2);

        OneInputStreamOperatorTestHarness<Event, Event> fresh = step.open(UserStepFixture.settings(1), null);
        fresh.processElement(ev("a4", "u1", 3), 0);
        assertThat(fresh.extractOutputValues().get(0).sessionIndex)
                .as("the whole session came back from the cache")
                .isEqualTo(3);
    }
}
