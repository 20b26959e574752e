package io.clickstream.etl.eventtime;

import static org.assertj.core.api.Assertions.assertThat;

import io.clickstream.etl.event.Event;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.streaming.api.watermark.Watermark;
import org.apache.flink.streaming.runtime.watermarkstatus.WatermarkStatus;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class EventTimeOrderTest {
    private static final long T = 1_800_000_000_000L;
    private static final long MIN = 60_000L;
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
}
