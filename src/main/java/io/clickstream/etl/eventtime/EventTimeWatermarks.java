package io.clickstream.etl.eventtime;

import java.io.Serializable;
import java.util.function.LongSupplier;
import org.apache.flink.api.common.eventtime.TimestampAssigner;
import org.apache.flink.api.common.eventtime.TimestampAssignerSupplier;
import org.apache.flink.api.common.eventtime.Watermark;
import org.apache.flink.api.common.eventtime.WatermarkGenerator;
import org.apache.flink.api.common.eventtime.WatermarkGeneratorSupplier;
import org.apache.flink.api.common.eventtime.WatermarkOutput;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.util.clock.RelativeClock;

/**
 * The watermarks of one source split (a Kafka partition): bounded out-of-orderness over the event times, with
 * three guards a clickstream needs.
 * <ul>
 *   <li>An element vouches only for what its record time allows ({@link Times#watermarkTime}): a phone whose clock
 *       runs an hour ahead must not make every other event of the partition late. For the same reason the watermark
 *       never passes the wall clock.</li>
 *   <li>A partition without records for the idle timeout is marked idle, so a quiet topic does not stall the
 *       others; one that has delivered nothing yet gets {@link EventTimeSettings#FIRST_RECORD_GRACE} first. Both
 *       are measured on the source's activity clock, which stands still while the source is back-pressured or
 *       paused by watermark alignment, so a busy catch-up never looks idle.</li>
 *   <li>Elements that carry no event time (dead letters) neither move the watermark nor count as activity.</li>
 * </ul>
 */
public final class EventTimeWatermarks<T> implements WatermarkGenerator<T> {

    /** What the generator needs to know of an element. */
    public interface Times<T> extends Serializable {
        /** The element's timestamp in the stream. */
        long eventTime(T element);

        /** The event time this element proves the partition has reached, or Long.MIN_VALUE for none. */
        long watermarkTime(T element);

        /**
         * When this element was published, where event-time.max-source-delay bounds how far the partition's
         * watermark may stay behind it; Long.MIN_VALUE where it does not (history, dead letters).
         */
        default long publishTime(T element) {
            return Long.MIN_VALUE;
        }
    }

    /**
     * The strategy for a source: these watermarks per split, aligned across splits and readers unless the settings
     * say otherwise (a split whose watermark is more than max-drift ahead of the slowest is paused).
     */
    public static <T> WatermarkStrategy<T> strategy(EventTimeSettings settings, Times<T> times) {
        WatermarkStrategy<T> base = new WatermarkStrategy<>() {
            @Override
            public WatermarkGenerator<T> createWatermarkGenerator(WatermarkGeneratorSupplier.Context context) {
                return new EventTimeWatermarks<>(
                        settings, times, context.getInputActivityClock(), System::currentTimeMillis);
            }

            @Override
            public TimestampAssigner<T> createTimestampAssigner(TimestampAssignerSupplier.Context context) {
                return (element, recordTimestamp) -> times.eventTime(element);
            }
        };
        return settings.aligned()
                ? base.withWatermarkAlignment(
                        "clickstream-events", settings.maxDrift(), settings.alignmentUpdateInterval())
                : base;
    }

    private final EventTimeSettings settings;
    private final Times<T> times;
    private final RelativeClock activityClock;
    private final LongSupplier wallClock;
    private final long idleNanos;
    private final long firstRecordNanos;

    private long maxTime = Long.MIN_VALUE;
    /** The newest publish time seen where max-source-delay applies. */
    private long maxPublished = Long.MIN_VALUE;

    private long lastActivityNanos;
    private boolean idle;

    EventTimeWatermarks(
            EventTimeSettings settings, Times<T> times, RelativeClock activityClock, LongSupplier wallClock) {
        this.settings = settings;
        this.times = times;
        this.activityClock = activityClock;
        this.wallClock = wallClock;
        this.idleNanos = settings.idleTimeout().toNanos();
        this.firstRecordNanos = Math.max(idleNanos, EventTimeSettings.FIRST_RECORD_GRACE.toNanos());
        this.lastActivityNanos = activityClock.relativeTimeNanos();
    }

    @Override
    public void onEvent(T element, long eventTimestamp, WatermarkOutput output) {
        long time = times.watermarkTime(element);
        if (time != Long.MIN_VALUE) { // a partition of dead letters only would otherwise never go idle
            maxTime = Math.max(maxTime, time);
            lastActivityNanos = activityClock.relativeTimeNanos();
            maxPublished = Math.max(maxPublished, times.publishTime(element));
        }
    }

    @Override
    public void onPeriodicEmit(WatermarkOutput output) {
        long quietNanos = activityClock.relativeTimeNanos() - lastActivityNanos;
        if (quietNanos > (maxTime == Long.MIN_VALUE ? firstRecordNanos : idleNanos)) {
            if (!idle) {
                output.markIdle();
                idle = true;
            }
            return;
        }
        if (maxTime == Long.MIN_VALUE) {
            return; // nothing read yet: hold the others back until the grace runs out
        }
        long reached = maxTime;
        long delay = settings.maxSourceDelay().toMillis();
        if (delay > 0 && maxPublished != Long.MIN_VALUE) {
            // A source whose events are all late holds every topic back by that much: not beyond the bound.
            reached = Math.max(
                    reached, maxPublished - delay + settings.maxOutOfOrderness().toMillis());
        }
        // Emitted every period, also unchanged: an emitted watermark is what ends an idle spell.
        output.emitWatermark(new Watermark(settings.watermarkFor(Math.min(reached, wallClock.getAsLong()))));
        idle = false;
    }
}
