package io.clickstream.etl.clickhouse;

import io.clickstream.etl.session.JoinedFix;
import io.clickstream.etl.session.SessionCorrection;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.flink.api.common.operators.ProcessingTimeService;
import org.apache.flink.api.connector.sink2.StatefulSinkWriter;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.MetricGroup;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Applies corrections of stored events in rounds at most every {@link #ROUND_MS}, each once its rows are in the
 * table: in the next round when they are, otherwise again after a wait that doubles from {@link #TICK_MS} to
 * {@link #MAX_WAIT_MS} (a catch-up's rows may wait in the events sink for minutes: their corrections are not asked
 * about every second), kept in the checkpoint while they wait. A newer correction of a session replaces the waiting
 * one (it holds the session as it stands), and so does one that covers another's bounds (a session merged away or
 * renamed); the joined fixes of those it replaces go before its own. The rows of a correction that waits
 * longer than {@link #INCOMPLETE_AFTER_MS} are corrected as far as the table holds them (a row refused by ClickHouse
 * never comes), and it is given up after {@link #GIVE_UP_AFTER_MS}, counted. ClickHouse not answering is retried with
 * backoff; {@link #MAX_FAILURES} failures in a row fail the job.
 *
 * <p>The statements run in a thread of their own, one round at a time: a correction reads and rewrites a session's
 * rows in ClickHouse (a second or more while a catch-up inserts), and the task must go on taking corrections
 * meanwhile, or it would hold back the per-user step and the whole job behind it. The waiting corrections are guarded
 * by the writer's lock; the task thread only adds, replaces and snapshots them.
 */
final class CorrectionsWriter implements StatefulSinkWriter<SessionCorrection, SessionCorrection> {
    private static final Logger LOG = LoggerFactory.getLogger(CorrectionsWriter.class);
    static final long TICK_MS = 1_000;
    /**
     * The least time between two rounds: the corrections of a session that come meanwhile (a user's late events
     * arrive in bursts, one correction each) replace one another and its rows are written again once, not once each.
     */
    static final long ROUND_MS = 5_000;

    static final long MAX_WAIT_MS = 60_000;
    static final long INCOMPLETE_AFTER_MS = 60_000;
    static final long GIVE_UP_AFTER_MS = 3_600_000;
    static final int MAX_FAILURES = 10;
    /** The pause after a failed round: 2 s, doubled per failure in a row, at most 30 s. */
    private static final RetryPolicy RETRY = new RetryPolicy(
            MAX_FAILURES - 1, java.time.Duration.ofMillis(2 * TICK_MS), java.time.Duration.ofSeconds(30));
    /** At the end of input, how long the writer waits for the rows of its last corrections. */
    static final long END_WAIT_MS = 120_000;

    private final CorrectionsSink.Corrector corrector;
    private final ProcessingTimeService time;
    /** The waiting corrections by user (a new one replaces those of the same user it covers). */
    private final Map<String, List<Waiting>> pending = new LinkedHashMap<>();

    private int waiting;
    private final Counter applied;
    private final Counter rowsWritten;
    private final Counter incomplete;
    private final Counter abandoned;
    private volatile int failures;
    private volatile long retryAt;
    private volatile boolean closed;
    /** The input ended ({@link #flush}): closing applies the last corrections (not so when cancelled or failed). */
    private boolean inputEnded;
    /** When the timer last started a round (the task thread's). */
    private long lastRound = Long.MIN_VALUE;

    private final Object lock = new Object();
    /** One round of statements at a time, off the task thread. */
    private final ExecutorService worker;

    private Future<?> round;
    private final AtomicReference<Throwable> firstError = new AtomicReference<>();

    private static final class Waiting {
        final SessionCorrection correction;
        final long since;
        long nextAt;
        int tries;

        Waiting(SessionCorrection correction, long since, long nextAt) {
            this.correction = correction;
            this.since = since;
            this.nextAt = nextAt;
        }
    }

    CorrectionsWriter(CorrectionsSink.Corrector corrector, ProcessingTimeService time, MetricGroup metrics) {
        this(corrector, time, metrics, Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "clickhouse-corrections");
            t.setDaemon(true);
            return t;
        }));
    }

    /** With the executor the rounds run in (tests: the calling thread). */
    CorrectionsWriter(
            CorrectionsSink.Corrector corrector,
            ProcessingTimeService time,
            MetricGroup metrics,
            ExecutorService worker) {
        this.corrector = corrector;
        this.time = time;
        this.applied = metrics.counter("applied");
        this.rowsWritten = metrics.counter("rowsWritten");
        this.incomplete = metrics.counter("appliedIncomplete");
        this.abandoned = metrics.counter("abandoned");
        metrics.gauge("waiting", () -> waiting);
        this.worker = worker;
        schedule();
    }

    void restore(SessionCorrection c) {
        add(c, time.getCurrentProcessingTime());
    }

    @Override
    public void write(SessionCorrection c, Context context) throws IOException, InterruptedException {
        checkError();
        add(c, time.getCurrentProcessingTime());
    }

    private void add(SessionCorrection c, long now) {
        synchronized (lock) {
            replaceCovered(c, now);
        }
    }

    /**
     * Under the lock: {@code c} waits, in place of the user's corrections it replaces; their joined fixes, which hold
     * the values of their times, go before its own.
     */
    private void replaceCovered(SessionCorrection c, long now) {
        List<Waiting> ofUser = pending.computeIfAbsent(c.userId, u -> new ArrayList<>(2));
        long since = now;
        List<JoinedFix> fixes = new ArrayList<>();
        for (Iterator<Waiting> it = ofUser.iterator(); it.hasNext(); ) {
            Waiting w = it.next();
            SessionCorrection o = w.correction;
            if (o.sessionId.equals(c.sessionId) || (o.start >= c.start && o.end <= c.end)) {
                since = Math.min(since, w.since);
                if (o.joined != null) {
                    fixes.addAll(List.of(o.joined));
                }
                it.remove();
                waiting--;
            }
        }
        if (!fixes.isEmpty()) {
            if (c.joined != null) {
                fixes.addAll(List.of(c.joined));
            }
            c.joined = fixes.toArray(new JoinedFix[0]);
        }
        ofUser.add(new Waiting(c, since, now));
        waiting++;
    }

    /**
     * A checkpoint applies nothing: what waits is in the checkpoint (and applying a correction again is harmless). At
     * the end of input the last corrections wait for {@link #close}: their rows may be held by the events sink of the
     * same task, which Flink flushes after this one or before it — all of them have flushed by the time the first is
     * closed.
     */
    @Override
    public void flush(boolean endOfInput) throws IOException, InterruptedException {
        checkError();
        inputEnded |= endOfInput;
    }

    /** After the end of input: the last corrections, waiting a while for their rows, then to the rows there are. */
    private void applyTheLast() throws IOException, InterruptedException {
        long until = System.currentTimeMillis() + END_WAIT_MS;
        runRound(Long.MIN_VALUE, false); // every one, whatever its wait
        while (waiting() > 0 && System.currentTimeMillis() < until) {
            Thread.sleep(200);
            runRound(Long.MIN_VALUE, false);
        }
        runRound(Long.MIN_VALUE, true);
        checkError();
    }

    private int waiting() {
        synchronized (lock) {
            return waiting;
        }
    }

    @Override
    public List<SessionCorrection> snapshotState(long checkpointId) {
        synchronized (lock) {
            List<SessionCorrection> out = new ArrayList<>(waiting);
            pending.values().forEach(ws -> ws.forEach(w -> out.add(w.correction)));
            return out;
        }
    }

    private void schedule() {
        time.registerTimer(time.getCurrentProcessingTime() + TICK_MS, timer -> {
            if (closed) {
                return;
            }
            checkError();
            long now = time.getCurrentProcessingTime();
            if (now >= retryAt && (lastRound == Long.MIN_VALUE || now - lastRound >= ROUND_MS)) {
                lastRound = now;
                startRound(now);
            }
            schedule();
        });
    }

    /** Starts a round in the worker unless one runs. */
    private void startRound(long now) {
        if (round != null && !round.isDone()) {
            return;
        }
        round = worker.submit(() -> {
            try {
                attempt(now, false);
            } catch (Throwable t) {
                firstError.compareAndSet(null, t);
            }
        });
    }

    /** Runs a round in the calling thread, after the one running. */
    private void runRound(long now, boolean last) throws IOException, InterruptedException {
        awaitRound();
        checkError();
        attempt(now, last);
    }

    private void awaitRound() throws InterruptedException {
        if (round != null) {
            try {
                round.get();
            } catch (ExecutionException e) {
                firstError.compareAndSet(null, e.getCause());
            }
        }
    }

    private void checkError() throws IOException {
        Throwable t = firstError.get();
        if (t != null) {
            throw t instanceof IOException io ? io : new IOException(t);
        }
    }

    /**
     * Applies the corrections due at {@code now} (all of them at {@link Long#MIN_VALUE}); with {@code last}, every
     * waiting correction to the rows there are. A failure leaves all waiting (a correction is the session as it
     * stands: applying it again is harmless).
     */
    private void attempt(long now, boolean last) throws IOException {
        boolean all = now == Long.MIN_VALUE;
        long clock = all ? time.getCurrentProcessingTime() : now;
        List<SessionCorrection> young = new ArrayList<>();
        List<SessionCorrection> old = new ArrayList<>();
        Map<SessionCorrection, Waiting> asked = new HashMap<>();
        synchronized (lock) {
            for (List<Waiting> ofUser : pending.values()) {
                for (Iterator<Waiting> it = ofUser.iterator(); it.hasNext(); ) {
                    Waiting w = it.next();
                    if (!last && clock - w.since >= GIVE_UP_AFTER_MS) {
                        abandoned.inc();
                        it.remove();
                        waiting--;
                    } else if (last || all || w.nextAt <= now) {
                        (last || clock - w.since >= INCOMPLETE_AFTER_MS ? old : young).add(w.correction);
                        asked.put(w.correction, w);
                    }
                }
            }
            pending.values().removeIf(List::isEmpty);
        }
        if (asked.isEmpty()) {
            return;
        }
        try {
            EventCorrections.Outcome a = corrector.apply(young, false);
            EventCorrections.Outcome b = corrector.apply(old, true);
            failures = 0;
            rowsWritten.inc(a.rowsWritten() + b.rowsWritten());
            incomplete.inc(b.incomplete().size());
            Set<SessionCorrection> still = new HashSet<>(a.waiting());
            if (!last) {
                still.addAll(b.waiting());
            } else if (!b.incomplete().isEmpty()) {
                LOG.warn(
                        "{} correction(s) applied to part of their rows at the end of input: the others never came "
                                + "(refused by ClickHouse, or erased)",
                        b.incomplete().size());
            }
            applied.inc(asked.size() - still.size());
            synchronized (lock) {
                for (Map.Entry<SessionCorrection, Waiting> e : asked.entrySet()) {
                    Waiting w = e.getValue();
                    List<Waiting> ofUser = pending.get(w.correction.userId);
                    if (ofUser == null || !ofUser.contains(w)) {
                        continue; // replaced by a newer correction while this round ran
                    }
                    if (still.contains(e.getKey())) {
                        w.tries++;
                        w.nextAt = clock + Math.min(MAX_WAIT_MS, TICK_MS << Math.min(w.tries, 16));
                    } else {
                        ofUser.remove(w);
                        waiting--;
                    }
                }
                pending.values().removeIf(List::isEmpty);
            }
        } catch (Exception e) {
            // The statements name users: the error is told by its kind and server code, not its message (a server
            // error quotes the statement).
            String what = e.getClass().getSimpleName() + ", server code " + ClickHouseInserter.serverCode(e);
            if (++failures >= MAX_FAILURES) {
                throw new IOException(failures + " attempts in a row to correct stored events failed, the last: " + what
                        + ". ClickHouse must answer the events table's INSERT … SELECT (clickhouse.urls).");
            }
            retryAt = clock + RETRY.backoffMs(failures);
            LOG.warn(
                    "Correcting stored events failed ({} in a row), retried in {} ms: {}",
                    failures,
                    retryAt - clock,
                    what);
        }
    }

    @Override
    public void close() throws Exception {
        closed = true;
        if (inputEnded && firstError.get() == null) {
            try {
                applyTheLast();
            } finally {
                worker.shutdownNow();
                corrector.close();
            }
            return;
        }
        worker.shutdownNow();
        worker.awaitTermination(10, TimeUnit.SECONDS);
        corrector.close();
    }
}
