package io.clickstream.etl.clickhouse;

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
import org.apache.flink.api.common.operators.ProcessingTimeService;
import org.apache.flink.api.connector.sink2.StatefulSinkWriter;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.MetricGroup;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Applies corrections of stored events as they come, each once its rows are in the table: at once when they are,
 * otherwise again after a wait that doubles from {@link #TICK_MS} to {@link #MAX_WAIT_MS} (a catch-up's rows may
 * wait in the events sink for minutes: their corrections are not asked about every second), kept in the checkpoint
 * while they wait. A newer correction of a session replaces the waiting one (it holds the session as it stands), and
 * so does one that covers another's bounds (a session merged away or renamed). The rows of a correction that waits
 * longer than {@link #INCOMPLETE_AFTER_MS} are corrected as far as the table holds them (a row refused by ClickHouse
 * never comes), and it is given up after {@link #GIVE_UP_AFTER_MS}, counted. ClickHouse not answering is retried with
 * backoff; {@link #MAX_FAILURES} failures in a row fail the job.
 */
final class CorrectionsWriter implements StatefulSinkWriter<SessionCorrection, SessionCorrection> {
    private static final Logger LOG = LoggerFactory.getLogger(CorrectionsWriter.class);
    static final long TICK_MS = 1_000;
    static final long MAX_WAIT_MS = 60_000;
    static final long INCOMPLETE_AFTER_MS = 60_000;
    static final long GIVE_UP_AFTER_MS = 3_600_000;
    static final int MAX_FAILURES = 10;
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
    private int failures;
    private long retryAt;
    private boolean closed;

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
        this.corrector = corrector;
        this.time = time;
        this.applied = metrics.counter("applied");
        this.rowsWritten = metrics.counter("rowsWritten");
        this.incomplete = metrics.counter("appliedIncomplete");
        this.abandoned = metrics.counter("abandoned");
        metrics.gauge("waiting", () -> waiting);
        schedule();
    }

    void restore(SessionCorrection c) {
        add(c, time.getCurrentProcessingTime());
    }

    @Override
    public void write(SessionCorrection c, Context context) throws IOException, InterruptedException {
        add(c, time.getCurrentProcessingTime());
    }

    private void add(SessionCorrection c, long now) {
        List<Waiting> ofUser = pending.computeIfAbsent(c.userId, u -> new ArrayList<>(2));
        long since = now;
        for (Iterator<Waiting> it = ofUser.iterator(); it.hasNext(); ) {
            Waiting w = it.next();
            SessionCorrection o = w.correction;
            if (o.sessionId.equals(c.sessionId) || (o.start >= c.start && o.end <= c.end)) {
                since = Math.min(since, w.since);
                it.remove();
                waiting--;
            }
        }
        ofUser.add(new Waiting(c, since, now));
        waiting++;
    }

    @Override
    public void flush(boolean endOfInput) throws IOException, InterruptedException {
        attempt(time.getCurrentProcessingTime(), false);
        if (endOfInput) {
            long until = System.currentTimeMillis() + END_WAIT_MS;
            while (waiting > 0 && System.currentTimeMillis() < until) {
                Thread.sleep(200);
                attempt(Long.MIN_VALUE, false); // every one, whatever its wait
            }
            attempt(Long.MIN_VALUE, true);
        }
    }

    @Override
    public List<SessionCorrection> snapshotState(long checkpointId) {
        List<SessionCorrection> out = new ArrayList<>(waiting);
        pending.values().forEach(ws -> ws.forEach(w -> out.add(w.correction)));
        return out;
    }

    private void schedule() {
        time.registerTimer(time.getCurrentProcessingTime() + TICK_MS, timer -> {
            if (closed) {
                return;
            }
            long now = time.getCurrentProcessingTime();
            if (now >= retryAt) {
                attempt(now, false);
            }
            schedule();
        });
    }

    /**
     * Applies the corrections due at {@code now} (all of them at {@link Long#MIN_VALUE}); with {@code last}, every
     * waiting correction to the rows there are. A failure leaves all waiting (a correction is the session as it
     * stands: applying it again is harmless).
     */
    private void attempt(long now, boolean last) throws IOException {
        if (waiting == 0) {
            return;
        }
        boolean all = now == Long.MIN_VALUE;
        long clock = all ? time.getCurrentProcessingTime() : now;
        List<SessionCorrection> young = new ArrayList<>();
        List<SessionCorrection> old = new ArrayList<>();
        Map<SessionCorrection, Waiting> asked = new HashMap<>();
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
            for (Map.Entry<SessionCorrection, Waiting> e : asked.entrySet()) {
                Waiting w = e.getValue();
                if (still.contains(e.getKey())) {
                    w.tries++;
                    w.nextAt = clock + Math.min(MAX_WAIT_MS, TICK_MS << Math.min(w.tries, 16));
                } else {
                    pending.get(w.correction.userId).remove(w);
                    waiting--;
                }
            }
            pending.values().removeIf(List::isEmpty);
        } catch (Exception e) {
            // The statements name users: the error is told by its kind and server code, not its message (a server
            // error quotes the statement).
            String what = e.getClass().getSimpleName() + ", server code " + ClickHouseInserter.serverCode(e);
            if (++failures >= MAX_FAILURES) {
                throw new IOException(failures + " attempts in a row to correct stored events failed, the last: " + what
                        + ". ClickHouse must answer the events table's INSERT … SELECT (clickhouse.urls).");
            }
            retryAt = clock + Math.min(30_000, TICK_MS << failures);
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
        corrector.close();
    }
}
