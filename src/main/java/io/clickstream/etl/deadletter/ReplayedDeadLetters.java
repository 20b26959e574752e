package io.clickstream.etl.deadletter;

import java.util.Collection;
import java.util.HashMap;
import java.util.Map;
import java.util.NavigableMap;
import java.util.TreeMap;

/**
 * Tells which dead letters an earlier run has committed already: those of inputs a replay reads again. A run reads
 * each partition in offset order from where it started or was restored, so its dead letters from the first one
 * (F) to the last one of a checkpoint (L) prove that every input from F to L went through it; once that
 * checkpoint's Kafka transaction is committed, every dead letter of those inputs is in the topic. Those ranges are
 * recorded ({@link DeadLetterLedger}), and an input inside a recorded range has its dead letter already. Ranges
 * are recorded only after the checkpoint completed, so they never cover a dead letter that a restart aborted; they
 * travel in the checkpoint too, so a restore continues them and records them should the run have stopped before it
 * could.
 *
 * <p>Partitions are named "topic-id:partition" ({@link TopicIds}). Not thread-safe: one per task.
 */
public final class ReplayedDeadLetters {
    /** One partition's range as kept in a checkpoint. */
    public record Range(String partition, long from, long to) {}

    private final Map<String, Ranges> recorded;
    /** This run's range per partition: [first dead letter, last dead letter], as the run goes on. */
    private final Map<String, long[]> current = new HashMap<>();
    /** {@link #current} as it was at each checkpoint not yet known to be complete. */
    private final NavigableMap<Long, Map<String, Ranges>> atCheckpoint = new TreeMap<>();

    private final Map<String, Ranges> restored = new HashMap<>();

    /**
     * {@code recorded}: what the ledger holds; {@code fromCheckpoint}: the ranges in the checkpoint this run was
     * restored from (complete, so their dead letters are committed).
     */
    public ReplayedDeadLetters(Map<String, Ranges> recorded, Collection<Range> fromCheckpoint) {
        this.recorded = new HashMap<>(recorded);
        for (Range r : fromCheckpoint) {
            restored.merge(r.partition(), Ranges.of(r.from(), r.to()), Ranges::union);
            current.merge(r.partition(), new long[] {r.from(), r.to()}, (a, b) ->
                    new long[] {Math.min(a[0], b[0]), Math.max(a[1], b[1])});
        }
        restored.forEach((p, r) -> this.recorded.merge(p, r, Ranges::union));
    }

    /** The ranges restored from the checkpoint, to record (the run before may have stopped before it did). */
    public Map<String, Ranges> restored() {
        return Map.copyOf(restored);
    }

    /** Whether the dead letter of this input is still to be written (false: an earlier run committed it). */
    public boolean admit(String partition, long offset) {
        Ranges r = recorded.get(partition);
        if (r != null && r.contains(offset)) {
            return false;
        }
        long[] range = current.get(partition);
        if (range == null) {
            current.put(partition, new long[] {offset, offset});
        } else {
            range[0] = Math.min(range[0], offset);
            range[1] = Math.max(range[1], offset);
        }
        return true;
    }

    /** Notes the ranges as of this checkpoint; returns what the checkpoint keeps. */
    public java.util.List<Range> snapshot(long checkpointId) {
        Map<String, Ranges> now = new HashMap<>();
        java.util.List<Range> state = new java.util.ArrayList<>();
        current.forEach((p, r) -> {
            now.put(p, Ranges.of(r[0], r[1]));
            state.add(new Range(p, r[0], r[1]));
        });
        atCheckpoint.put(checkpointId, now);
        return state;
    }

    /** The ranges to record now that this checkpoint (and every one before) is complete. */
    public Map<String, Ranges> completed(long checkpointId) {
        Map<String, Ranges> out = new HashMap<>();
        NavigableMap<Long, Map<String, Ranges>> done = atCheckpoint.headMap(checkpointId, true);
        done.values().forEach(m -> m.forEach((p, r) -> out.merge(p, r, Ranges::union)));
        done.clear();
        return out;
    }
}
