package io.clickstream.etl.clickhouse;

import io.clickstream.etl.session.SessionCorrection;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.flink.api.common.operators.ProcessingTimeService;
import org.apache.flink.api.connector.sink2.StatefulSinkWriter;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.MetricGroup;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Applies corrections of stored events as they come, each once its rows are in the table: at once when they are,
 * otherwise again every {@link #TICK_MS} and at every checkpoint, kept in the checkpoint while they wait. A newer
 * correction of a session replaces the waiting one (it holds the session as it stands), and so does one that covers
 * another's bounds (a session merged away or renamed). The rows of a correction that waits longer than
 * {@link #INCOMPLETE_AFTER_MS} are corrected as far as the table holds them (a row refused by ClickHouse never
 * comes), and it is given up after {@link #GIVE_UP_AFTER_MS}, counted. ClickHouse not answering is retried with
 * backoff; {@link #MAX_FAILURES} failures in a row fail the job.
 */
final class CorrectionsWriter implements StatefulSinkWriter<SessionCorrection, SessionCorrection> {
    private static final Logger LOG = LoggerFactory.getLogger(CorrectionsWriter.class);
    static final long TICK_MS = 1_000;
    static final long INCOMPLETE_AFTER_MS = 60_000;
    static final long GIVE_UP_AFTER_MS = 3_600_000;
    static final int MAX_FAILURES = 10;
    /** At the end of input, how long the writer waits for the rows of its last corrections. */
    static final long END_WAIT_MS = 120_000;

    private final CorrectionsSink.Corrector corrector;
    private final ProcessingTimeService time;
    private final Map<String, Waiting> pending = new LinkedHashMap<>();
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

        Waiting(SessionCorrection correction, long since) {
            this.correction = correction;
            this.since = since;
        }
    }

    CorrectionsWriter(CorrectionsSink.Corrector corrector, ProcessingTimeService time, MetricGroup metrics) {
        this.corrector = corrector;
        this.time = time;
        this.applied = metrics.counter("applied");
        this.rowsWritten = metrics.counter("rowsWritten");
        this.incomplete = metrics.counter("appliedIncomplete");
        this.abandoned = metrics.counter("abandoned");
        metrics.gauge("waiting", pending::size);
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
        long since = now;
        for (Iterator<Map.Entry<String, Waiting>> it = pending.entrySet().iterator(); it.hasNext(); ) {
            Waiting w = it.next().getValue();
            SessionCorrection o = w.correction;
            if (o.userId.equals(c.userId)
                    && (o.sessionId.equals(c.sessionId) || (o.start >= c.start && o.end <= c.end))) {
                since = Math.min(since, w.since);
                it.remove();
            }
        }
        pending.put(c.userId + '\0' + c.sessionId, new Waiting(c, since));
    }

    @Override
    public void flush(boolean endOfInput) throws IOException, InterruptedException {
        attempt(time.getCurrentProcessingTime(), false);
        if (endOfInput) {
            long until = System.currentTimeMillis() + END_WAIT_MS;
            while (!pending.isEmpty() && System.currentTimeMillis() < until) {
                Thread.sleep(200);
                attempt(time.getCurrentProcessingTime(), false);
            }
            attempt(Long.MAX_VALUE / 2, true);
        }
    }

    @Override
    public List<SessionCorrection> snapshotState(long checkpointId) {
        List<SessionCorrection> out = new ArrayList<>(pending.size());
        pending.values().forEach(w -> out.add(w.correction));
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
     * Applies what can be; with {@code last}, every waiting correction to the rows there are. A failure leaves all
     * waiting (a correction is the session as it stands: applying it again is harmless).
     */
    private void attempt(long now, boolean last) throws IOException {
        if (pending.isEmpty()) {
            return;
        }
        List<SessionCorrection> young = new ArrayList<>();
        List<SessionCorrection> old = new ArrayList<>();
        for (Iterator<Waiting> it = pending.values().iterator(); it.hasNext(); ) {
            Waiting w = it.next();
            if (!last && now - w.since >= GIVE_UP_AFTER_MS) {
                abandoned.inc();
                it.remove();
            } else if (last || now - w.since >= INCOMPLETE_AFTER_MS) {
                old.add(w.correction);
            } else {
                young.add(w.correction);
            }
        }
        try {
            EventCorrections.Outcome a = corrector.apply(young, false);
            EventCorrections.Outcome b = corrector.apply(old, true);
            failures = 0;
            rowsWritten.inc(a.rowsWritten() + b.rowsWritten());
            incomplete.inc(b.incomplete().size());
            List<SessionCorrection> still = new ArrayList<>(a.waiting());
            if (!last) {
                still.addAll(b.waiting());
            } else if (!b.incomplete().isEmpty()) {
                LOG.warn(
                        "{} correction(s) applied to part of their rows at the end of input: the others never came "
                                + "(refused by ClickHouse, or erased)",
                        b.incomplete().size());
            }
            applied.inc(young.size() + old.size() - still.size());
            pending.values().removeIf(w -> !still.contains(w.correction));
        } catch (Exception e) {
            if (++failures >= MAX_FAILURES) {
                throw new IOException(failures + " attempts in a row to correct stored events failed", e);
            }
            retryAt = now + Math.min(30_000, TICK_MS << failures);
            LOG.warn(
                    "Correcting stored events failed ({} in a row), retried in {} ms: {}",
                    failures,
                    retryAt - now,
                    e.toString());
        }
    }

    @Override
    public void close() throws Exception {
        closed = true;
        corrector.close();
    }
}
