package io.clickstream.etl.join;

import io.clickstream.etl.event.Event;
import io.clickstream.etl.privacy.ErasureFeed;
import io.clickstream.etl.privacy.ErasureTracker;
import io.clickstream.etl.redis.BatchingRedisOperator;
import io.clickstream.etl.redis.HashStore;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.flink.runtime.state.StateSnapshotContext;
import org.apache.flink.streaming.api.operators.OneInputStreamOperator;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;

/**
 * Denormalization at processing time (join.rules): values of one source carried into the events of others, kept in
 * Redis with a TTL, one hash per rule and key ({@code <prefix>:joinv:<rule>:<key>}, a field per version, see
 * {@link JoinedValues}; the values of the layout before, {@code join:<rule>:<key>}, are read until written again).
 * One read and one write per batch. A missing value leaves the event as it is; a rule never holds an event back
 * except while Redis (or the erasure list) is behind.
 *
 * <p>For erasures, each giving user has an index of the keys they gave values to ({@code join-given:<user>}, field =
 * rule and key, value = newest record time), through which tools.Erase deletes those versions. Until then the step
 * passes over versions given by an erased user before the erasure, and records none from their inputs.
 */
public class JoinOperator extends BatchingRedisOperator<Event, Event, HashStore>
        implements OneInputStreamOperator<Event, Event> {
    private static final long serialVersionUID = 1L;
    /** The namespace of the values (a hash per key). */
    public static final String VALUES = "joinv:";
    /** The namespace of the values in the layout before (one value per key). */
    public static final String OLDER_VALUES = "join:";
    /** The namespace of the per-user index of what a user gave. */
    public static final String GIVEN = "join-given:";

    private final JoinSettings settings;
    private final ErasureFeed erasureFeed;
    private final String name;
    private final long ttlMs;

    private transient Joiner joiner;
    private transient ErasureTracker erasures;

    /** {@code name}: the step's uid, under which it acknowledges erasures. */
    public JoinOperator(JoinSettings settings, HashStore.Factory storeFactory, ErasureFeed erasures, String name) {
        super(
                "joins",
                storeFactory,
                settings.batchSize(),
                settings.batchDelay().toMillis(),
                settings.maxBackoff().toMillis());
        this.settings = settings.sanityCheck();
        this.erasureFeed = erasures;
        this.name = name;
        this.ttlMs = settings.ttl().toMillis();
    }

    @Override
    public void open() throws Exception {
        super.open();
        joiner = new Joiner(settings.rules(), settings.horizon());
        erasures = erasureFeed.open(
                name, getRuntimeContext().getJobInfo(), getRuntimeContext().getTaskInfo());
        erasures.awaitKnown(Long.MIN_VALUE);
        erasures.refresh();
        erasures.ackApplied();
    }

    @Override
    public void close() throws Exception {
        if (erasures != null) {
            erasures.close();
        }
        super.close();
    }

    @Override
    public void processElement(StreamRecord<Event> element) throws Exception {
        add(element.getValue());
    }

    @Override
    protected void tick() {
        erasures.refresh();
        if (!erasureFeed.checkpointed()) {
            erasures.ackApplied();
        }
        erasures.refreshAck();
    }

    @Override
    public void prepareSnapshotPreBarrier(long checkpointId) throws Exception {
        super.prepareSnapshotPreBarrier(checkpointId);
        tick();
    }

    @Override
    public void snapshotState(StateSnapshotContext context) throws Exception {
        super.snapshotState(context);
        erasures.snapshotTaken(context.getCheckpointId());
    }

    @Override
    public void notifyCheckpointComplete(long checkpointId) throws Exception {
        super.notifyCheckpointComplete(checkpointId);
        erasures.checkpointCompleted(checkpointId);
    }

    @Override
    protected void processBatch(List<Event> batch) throws Exception {
        long newest = Long.MIN_VALUE;
        for (Event e : batch) {
            newest = Math.max(newest, e.kafkaTimestamp);
        }
        erasures.awaitKnown(newest);
        tick();
        List<String> keys = joiner.keys(batch);
        Map<String, JoinedValues> stored = new HashMap<>();
        Map<String, Boolean> inRedis = new HashMap<>();
        if (!keys.isEmpty()) {
            List<HashStore.Lookup> lookups = new ArrayList<>(keys.size());
            keys.forEach(k -> lookups.add(new HashStore.Lookup(VALUES + k, List.of(OLDER_VALUES + k))));
            List<HashStore.Hash> loaded = withRetries(() -> store.load(lookups));
            for (int i = 0; i < keys.size(); i++) {
                HashStore.Hash h = loaded.get(i);
                try {
                    stored.put(
                            keys.get(i),
                            h.fields().isEmpty()
                                    ? JoinedValues.fromOlderBytes(
                                            h.olderValues().get(0))
                                    : JoinedValues.fromFields(h.fields()));
                } catch (IllegalArgumentException e) {
                    throw unreadable(VALUES + keys.get(i), "The joined values of a key", e);
                }
                inRedis.put(keys.get(i), !h.fields().isEmpty());
            }
        }
        Map<String, HashStore.Changes> changes = new LinkedHashMap<>();
        for (String k : joiner.apply(batch, stored, erasures.applied())) {
            JoinedValues jv = stored.get(k);
            boolean update = inRedis.getOrDefault(k, false) && !jv.fromOlderLayout();
            changes.put(
                    VALUES + k,
                    update
                            ? new HashStore.Changes(jv.addedFields(), new ArrayList<>(jv.removedFields()))
                            : new HashStore.Changes(jv.allFields(), List.of(), HashStore.Mode.REPLACE));
        }
        joiner.givenBy(batch, erasures.applied())
                .forEach((user, byKey) -> changes.put(
                        GIVEN + user, new HashStore.Changes(ascii(byKey), List.of(), HashStore.Mode.MERGE)));
        if (!changes.isEmpty()) {
            List<String> vanished = withRetries(() -> store.write(changes, ttlMs));
            if (!vanished.isEmpty()) {
                // Expired between the read and the write: written whole.
                Map<String, HashStore.Changes> whole = new LinkedHashMap<>();
                vanished.forEach(key -> whole.put(
                        key,
                        new HashStore.Changes(
                                stored.get(key.substring(VALUES.length())).allFields(),
                                List.of(),
                                HashStore.Mode.REPLACE)));
                withRetries(() -> store.write(whole, ttlMs));
            }
        }
        batch.forEach(this::emit);
    }

    private static Map<String, byte[]> ascii(Map<String, Long> times) {
        Map<String, byte[]> out = new LinkedHashMap<>();
        times.forEach((k, t) -> out.put(k, Long.toString(t).getBytes(StandardCharsets.US_ASCII)));
        return out;
    }
}
