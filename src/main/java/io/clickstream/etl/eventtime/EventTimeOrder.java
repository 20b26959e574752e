package io.clickstream.etl.eventtime;

import io.clickstream.etl.event.Event;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import org.apache.flink.api.common.state.ListState;
import org.apache.flink.api.common.state.ListStateDescriptor;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.runtime.state.VoidNamespace;
import org.apache.flink.runtime.state.VoidNamespaceSerializer;
import org.apache.flink.streaming.api.operators.AbstractStreamOperator;
import org.apache.flink.streaming.api.operators.InternalTimer;
import org.apache.flink.streaming.api.operators.InternalTimerService;
import org.apache.flink.streaming.api.operators.OneInputStreamOperator;
import org.apache.flink.streaming.api.operators.Triggerable;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.runtime.watermarkstatus.WatermarkStatus;

/**
 * Puts each user's events in event-time order before they get sessions and funnel tags. Runs after
 * keyBy(user_id): an event waits in Flink keyed state (checkpointed with the Kafka offsets) until the watermark
 * passes its time, then leaves with the user's other due events in (time, event id) order. The session and funnel
 * steps after it therefore see the order of the events' times, not the order in which partitions of different
 * topics happened to be read.
 *
 * <p>An event that arrives when the watermark has already passed its time (later than
 * event-time.max-out-of-orderness, or from a partition that was idle) leaves at once and is counted as late. While
 * the whole input is idle (every partition quiet) no watermark comes, so the last events before a pause would wait
 * for the next event; once nothing has arrived for the idle timeout, the wall clock minus the bound stands in for the
 * watermark for the events held then. What it released counts per user (an older event of that user arriving
 * afterwards is late), not as a watermark for everyone: old events produced after the pause, such as a producer's
 * late flush, are still put in order. An event stamped ahead of the wall clock waits until its time: released
 * earlier, it would open a session before events that happened before it.
 */
