package io.clickstream.etl.eventtime;

import static org.assertj.core.api.Assertions.assertThat;

import io.clickstream.etl.event.Event;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.apache.flink.api.common.state.ListState;
import org.apache.flink.api.common.state.ListStateDescriptor;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.runtime.state.KeyGroupRangeAssignment;
import org.apache.flink.runtime.state.VoidNamespace;
import org.apache.flink.runtime.state.VoidNamespaceSerializer;
import org.apache.flink.streaming.api.operators.AbstractStreamOperator;
import org.apache.flink.streaming.api.operators.InternalTimer;
import org.apache.flink.streaming.api.operators.InternalTimerService;
import org.apache.flink.streaming.api.operators.OneInputStreamOperator;
import org.apache.flink.streaming.api.operators.Triggerable;
import org.apache.flink.streaming.api.watermark.Watermark;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.runtime.watermarkstatus.WatermarkStatus;
import org.apache.flink.streaming.util.AbstractStreamOperatorTestHarness;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class EventTimeOrderTest {
    private static final long T = 1_800_000_000_000L;
    private static final long MIN = 60_000L;
    private static final int MAX_PARALLELISM = 128;
    private static final EventTimeSettings SETTINGS = new EventTimeSettings(
            Duration.ofMillis(500), Duration.ofSeconds(2), Duration.ofMinutes(1), Duration.ofMillis(200), true);

    private final List<KeyedOneInputStreamOperatorTestHarness<String, Event, Event>> harnesses = new ArrayList<>();

    @AfterEach
    void closeAll() throws Exception {
        for (KeyedOneInputStreamOperatorTestHarness<String, Event, Event> h : harnesses) {
            h.close();
        }
    }

    private KeyedOneInputStreamOperatorTestHarness<String, Event, Event> harness(OperatorSubtaskState restored)
            throws Exception {
        KeyedOneInputStreamOperatorTestHarness<String, Event, Event> h =
                new KeyedOneInputStreamOperatorTestHarness<>(new EventTimeOrder(SETTINGS), e -> e.userId, Types.STRING);
        harnesses.add(h);
        if (restored != null) {
            h.initializeState(restored);
        }
        h.open();
        return h;
    }

    private static Event ev(String id, String user, long time) {
        Event e = new Event();
        e.eventId = id;
        e.userId = user;
        e.eventTime = time;
        return e;
    }

    private static void send(KeyedOneInputStreamOperatorTestHarness<String, Event, Event> h, Event... events)
            throws Exception {
        for (Event e : events) {
            h.processElement(e, e.eventTime);
        }
    }

    private static List<String> ids(KeyedOneInputStreamOperatorTestHarness<String, Event, Event> h) {
        return h.extractOutputValues().stream().map(e -> e.eventId).toList();
    }

    @Test
    void eventsWaitForTheWatermarkAndLeaveInTimeOrderWhateverOrderTheyCameIn() throws Exception {
        KeyedOneInputStreamOperatorTestHarness<String, Event, Event> h = harness(null);
        send(
                h,
                ev("u1-3", "u1", T + 3 * MIN),
                ev("u1-1", "u1", T + MIN),
                ev("u2-2", "u2", T + 2 * MIN),
                ev("u1-2", "u1", T + 2 * MIN));
        assertThat(ids(h)).as("nothing before the watermark").isEmpty();

        h.processWatermark(new Watermark(T + 2 * MIN));
        assertThat(ids(h)).containsExactlyInAnyOrder("u1-1", "u1-2", "u2-2");
        assertThat(ids(h).stream().filter(id -> id.startsWith("u1")).toList()).containsExactly("u1-1", "u1-2");

        h.processWatermark(new Watermark(T + 3 * MIN));
        assertThat(ids(h)).endsWith("u1-3").hasSize(4);
    }

    @Test
    void equalTimesLeaveInEventIdOrder() throws Exception {
        KeyedOneInputStreamOperatorTestHarness<String, Event, Event> h = harness(null);
        send(h, ev("c", "u1", T), ev("a", "u1", T), ev("b", "u1", T));
        h.processWatermark(new Watermark(T));

        assertThat(ids(h)).containsExactly("a", "b", "c");
    }

    @Test
    void anEventTheWatermarkPassedAlreadyLeavesAtOnceAndCountsAsLate() throws Exception {
        KeyedOneInputStreamOperatorTestHarness<String, Event, Event> h = harness(null);
        send(h, ev("on-time", "u1", T + 10 * MIN));
        h.processWatermark(new Watermark(T + 5 * MIN));
        send(h, ev("late", "u1", T + 4 * MIN));

        assertThat(ids(h)).containsExactly("late");
        assertThat(((EventTimeOrder) h.getOperator()).lateEvents()).isEqualTo(1);
    }

    @Test
    void heldEventsAreInTheCheckpointAndLeaveAfterARestore() throws Exception {
        KeyedOneInputStreamOperatorTestHarness<String, Event, Event> first = harness(null);
        send(first, ev("a", "u1", T + MIN), ev("b", "u2", T + 2 * MIN));
        first.processWatermark(new Watermark(T + MIN));
        OperatorSubtaskState snapshot = first.snapshot(1, 1);
        assertThat(ids(first)).containsExactly("a");

        KeyedOneInputStreamOperatorTestHarness<String, Event, Event> restored = harness(snapshot);
        assertThat(ids(restored)).isEmpty();
        restored.processWatermark(new Watermark(T + 2 * MIN));
        assertThat(ids(restored)).containsExactly("b");
    }

    @Test
    void anEventStampedFarAheadWaitsWhileTheUsersEarlierEventsPass() throws Exception {
        KeyedOneInputStreamOperatorTestHarness<String, Event, Event> h = harness(null);
        send(h, ev("future", "u1", T + 50 * MIN), ev("now-1", "u1", T), ev("now-2", "u1", T + MIN));
        h.processWatermark(new Watermark(T + 2 * MIN));
        assertThat(ids(h)).containsExactly("now-1", "now-2");

        send(h, ev("now-3", "u1", T + 3 * MIN));
        h.processWatermark(new Watermark(T + 50 * MIN));
        assertThat(ids(h)).containsExactly("now-1", "now-2", "now-3", "future");
    }

    @Test
    void whileTheWholeInputIsQuietTheWallClockReleasesWhatIsDueAndOnlyThoseUsersCountLaterOlderEventsAsLate()
            throws Exception {
        KeyedOneInputStreamOperatorTestHarness<String, Event, Event> h = harness(null);
        long now = System.currentTimeMillis();
        h.setProcessingTime(0);
        send(h, ev("past", "u1", now - 10_000), ev("ahead", "u1", now + 3_600_000), ev("other", "u2", now - 20_000));
        h.processWatermark(new Watermark(now - 60_000));
        h.setProcessingTime(3_000);
        assertThat(ids(h)).as("input active: only the watermark releases").isEmpty();

        h.processWatermarkStatus(WatermarkStatus.IDLE);
        h.setProcessingTime(3_200);
        assertThat(ids(h)).containsExactlyInAnyOrder("past", "other");

        send(h, ev("older-than-released", "u1", now - 15_000), ev("old-flush", "u3", now - 30_000));
        assertThat(ids(h))
                .as("u1's older event is late; u3's old event still waits to be put in order")
                .endsWith("older-than-released")
                .doesNotContain("old-flush");
        assertThat(((EventTimeOrder) h.getOperator()).lateEvents()).isEqualTo(1);

        h.setProcessingTime(3_400);
        assertThat(ids(h))
                .as("an arrival less than the idle timeout ago: no stand-in yet")
                .doesNotContain("old-flush");
        h.setProcessingTime(5_400);
        h.setProcessingTime(5_600);
        assertThat(ids(h)).contains("old-flush").doesNotContain("ahead");
    }

    @Test
    void afterARescaleEachHeldEventLeavesFromItsUsersTaskOnce() throws Exception {
        KeyedOneInputStreamOperatorTestHarness<String, Event, Event> one = new KeyedOneInputStreamOperatorTestHarness<>(
                new EventTimeOrder(SETTINGS), e -> e.userId, Types.STRING, MAX_PARALLELISM, 1, 0);
        harnesses.add(one);
        one.open();
        List<Event> sent = new ArrayList<>();
        for (int u = 0; u < 20; u++) {
            sent.add(ev("e" + u, "user-" + u, T + u * MIN));
        }
        send(one, sent.toArray(Event[]::new));
        OperatorSubtaskState snapshot = one.snapshot(1, 1);

        List<String> released = new ArrayList<>();
        for (int subtask = 0; subtask < 2; subtask++) {
            OperatorSubtaskState part = AbstractStreamOperatorTestHarness.repartitionOperatorState(
                    snapshot, MAX_PARALLELISM, 1, 2, subtask);
            KeyedOneInputStreamOperatorTestHarness<String, Event, Event> h =
                    new KeyedOneInputStreamOperatorTestHarness<>(
                            new EventTimeOrder(SETTINGS), e -> e.userId, Types.STRING, MAX_PARALLELISM, 2, subtask);
            harnesses.add(h);
            h.initializeState(part);
            h.open();
            h.processWatermark(new Watermark(T + 30 * MIN));
            for (Event e : h.extractOutputValues()) {
                assertThat(KeyGroupRangeAssignment.assignKeyToParallelOperator(e.userId, MAX_PARALLELISM, 2))
                        .as("released by the task that owns its user")
                        .isEqualTo(subtask);
                released.add(e.eventId);
            }
        }
        assertThat(released)
                .containsExactlyInAnyOrderElementsOf(
                        sent.stream().map(e -> e.eventId).toList());
    }

    @Test
    void aSnapshotOfTheLayoutBeforeTheQueueRestoresAndReleasesEachEventOnce() throws Exception {
        KeyedOneInputStreamOperatorTestHarness<String, Event, Event> before =
                new KeyedOneInputStreamOperatorTestHarness<>(new PreviousLayout(), e -> e.userId, Types.STRING);
        harnesses.add(before);
        before.open();
        send(before, ev("a", "u1", T + MIN), ev("b", "u1", T + 2 * MIN), ev("c", "u2", T + 3 * MIN));
        OperatorSubtaskState snapshot = before.snapshot(1, 1);

        KeyedOneInputStreamOperatorTestHarness<String, Event, Event> restored = harness(snapshot);
        restored.processWatermark(new Watermark(T + 2 * MIN));
        assertThat(ids(restored)).containsExactly("a", "b");
        restored.processWatermark(new Watermark(T + 10 * MIN));
        assertThat(ids(restored))
                .as("the old timers fire without releasing anything again")
                .containsExactly("a", "b", "c");

        OperatorSubtaskState next = restored.snapshot(2, 2);
        KeyedOneInputStreamOperatorTestHarness<String, Event, Event> again = harness(next);
        again.processWatermark(new Watermark(T + 20 * MIN));
        assertThat(ids(again))
                .as("the layout before is gone from the next snapshot")
                .isEmpty();
    }

    /** What the previous release kept: each held event in keyed state, the user's next release and its timer. */
    private static final class PreviousLayout extends AbstractStreamOperator<Event>
            implements OneInputStreamOperator<Event, Event>, Triggerable<Object, VoidNamespace> {
        private transient ListState<Event> held;
        private transient ValueState<Long> next;
        private transient InternalTimerService<VoidNamespace> timers;

        @Override
        public void open() throws Exception {
            super.open();
            held = getPartitionedState(new ListStateDescriptor<>("held-events", TypeInformation.of(Event.class)));
            next = getPartitionedState(new ValueStateDescriptor<>("next-release", Types.LONG));
            timers = getInternalTimerService("event-time-order", VoidNamespaceSerializer.INSTANCE, this);
        }

        @Override
        public void processElement(StreamRecord<Event> element) throws Exception {
            held.add(element.getValue());
            Long armed = next.value();
            if (armed == null || element.getValue().eventTime < armed) {
                next.update(element.getValue().eventTime);
                timers.registerEventTimeTimer(VoidNamespace.INSTANCE, element.getValue().eventTime);
            }
        }

        @Override
        public void onEventTime(InternalTimer<Object, VoidNamespace> timer) {}

        @Override
        public void onProcessingTime(InternalTimer<Object, VoidNamespace> timer) {}
    }
}
