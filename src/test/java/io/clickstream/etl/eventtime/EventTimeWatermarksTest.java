package io.clickstream.etl.eventtime;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.apache.flink.api.common.eventtime.Watermark;
import org.apache.flink.api.common.eventtime.WatermarkOutput;
import org.apache.flink.util.clock.RelativeClock;
import org.junit.jupiter.api.Test;

class EventTimeWatermarksTest {
    private static final long NOW = 1_800_000_000_000L;
    private static final EventTimeSettings SETTINGS = new EventTimeSettings(
            Duration.ofMillis(500), Duration.ofSeconds(2), Duration.ofMinutes(1), Duration.ofMillis(200), true);

    /** An element: event time and record time; a dead letter has event time Long.MIN_VALUE. */
    record El(long eventTime, long recordTime) {}

    private static final EventTimeWatermarks.Times<El> TIMES = new EventTimeWatermarks.Times<>() {
        @Override
        public long eventTime(El e) {
            return e.eventTime;
        }

        @Override
        public long watermarkTime(El e) {
            return e.eventTime == Long.MIN_VALUE ? Long.MIN_VALUE : Math.min(e.eventTime, e.recordTime);
        }
    };

    /** The source's activity clock: stands still while the source is back-pressured or paused. */
    private static final class ActivityClock implements RelativeClock {
        long nanos;
        boolean paused;

        void advance(Duration d) {
            if (!paused) {
                nanos += d.toNanos();
            }
        }

        @Override
        public long relativeTimeMillis() {
            return nanos / 1_000_000;
        }

        @Override
        public long relativeTimeNanos() {
            return nanos;
        }
    }

    private static final class Output implements WatermarkOutput {
        final List<Long> watermarks = new ArrayList<>();
        boolean idle;

        @Override
        public void emitWatermark(Watermark watermark) {
            watermarks.add(watermark.getTimestamp());
            idle = false;
        }

        @Override
        public void markIdle() {
            idle = true;
        }

        @Override
        public void markActive() {
            idle = false;
        }

        Long last() {
            return watermarks.isEmpty() ? null : watermarks.get(watermarks.size() - 1);
        }
    }

    private final ActivityClock activity = new ActivityClock();
    private long wall = NOW;
    private final EventTimeWatermarks<El> generator = new EventTimeWatermarks<>(SETTINGS, TIMES, activity, () -> wall);
    private final Output out = new Output();

    private void event(long eventTime, long recordTime) {
        generator.onEvent(new El(eventTime, recordTime), eventTime, out);
    }

    @Test
    void aBoundedRunReadsWithoutAlignmentAndAnUnboundedOneWithIt() {
        io.clickstream.etl.config.JobConfig bounded =
                io.clickstream.etl.config.JobConfig.of(java.util.Map.of("kafka.bounded", "true"));
        io.clickstream.etl.config.JobConfig unbounded = io.clickstream.etl.config.JobConfig.of(java.util.Map.of());

        assertThat(EventTimeWatermarks.strategy(EventTimeSettings.from(bounded), TIMES)
                        .getAlignmentParameters()
                        .isEnabled())
                .isFalse();
        assertThat(EventTimeWatermarks.strategy(EventTimeSettings.from(unbounded), TIMES)
                        .getAlignmentParameters())
                .satisfies(p -> {
                    assertThat(p.isEnabled()).isTrue();
                    assertThat(p.getMaxAllowedWatermarkDrift()).isEqualTo(60_000L);
                });
    }

    @Test
    void theWatermarkTrailsTheNewestEventTimeByTheBound() {
        event(NOW - 10_000, NOW);
        event(NOW - 12_000, NOW);
        generator.onPeriodicEmit(out);

        assertThat(out.last()).isEqualTo(NOW - 10_000 - 500 - 1);
    }

    @Test
    void anEventStampedAheadOfItsRecordMovesTheWatermarkOnlyToTheRecordTime() {
        event(NOW - 60_000, NOW - 59_000);
        event(NOW + 3_600_000, NOW - 58_000); // a phone an hour ahead
        generator.onPeriodicEmit(out);

        assertThat(out.last()).isEqualTo(NOW - 58_000 - 501);
    }

    @Test
    void theWatermarkNeverPassesTheWallClock() {
        event(NOW + 3_600_000, NOW + 3_600_000); // the producer's clock is wrong too
        generator.onPeriodicEmit(out);

        assertThat(out.last()).isEqualTo(NOW - 501);
    }

