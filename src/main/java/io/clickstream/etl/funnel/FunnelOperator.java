package io.clickstream.etl.funnel;

import io.clickstream.etl.event.Event;
import io.clickstream.etl.redis.BatchingRedisOperator;
import io.clickstream.etl.redis.BlobStore;
import io.clickstream.etl.redis.StateCache;
import org.apache.flink.api.common.state.BroadcastState;
import org.apache.flink.api.common.state.MapStateDescriptor;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.metrics.Counter;
import org.apache.flink.runtime.state.StateInitializationContext;
import org.apache.flink.streaming.api.operators.TwoInputStreamOperator;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Tags events with the funnels they advance. Input 1: the events, still partitioned by user (one writer per
 * session). Input 2: the definitions topic, broadcast to every subtask and kept in broadcast state, so a restored
 * job knows them at once. Progress per session lives in Redis ({@code <prefix>:funnel:<session_id>}), read and
 * written once per batch like the sessions.
 *
 * <p>At start the operator also reads the definitions topic to its end ({@link Loader}), so that events are not
 * evaluated before the definitions published ahead of them have arrived through the broadcast input.
 */
public class FunnelOperator extends BatchingRedisOperator<Event, Event>
        implements TwoInputStreamOperator<Event, FunnelUpdate, Event> {
    private static final long serialVersionUID = 1L;
    private static final Logger LOG = LoggerFactory.getLogger(FunnelOperator.class);

    static final MapStateDescriptor<String, FunnelUpdate> DEFINITIONS = new MapStateDescriptor<>(
            "funnel-definitions", Types.STRING, TypeInformation.of(FunnelUpdate.class));

    /** Reads every record of the definitions topic that exists now. */
    @FunctionalInterface
    public interface Loader extends Serializable {
        List<FunnelUpdate> loadAll() throws Exception;
    }

    private final Loader loader;
    private final long stateTtlMs;
    private final long cacheSize;

    private transient FunnelVersions versions;
    private transient BroadcastState<String, FunnelUpdate> definitionState;
    private transient FunnelTracker tracker;
    private transient StateCache<String, SessionFunnels> cache;
    private transient Counter tagsGiven;
    private transient Counter replayedEvents;
    private transient Counter badDefinitions;

    public FunnelOperator(BlobStore.Factory storeFactory, Loader loader, int batchSize, long batchDelayMs,
                          long stateTtlMs, long cacheSize, long maxBackoffMs) {
        super("funnels", storeFactory, batchSize, batchDelayMs, maxBackoffMs);
        this.loader = loader;
        this.stateTtlMs = stateTtlMs;
        this.cacheSize = cacheSize;
    }

    @Override
    public void initializeState(StateInitializationContext context) throws Exception {
        super.initializeState(context);
        versions = new FunnelVersions();
        definitionState = context.getOperatorStateStore().getBroadcastState(DEFINITIONS);
        for (Map.Entry<String, FunnelUpdate> e : definitionState.entries()) {
            versions.add(e.getValue()); // stored only after it parsed once
        }
    }

    @Override
    public void open() throws Exception {
        super.open();
        tracker = new FunnelTracker();
        cache = new StateCache<>(cacheSize);
        tagsGiven = metrics().counter("tags");
        replayedEvents = metrics().counter("replayedEvents");
        badDefinitions = metrics().counter("badDefinitions");
        metrics().gauge("activeFunnels", () -> versions.current().size());
        List<FunnelUpdate> existing = loader.loadAll();
        for (FunnelUpdate u : existing) {
            apply(u);
        }
        LOG.info("Funnels at start: {} record(s) read, active: {}", existing.size(), versions.current());
    }

    @Override
    public void processElement1(StreamRecord<Event> element) throws Exception {
        add(element.getValue());
    }

    @Override
    public void processElement2(StreamRecord<FunnelUpdate> element) throws Exception {
        // Events buffered so far were published before this record was read; evaluate them with what was known.
        flush();
        apply(element.getValue());
    }

    private void apply(FunnelUpdate u) throws Exception {
        if (definitionState.contains(u.versionKey())) {
            return; // read at start and again through the broadcast input, or after a restore
        }
        try {
            for (FunnelVersions.Version dropped : versions.add(u)) {
                definitionState.remove(new FunnelUpdate(dropped.funnelId(), dropped.publishTime(), dropped.offset(), null).versionKey());
            }
            definitionState.put(u.versionKey(), u);
            LOG.info("Funnel {} {} (effective for events published from {})", u.funnelId,
                    u.definition == null ? "removed" : "defined", u.publishTime);
        } catch (IllegalArgumentException e) {
            // A bad definition must not stop the stream: the previous version stays in effect.
            badDefinitions.inc();
            LOG.warn("Ignoring funnel definition {} at offset {}: {}", u.funnelId, u.offset, e.getMessage());
        }
    }

    @Override
    protected void processBatch(List<Event> batch) throws Exception {
        if (versions.isEmpty()) {
            batch.forEach(this::emit); // nothing was ever defined: nothing to tag or remember
            return;
        }
        Map<String, List<Event>> bySession = new LinkedHashMap<>();
        for (Event e : batch) {
            bySession.computeIfAbsent(e.sessionId, s -> new ArrayList<>()).add(e);
        }
        // The batch works on its own map: the bounded cache drops entries while a batch puts more than it holds.
        Map<String, SessionFunnels> states = new LinkedHashMap<>();
        List<String> uncached = new ArrayList<>();
        for (String session : bySession.keySet()) {
            SessionFunnels cached = cache.getIfPresent(session);
            if (cached == null) {
                uncached.add(session);
            } else {
                states.put(session, cached);
            }
        }
        if (!uncached.isEmpty()) {
            List<byte[]> loaded = load(uncached);
            for (int i = 0; i < uncached.size(); i++) {
                states.put(uncached.get(i), read(uncached.get(i), loaded.get(i)));
            }
        }
        Map<String, byte[]> changed = new LinkedHashMap<>();
        bySession.forEach((session, events) -> {
            SessionFunnels state = states.get(session);
            events.sort(Comparator.comparingInt(e -> e.sessionIndex));
            boolean dirty = false;
            for (Event e : events) {
                if (e.sessionIndex <= state.maxIndex()) {
                    replayedEvents.inc();
                }
                List<SessionFunnels.Tag> tags = new ArrayList<>(2);
                dirty |= tracker.process(state, e, versions.activeAt(e.kafkaTimestamp), tags);
                tag(e, tags);
            }
            if (dirty) {
                changed.put(session, state.toBytes());
            }
            cache.put(session, state);
        });
        store(changed, stateTtlMs);
        batch.forEach(this::emit);
    }

    private void tag(Event e, List<SessionFunnels.Tag> tags) {
        e.funnelIds = new String[tags.size()];
        e.funnelSteps = new int[tags.size()];
        for (int i = 0; i < tags.size(); i++) {
            e.funnelIds[i] = tags.get(i).funnelId();
            e.funnelSteps[i] = tags.get(i).step();
        }
        tagsGiven.inc(tags.size());
    }

    private SessionFunnels read(String session, byte[] bytes) {
        try {
            return SessionFunnels.fromBytes(bytes);
        } catch (IllegalArgumentException e) {
            throw unreadable(session, "The funnel progress of session " + session, e);
        }
    }
}
