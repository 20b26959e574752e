package io.clickstream.etl.eventtime;

import io.clickstream.etl.event.Event;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.Set;
import java.util.stream.Stream;
import org.apache.flink.api.common.state.ListState;
import org.apache.flink.api.common.state.ListStateDescriptor;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.runtime.state.StateSnapshotContext;
import org.apache.flink.runtime.state.VoidNamespace;
import org.apache.flink.runtime.state.VoidNamespaceSerializer;
import org.apache.flink.streaming.api.operators.AbstractStreamOperator;
import org.apache.flink.streaming.api.operators.InternalTimer;
import org.apache.flink.streaming.api.operators.OneInputStreamOperator;
import org.apache.flink.streaming.api.operators.Triggerable;
import org.apache.flink.streaming.api.watermark.Watermark;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.runtime.watermarkstatus.WatermarkStatus;

/**
 * Puts each user's events in event-time order before they get sessions and funnel tags. Runs after
 * keyBy(user_id): an event waits until the watermark passes its time, then leaves with the other due events in
 * (time, event id) order. The session and funnel steps after it therefore see the order of the events' times, not
 * the order in which partitions of different topics happened to be read.
 *
 * <p>The waiting events are one queue per parallel task, not keyed state with a timer per user: a user rarely has two
 * events in one watermark step, so keyed state and timers would cost several state operations per event for
 * nothing. At a checkpoint the queue is written into keyed state ({@code held-events}, by user), so a savepoint
 * restores at another parallelism with each event at its user's task, and a savepoint of the layout before (keyed
 * state and a timer per user) restores too.
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
    /** The layout before the queue: a user's armed timer. Read from older savepoints only, to be cleared. */
    private static final ValueStateDescriptor<Long> NEXT = new ValueStateDescriptor<>("next-release", Types.LONG);
    /** The latest time the wall-clock stand-in released for the user, until the watermark passes it. */
    private static final ValueStateDescriptor<Long> STOOD_IN = new ValueStateDescriptor<>("stood-in", Types.LONG);

    private static final Comparator<Event> ORDER =
            Comparator.<Event>comparingLong(e -> e.eventTime).thenComparing(e -> e.eventId);
    /** How often an idle input's stand-in watermark moves on. */
    static final long STAND_IN_INTERVAL_MS = 200;

    private final long boundMs;
    private final long idleMs;

    private transient PriorityQueue<Event> queue;
    /** Users the stand-in released events of, and how far, until the watermark passes that. */
    private transient Map<String, Long> stoodIn;
    /** Users whose keyed state holds something: written by the last snapshot, or restored. */
    private transient Set<String> inKeyedState;

    private transient ListState<Event> held;
    private transient ValueState<Long> nextRelease;
    private transient ValueState<Long> stoodInState;
    private transient long watermark = Long.MIN_VALUE;
    private transient StreamRecord<Event> reuse;
    private transient boolean inputIdle;
    private transient long lastArrivalMs;
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
        stoodInState = getPartitionedState(STOOD_IN);
        queue = new PriorityQueue<>(ORDER);
        stoodIn = new HashMap<>();
        inKeyedState = new HashSet<>();
        restore();
        // The timers of a savepoint of the layout before fire into onEventTime, which has nothing left to do.
        getInternalTimerService("event-time-order", VoidNamespaceSerializer.INSTANCE, this);
        reuse = new StreamRecord<>(null);
        MetricGroup metrics = getMetricGroup().addGroup("eventTime");
        lateEvents = metrics.counter("lateEvents");
        metrics.gauge("heldEvents", () -> (long) queue.size());
        metrics.gauge("watermarkLagMs", () -> {
            long w = watermark;
            return w == Long.MIN_VALUE ? -1L : Math.max(0, System.currentTimeMillis() - w);
        });
        scheduleStandIn();
    }

    /** The restored keyed state (this task's key groups only) into the queue; it is cleared at the next snapshot. */
    private void restore() throws Exception {
        for (String user : keys(HELD.getName())) {
            setCurrentKey(user);
            Iterable<Event> events = held.get();
            if (events != null) {
                events.forEach(queue::add);
                inKeyedState.add(user);
            }
        }
        for (String user : keys(STOOD_IN.getName())) {
            setCurrentKey(user);
            Long released = stoodInState.value();
            if (released != null) {
                stoodIn.put(user, released);
            }
            inKeyedState.add(user);
        }
        inKeyedState.addAll(keys(NEXT.getName()));
    }

    private List<String> keys(String state) {
        List<String> out = new ArrayList<>();
        try (Stream<Object> keys = getKeyedStateBackend().getKeys(state, VoidNamespace.INSTANCE)) {
            keys.forEach(k -> out.add((String) k));
        }
        return out;
    }

    @Override
    public void snapshotState(StateSnapshotContext context) throws Exception {
        super.snapshotState(context);
        // Runs before the keyed state is snapshot: the queue goes in by user, what the last snapshot wrote goes out.
        for (String user : inKeyedState) {
            setCurrentKey(user);
            held.clear();
            stoodInState.clear();
            nextRelease.clear();
        }
        inKeyedState.clear();
        for (Event e : queue) {
            setCurrentKey(e.userId);
            held.add(e);
            inKeyedState.add(e.userId);
        }
        for (Map.Entry<String, Long> e : stoodIn.entrySet()) {
            setCurrentKey(e.getKey());
            stoodInState.update(e.getValue());
            inKeyedState.add(e.getKey());
        }
    }

    @Override
    public void processElement(StreamRecord<Event> element) throws Exception {
        Event e = element.getValue();
        lastArrivalMs = getProcessingTimeService().getCurrentProcessingTime();
        if (e.eventTime <= watermark
                || (!stoodIn.isEmpty() && e.eventTime <= stoodIn.getOrDefault(e.userId, Long.MIN_VALUE))) {
            // Everything of this user up to the watermark has left already (processWatermark releases before the
            // watermark moves on), so the late event still follows the user's earlier events.
            lateEvents.inc();
            emit(e);
            return;
        }
        queue.add(e);
    }

    @Override
    public void processWatermark(Watermark mark) throws Exception {
        watermark = mark.getTimestamp();
        while (!queue.isEmpty() && queue.peek().eventTime <= watermark) {
            emit(queue.poll());
        }
        if (!stoodIn.isEmpty()) {
            stoodIn.values().removeIf(released -> released <= watermark); // the watermark says as much now
        }
        super.processWatermark(mark);
    }

    @Override
    public void onEventTime(InternalTimer<Object, VoidNamespace> timer) {
        // a timer of the layout before: its events were released with the watermark that fired it
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
                standIn(System.currentTimeMillis() - boundMs - 1);
            }
            scheduleStandIn();
        });
    }

    /** Releases the held events up to {@code limit} for the idle input, remembering per user how far it went. */
    private void standIn(long limit) {
        while (!queue.isEmpty() && queue.peek().eventTime <= limit) {
            Event e = queue.poll();
            stoodIn.merge(e.userId, e.eventTime, Math::max);
            emit(e);
        }
    }

    long lateEvents() {
        return lateEvents.getCount();
    }

    private void emit(Event e) {
        output.collect(reuse.replace(e, e.eventTime));
    }
}