public class EventTimeOrder extends AbstractStreamOperator<Event>
        implements OneInputStreamOperator<Event, Event>, Triggerable<Object, VoidNamespace> {
    private static final long serialVersionUID = 1L;

    static final ListStateDescriptor<Event> HELD =
            new ListStateDescriptor<>("held-events", TypeInformation.of(Event.class));
    private static final ValueStateDescriptor<Long> NEXT = new ValueStateDescriptor<>("next-release", Types.LONG);
    /** The latest time the wall-clock stand-in released for the user, until the watermark passes it. */
    private static final ValueStateDescriptor<Long> STOOD_IN = new ValueStateDescriptor<>("stood-in", Types.LONG);

    private static final Comparator<Event> ORDER =
            Comparator.<Event>comparingLong(e -> e.eventTime).thenComparing(e -> e.eventId);
    /** How often an idle input's stand-in watermark moves on. */
    static final long STAND_IN_INTERVAL_MS = 200;

    private final long boundMs;
    private final long idleMs;

    private transient ListState<Event> held;
    private transient ValueState<Long> nextRelease;
    private transient ValueState<Long> stoodIn;
    private transient InternalTimerService<VoidNamespace> timers;
    private transient StreamRecord<Event> reuse;
    private transient boolean inputIdle;
    private transient long lastArrivalMs;
    private transient long heldCount;
    private transient Counter lateEvents;

    public EventTimeOrder(EventTimeSettings settings) {
        this.boundMs = settings.maxOutOfOrderness().toMillis();
        this.idleMs = settings.idleTimeout().toMillis();
    }

    @Override
    public void open() throws Exception {
        super.open();
        held = getPartitionedState(HELD);
        nextRelease = getPartitionedState(NEXT);
        stoodIn = getPartitionedState(STOOD_IN);
        timers = getInternalTimerService("event-time-order", VoidNamespaceSerializer.INSTANCE, this);
        reuse = new StreamRecord<>(null);
        // Restored events count as held too (the gauge would go negative otherwise).
        getKeyedStateBackend()
                .applyToAllKeys(
                        VoidNamespace.INSTANCE,
                        VoidNamespaceSerializer.INSTANCE,
                        HELD,
                        (key, state) -> state.get().forEach(e -> heldCount++));
        MetricGroup metrics = getMetricGroup().addGroup("eventTime");
        lateEvents = metrics.counter("lateEvents");
        metrics.gauge("heldEvents", () -> heldCount);
        metrics.gauge("watermarkLagMs", () -> {
            long watermark = timers.currentWatermark();
            return watermark == Long.MIN_VALUE ? -1L : Math.max(0, System.currentTimeMillis() - watermark);
        });
        scheduleStandIn();
    }

    @Override
    public void processElement(StreamRecord<Event> element) throws Exception {
        Event e = element.getValue();
        lastArrivalMs = getProcessingTimeService().getCurrentProcessingTime();
        long watermark = timers.currentWatermark();
        Long released = stoodIn.value();
        if (e.eventTime <= watermark || (released != null && e.eventTime <= released)) {
            lateEvents.inc();
            Long next = nextRelease.value();
            if (next != null && next <= watermark) {
                releaseDue(watermark); // its timer for this watermark has not fired yet: keep the user's order
            }
            emit(e);
            return;
        }
        held.add(e);
        heldCount++;
        Long next = nextRelease.value();
        if (next == null || e.eventTime < next) {
            if (next != null) {
                timers.deleteEventTimeTimer(VoidNamespace.INSTANCE, next);
            }
            timers.registerEventTimeTimer(VoidNamespace.INSTANCE, e.eventTime);
            nextRelease.update(e.eventTime);
        }
    }

    @Override
    public void onEventTime(InternalTimer<Object, VoidNamespace> timer) throws Exception {
        long watermark = timers.currentWatermark();
        releaseDue(watermark);
        Long released = stoodIn.value();
        if (released != null && released <= watermark) {
            stoodIn.clear(); // the watermark says as much now
        }
    }

    @Override
    public void onProcessingTime(InternalTimer<Object, VoidNamespace> timer) {
        // none registered: the stand-in runs on the processing-time service, not per key
    }

    @Override
    public void processWatermarkStatus(WatermarkStatus status) throws Exception {
        inputIdle = status.isIdle();
        super.processWatermarkStatus(status);
    }

    private void scheduleStandIn() {
        long now = getProcessingTimeService().getCurrentProcessingTime();
        getProcessingTimeService().registerTimer(now + STAND_IN_INTERVAL_MS, t -> {
            if (inputIdle && t - lastArrivalMs >= idleMs) {
                long limit = System.currentTimeMillis() - boundMs - 1;
                getKeyedStateBackend()
                        .applyToAllKeys(
                                VoidNamespace.INSTANCE,
                                VoidNamespaceSerializer.INSTANCE,
                                HELD,
                                (key, state) -> standIn(limit));
            }
            scheduleStandIn();
        });
    }

    /** Releases the current user's events up to {@code limit} for the idle input, remembering how far it went. */
    private void standIn(long limit) throws Exception {
        long released = releaseDue(limit);
        if (released != Long.MIN_VALUE) {
            Long before = stoodIn.value();
            stoodIn.update(before == null ? released : Math.max(before, released));
            timers.registerEventTimeTimer(VoidNamespace.INSTANCE, released); // to forget it once the watermark passes
        }
    }

    /**
     * Emits the current user's held events up to {@code limit} in order and arms the timer for the rest; returns
     * the latest time emitted (Long.MIN_VALUE for none).
     */
    private long releaseDue(long limit) throws Exception {
        Iterable<Event> all = held.get();
        if (all == null) {
            return Long.MIN_VALUE;
        }
        List<Event> due = new ArrayList<>();
        List<Event> rest = new ArrayList<>();
        long restMin = Long.MAX_VALUE;
        for (Event e : all) {
            if (e.eventTime <= limit) {
                due.add(e);
            } else {
                rest.add(e);
                restMin = Math.min(restMin, e.eventTime);
            }
        }
        if (due.isEmpty()) {
            return Long.MIN_VALUE;
        }
        due.sort(ORDER);
        for (Event e : due) {
            emit(e);
        }
        heldCount -= due.size();
        Long armed = nextRelease.value();
        if (rest.isEmpty()) {
            held.clear();
            nextRelease.clear();
        } else {
            held.update(rest);
            if (armed == null || armed != restMin) {
                timers.registerEventTimeTimer(VoidNamespace.INSTANCE, restMin);
                nextRelease.update(restMin);
            }
        }
        if (armed != null && (rest.isEmpty() || armed != restMin)) {
            timers.deleteEventTimeTimer(VoidNamespace.INSTANCE, armed); // fired already, or released by the stand-in
        }
        return due.get(due.size() - 1).eventTime;
    }

    long lateEvents() {
        return lateEvents.getCount();
    }

    private void emit(Event e) {
        output.collect(reuse.replace(e, e.eventTime));
    }
}
