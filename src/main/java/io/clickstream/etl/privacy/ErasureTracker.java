package io.clickstream.etl.privacy;

import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One task's part in erasures: which users the list erases, which of them are new to the task (to forget their
 * state), whether an input may be processed yet, and the acknowledgements {@code tools.Erase} waits for.
 *
 * <p>An input published at time {@code t} may be processed once every erasure dated before {@code t} is known.
 * tools.Erase dates an erasure {@code lead} after it publishes it, so every erasure not yet read is dated after
 * {@link ErasureLog#knownUpTo} + {@code lead}; with a margin for the clocks, inputs up to that point are safe, and a
 * task whose list is behind by more than the lead waits (back-pressure) rather than process an erased user's input
 * with the state it had before the erasure.
 *
 * <p>Acknowledgements: a task that keeps state or emits rows acknowledges a version once nothing it emitted before
 * applying it can still be written — after a completed checkpoint whose snapshot followed the application (the
 * sinks flushed everything emitted before that barrier), or right away where nothing is buffered downstream.
 */
public final class ErasureTracker implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ErasureTracker.class);
    /** How far the task's clock, the eraser's and Kafka's record times may differ. */
    public static final long CLOCK_MARGIN_MS = 5_000;
    /** Acknowledgements are written again this often, so tools.Erase can tell a running job from a stopped one. */
    public static final long ACK_REFRESH_MS = 30_000;

    private static final long WARN_EVERY_MS = 30_000;

    /** Who acknowledges what: the task's job, step, subtask and the parallelism of the step. */
    public record Participant(String job, String name, int subtask, int parallelism) {}

    /** Waits between checks while the list is behind; tests replace it. */
    @FunctionalInterface
    public interface Sleeper {
        void sleep(long ms) throws InterruptedException;
    }

    private final ErasureLog log;
    private final ErasureAcks acks;
    private final Participant participant;
    private final long leadMs;
    private final LongSupplier clock;
    private final Sleeper sleeper;

    private Erasures applied = Erasures.NONE;
    private final Map<Long, Long> versionAtSnapshot = new TreeMap<>();
    private long acked = -1;
    private long ackedAt = Long.MIN_VALUE;

    public ErasureTracker(ErasureLog log, ErasureAcks acks, Participant participant, long leadMs) {
        this(log, acks, participant, leadMs, System::currentTimeMillis, Thread::sleep);
    }

    public ErasureTracker(
            ErasureLog log,
            ErasureAcks acks,
            Participant participant,
            long leadMs,
            LongSupplier clock,
            Sleeper sleeper) {
        this.log = log;
        this.acks = acks;
        this.participant = participant;
        this.leadMs = leadMs;
        this.clock = clock;
        this.sleeper = sleeper;
    }

    /** The list as this task applies it. */
    public Erasures applied() {
        return applied;
    }

    /** Whether an input of {@code user} published at {@code recordTime} is erased (by the list as applied). */
    public boolean covers(String user, long recordTime) {
        return applied.covers(user, recordTime);
    }

    /**
     * Takes the list as read now; returns the users whose erasure is new to this task (recorded since the list it
     * applied before), whose state the caller forgets before it processes anything else.
     */
    public Set<String> refresh() {
        Erasures now = log.current();
        if (now.version() == applied.version()) {
            return Set.of();
        }
        Set<String> fresh = now.recordedSince(applied.version());
        applied = now;
        return fresh;
    }

    /**
     * The users erased at or after list position {@code version}: after a restore, those whose erasure the
     * restored state had not seen yet.
     */
    public Set<String> recordedSince(long version) {
        return applied.recordedSince(version);
    }

    /** Whether every erasure dated before {@code recordTime} has been read. */
    public boolean knows(long recordTime) {
        long known = log.knownUpTo();
        return known != Long.MIN_VALUE && recordTime <= known + leadMs - CLOCK_MARGIN_MS;
    }

    /**
     * Waits until inputs published up to {@code recordTime} may be processed; then {@link #refresh} gives what to
     * forget first.
     */
    public void awaitKnown(long recordTime) throws InterruptedException {
        long started = clock.getAsLong();
        long warned = started;
        while (!knows(recordTime)) {
            long now = clock.getAsLong();
            if (now - warned >= WARN_EVERY_MS) {
                warned = now;
                LOG.warn(
                        "{}: the erasure list has not been read up to date for {} s; inputs wait until it is (see "
                                + "the erasure topic and the Kafka connection of this task)",
                        participant.name(),
                        (now - started) / 1000);
            }
            sleeper.sleep(50);
        }
    }

    /** The list position a snapshot of checkpoint {@code checkpointId} covers (what the task had applied). */
    public void snapshotTaken(long checkpointId) {
        versionAtSnapshot.put(checkpointId, applied.version());
    }

    /** Acknowledges what the snapshot of the completed checkpoint had applied (and forgets older snapshots). */
    public void checkpointCompleted(long checkpointId) {
        Long version = null;
        for (var it = versionAtSnapshot.entrySet().iterator(); it.hasNext(); ) {
            var e = it.next();
            if (e.getKey() > checkpointId) {
                break;
            }
            version = e.getValue();
            it.remove();
        }
        if (version != null) {
            ack(version);
        }
    }

    /** Acknowledges the list as applied now: for a task after which nothing is buffered. */
    public void ackApplied() {
        ack(applied.version());
    }

    /** Writes the last acknowledgement again when it is due, so that it stays recognisably alive. */
    public void refreshAck() {
        if (acked >= 0 && clock.getAsLong() - ackedAt >= ACK_REFRESH_MS) {
            ack(acked);
        }
    }

    private void ack(long version) {
        long v = Math.max(version, acked);
        try {
            acks.ack(participant.job(), participant.name(), participant.subtask(), participant.parallelism(), v);
            acked = v;
            ackedAt = clock.getAsLong();
        } catch (Exception e) {
            // tools.Erase waits for it; the next checkpoint or refresh writes it again.
            LOG.warn("{}: could not acknowledge the erasure list: {}", participant.name(), e.toString());
        }
    }

    @Override
    public void close() {
        log.close();
        acks.close();
    }
}