    @Test
    void deadLettersNeitherMoveTheWatermarkNorKeepAPartitionAwake() {
        event(NOW - 10_000, NOW);
        generator.onPeriodicEmit(out);
        for (int i = 0; i < 30; i++) {
            activity.advance(Duration.ofMillis(200));
            event(Long.MIN_VALUE, NOW);
            generator.onPeriodicEmit(out);
        }

        assertThat(out.watermarks).containsOnly(NOW - 10_501);
        assertThat(out.idle).as("6 s of dead letters only: idle").isTrue();
    }

    @Test
    void aQuietPartitionIsIdleAfterTheTimeoutAndItsNextEventWakesIt() {
        event(NOW - 10_000, NOW);
        generator.onPeriodicEmit(out);
        activity.advance(Duration.ofMillis(1900));
        generator.onPeriodicEmit(out);
        assertThat(out.idle).isFalse();

        activity.advance(Duration.ofMillis(200));
        generator.onPeriodicEmit(out);
        assertThat(out.idle).isTrue();

        event(NOW - 9_000, NOW); // its next event: active again at once
        generator.onPeriodicEmit(out);
        assertThat(out.idle).isFalse();
        assertThat(out.last()).isEqualTo(NOW - 9_501);
    }

    @Test
    void aPartitionThatDeliveredNothingYetHoldsTheOthersBackForTheFirstRecordGrace() {
        generator.onPeriodicEmit(out);
        activity.advance(Duration.ofSeconds(9));
        generator.onPeriodicEmit(out);
        assertThat(out.idle)
                .as("a slow first fetch must not let the others run ahead")
                .isFalse();
        assertThat(out.watermarks).isEmpty();

        activity.advance(Duration.ofSeconds(2));
        generator.onPeriodicEmit(out);
        assertThat(out.idle)
                .as("an empty partition stops holding the others back")
                .isTrue();
    }

    @Test
    void aBackPressuredOrPausedPartitionNeverLooksIdle() {
        event(NOW - 10_000, NOW);
        generator.onPeriodicEmit(out);
        activity.paused = true;
        for (int i = 0; i < 100; i++) {
            activity.advance(Duration.ofMillis(200));
            generator.onPeriodicEmit(out);
        }

        assertThat(out.idle).isFalse();
        assertThat(out.last()).isEqualTo(NOW - 10_501);
    }

    /** Times whose records' publish times count for event-time.max-source-delay. */
    private static final EventTimeWatermarks.Times<El> LIVE_TIMES = new EventTimeWatermarks.Times<>() {
        @Override
        public long eventTime(El e) {
            return TIMES.eventTime(e);
        }

        @Override
        public long watermarkTime(El e) {
            return TIMES.watermarkTime(e);
        }

        @Override
        public long publishTime(El e) {
            return e.recordTime;
        }
    };

    @Test
    void aSourceWhoseEventsAreAllAnHourLateHoldsTheWatermarkBackUnlessItsDelayIsBounded() {
        // Without a bound (the default): the partition's watermark stays an hour back, and with it (alignment, the
        // minimum over partitions) every other topic's events.
        EventTimeWatermarks<El> unbounded = new EventTimeWatermarks<>(SETTINGS, LIVE_TIMES, activity, () -> wall);
        unbounded.onEvent(new El(NOW - 3_600_000, NOW), NOW - 3_600_000, out);
        unbounded.onPeriodicEmit(out);
        assertThat(out.last()).isEqualTo(NOW - 3_600_000 - 500 - 1);

        EventTimeSettings bounded = new EventTimeSettings(
                Duration.ofMillis(500),
                Duration.ofSeconds(2),
                Duration.ofMinutes(1),
                Duration.ofMillis(200),
                true,
                Duration.ofSeconds(30));
        EventTimeWatermarks<El> late = new EventTimeWatermarks<>(bounded, LIVE_TIMES, activity, () -> wall);
        late.onEvent(new El(NOW - 3_600_000, NOW), NOW - 3_600_000, out);
        late.onPeriodicEmit(out);
        assertThat(out.last()).as("30 s behind what it published, not an hour").isEqualTo(NOW - 30_000 - 1);

        // A catch-up: records published long ago too; the bound does not touch it.
        EventTimeWatermarks<El> backlog = new EventTimeWatermarks<>(bounded, LIVE_TIMES, activity, () -> wall);
        backlog.onEvent(new El(NOW - 7_200_000, NOW - 7_199_000), NOW - 7_200_000, out);
        backlog.onPeriodicEmit(out);
        assertThat(out.last()).isEqualTo(NOW - 7_200_000 - 500 - 1);
    }
}
