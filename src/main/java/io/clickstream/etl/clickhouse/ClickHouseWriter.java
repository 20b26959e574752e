package io.clickstream.etl.clickhouse;

import io.clickstream.etl.privacy.ErasureTracker;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.flink.api.common.operators.ProcessingTimeService;
import org.apache.flink.api.connector.sink2.StatefulSinkWriter;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Buffers rows and inserts them in batches, in the manner of Flink's KafkaWriter: a batch is sent when it is full
 * (rows or bytes) or old enough (a processing-time timer), while the next one fills; at most
 * {@code maxInFlight} batches are being sent. A batch that is old enough while they are keeps filling until one
 * returns; one that is full blocks {@link #write}, which is back-pressure. Every
 * checkpoint calls {@link #flush}, which sends what is buffered and waits for all sends, so a completed
 * checkpoint means its rows are in ClickHouse (at least once) — except while the job catches up with
 * clickhouse.sink.catch-up-hold on: then the partial batch stays in the buffer and goes into the checkpoint
 * ({@link #snapshotState}), so that a catch-up's inserts are as large as the batch limits allow instead of one per
 * checkpoint (each insert is a part that every replica merges: small ones cost ClickHouse several times more). Failed inserts are retried with backoff; the first
 * error that outlives its retries is kept and rethrown from the task thread, failing the job loudly rather than
 * dropping rows.
 *
 * <p>Erasures: rows of an erased user from before the erasure are not written (a replay, a buffer restored from an
 * older checkpoint). When the writer learns of a new erasure it first sends and waits for everything it holds, then
 * acknowledges: after that, nothing of the erased user's past can still be inserted by it.
 */
public class ClickHouseWriter<T> implements StatefulSinkWriter<T, BufferedRows<T>> {
    private static final Logger LOG = LoggerFactory.getLogger(ClickHouseWriter.class);

    /** Waits between retries; tests replace it to run without sleeping. */
    @FunctionalInterface
    interface Sleeper {
        void sleep(long millis) throws InterruptedException;
    }

    private final SinkSettings settings;
    private final Inserter inserter;
    private final ProcessingTimeService timeService;
    private final SinkMetrics metrics;
    private final Sleeper sleeper;
    private final BatchBuffer<T> buffer;
    private final ExecutorService sender;
    private final Semaphore inFlight;
    private final AtomicReference<Throwable> firstError = new AtomicReference<>();
    private volatile boolean closed;
    private final String rowKind;

    private final RowEncoder<T> encoder;
    private final RejectedRows<T> rejected;
    private final ReplayGuard<T> guard;
    /** Whether a catching-up writer keeps its partial batch in the checkpoint instead of sending it at the barrier. */
    private final boolean holdsAcrossCheckpoints;
    /** The erasure list (null: none). */
    private final ErasureTracker erasures;

    /**
     * Where the rows go: {@code inserter} into the table; {@code rejectedRows} the rows the server refuses (null: a
     * refusal fails the job); {@code replayGuard} leaves out rows an earlier run stored (null: no check).
     */
    record Outputs<T>(
            Inserter inserter, RejectedRows<T> rejectedRows, ReplayGuard<T> replayGuard, ErasureTracker erasures) {
        Outputs {
            java.util.Objects.requireNonNull(inserter, "inserter");
        }

        Outputs(Inserter inserter, RejectedRows<T> rejectedRows, ReplayGuard<T> replayGuard) {
            this(inserter, rejectedRows, replayGuard, null);
        }

        static <T> Outputs<T> of(Inserter inserter) {
            return new Outputs<>(inserter, null, null, null);
        }
    }

    /** A catching-up writer keeps its partial batch in the checkpoint when {@code settings.catchUpHold()}. */
    ClickHouseWriter(
            SinkSettings settings,
            RowEncoder<T> encoder,
            Outputs<T> outputs,
            ProcessingTimeService timeService,
            SinkMetrics metrics,
            Sleeper sleeper) {
        this.settings = settings.sanityCheck();
        this.holdsAcrossCheckpoints = settings.catchUpHold();
        this.encoder = encoder;
        this.rejected = outputs.rejectedRows();
        this.guard = outputs.replayGuard();
        this.erasures = outputs.erasures();
        this.rowKind =
                encoder.getClass().getSimpleName().replace("RowEncoder", "").toLowerCase(java.util.Locale.ROOT);
        this.inserter = outputs.inserter();
        this.timeService = timeService;
        this.metrics = metrics;
        this.sleeper = sleeper;
        // Held rows are checked against erasures again when a checkpoint brings them back: that needs their objects.
        this.buffer = new BatchBuffer<>(
                encoder,
                settings,
                rejected != null || guard != null || (holdsAcrossCheckpoints && erasures != null),
                guard != null);
        this.sender = Executors.newFixedThreadPool(settings.maxInFlight(), r -> {
            Thread t = new Thread(r, "clickhouse-sender");
            t.setDaemon(true);
            return t;
        });
        this.inFlight = new Semaphore(settings.maxInFlight());
        if (erasures != null) {
            try {
                erasures.awaitKnown(Long.MIN_VALUE); // restored rows are checked against the list
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while reading the erasure list", e);
            }
            erasures.refresh();
            erasures.ackApplied();
        }
        scheduleTimer();
    }

    @Override
    public void write(T row, Context context) throws IOException, InterruptedException {
        checkError();
        if (erasures != null) {
            applyErasures();
            if (erasures.covers(encoder.userId(row), encoder.recordTime(row))) {
                metrics.erasedRows.inc();
                return;
            }
        }
        buffer.add(row, timeService.getCurrentProcessingTime());
        metrics.bufferedRows.set(buffer.rows());
        if (buffer.isFull()) {
            send();
        }
    }

    @Override
    public void flush(boolean endOfInput) throws IOException, InterruptedException {
        if (endOfInput || !holdsAcrossCheckpoints || !buffer.catchingUp()) {
            send();
        }
        // Taking every permit means no batch is in flight any more.
        inFlight.acquire(settings.maxInFlight());
        inFlight.release(settings.maxInFlight());
        checkError();
    }

    /** The rows held across this checkpoint (none unless catching up: {@link #flush} sent them otherwise). */
    @Override
    public List<BufferedRows<T>> snapshotState(long checkpointId) {
        return buffer.isEmpty() ? List.of() : List.of(buffer.snapshot());
    }

    /**
     * When the erasure list erases someone new: sends and waits for everything buffered and in flight (it may hold the
     * user's past, and the eraser deletes what is stored only after this writer's acknowledgement), then acknowledges.
     */
    private void applyErasures() throws InterruptedException, IOException {
        if (erasures.refresh().isEmpty()) {
            return;
        }
        send();
        inFlight.acquire(settings.maxInFlight());
        inFlight.release(settings.maxInFlight());
        checkError();
        erasures.ackApplied();
    }

    /** Takes back what a checkpoint held, without rows of users erased since; sent with the next batch. */
    void restore(Collection<BufferedRows<T>> held) {
        for (BufferedRows<T> rows : held) {
            buffer.restore(
                    rows,
                    timeService.getCurrentProcessingTime(),
                    row -> erasures != null && erasures.covers(encoder.userId(row), encoder.recordTime(row)));
        }
        metrics.bufferedRows.set(buffer.rows());
    }

    @Override
    public void close() {
        closed = true;
        // One line per writer with its totals: the benchmark script reads rows per insert from it.
        LOG.info(
                "ClickHouse sink totals ({}): batches={} rows={} bytes={} retries={} failures={}",
                rowKind,
                metrics.batches.getCount(),
                metrics.rows.getCount(),
                metrics.bytes.getCount(),
                metrics.retries.getCount(),
                metrics.failures.getCount());
        sender.shutdownNow();
        try {
            sender.awaitTermination(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            inserter.close();
            if (rejected != null) {
                rejected.close();
            }
            if (guard != null) {
                guard.close();
            }
            if (erasures != null) {
                erasures.close();
            }
        }
    }

    private void scheduleTimer() {
        scheduleTimer(timeService.getCurrentProcessingTime());
    }

    /**
     * The next check, a tick after {@code from} (the last check's time, so that late checks do not drift) but in the
     * future: four per interval, so a row waits at most 1.25 intervals, not 2.
     */
    private void scheduleTimer(long from) {
        long tick = Math.max(10, settings.flushInterval().toMillis() / 4);
        long current = timeService.getCurrentProcessingTime();
        long next = from + tick;
        if (next <= current) { // late: the first tick of the same grid after now (overflow: just after now)
            long behind = current - from;
            next = behind < 0 ? current + tick : from + (behind / tick + 1) * tick;
        }
        timeService.registerTimer(next, now -> {
            if (closed) {
                return;
            }
            // Runs in the task thread (mailbox), like write(): no locking around the buffer needed.
            if (erasures != null && firstError.get() == null) {
                applyErasures(); // also while no row comes
                erasures.refreshAck();
            }
            // A due batch waits for a free slot here instead of blocking the task: while an insert runs the task
            // goes on (the events behind it are not held up before the sink) and the batch keeps filling, to be
            // sent at the first tick after the insert returns. Only a full batch blocks (back-pressure).
            if (buffer.isDue(now) && firstError.get() == null && inFlight.availablePermits() > 0) {
                send();
            }
            scheduleTimer(now);
        });
    }

    private void send() throws InterruptedException {
        if (buffer.isEmpty()) {
            return;
        }
        if (buffer.newestRowLagMs() != Long.MIN_VALUE) {
            metrics.arrivalLagMs.update(buffer.newestRowLagMs());
        }
        // The slot first: the insert before gives its array back (Batch.release) before it frees the slot, so the
        // batch drained now takes that array instead of a new one.
        inFlight.acquire();
        Batch batch = buffer.drain();
        metrics.bufferedRows.set(0);
        metrics.inFlightBatches.incrementAndGet();
        try {
            sender.execute(() -> {
                try {
                    insert(batch);
                } catch (Throwable t) {
                    metrics.failures.inc();
                    if (!firstError.compareAndSet(null, t)) {
                        firstError.get().addSuppressed(t);
                    }
                } finally {
                    metrics.inFlightBatches.decrementAndGet();
                    inFlight.release();
                }
            });
        } catch (RuntimeException e) {
            metrics.inFlightBatches.decrementAndGet();
            inFlight.release();
            throw e;
        }
    }

    /** Inserts a batch; if the server refuses some of its rows, inserts the others and hands those on. */
    private void insert(Batch drained) throws Exception {
        Batch batch = drained;
        if (guard != null) {
            batch = admit(batch);
        }
        if (batch != null) {
            try {
                insertWithRetries(batch);
            } catch (RowsRefused refused) {
                isolate(withoutDrift(batch, refused), refused);
            }
        }
        drained.release();
    }

    /**
     * A refused batch whose first, middle and last rows are each refused alone is taken for a table that no longer
     * fits the rows (a column changed under the running job), not for bad values: the job fails with the server's
     * message, nothing goes to the dead letters. Otherwise the rest of the batch, without the probes: an inserted
     * probe is stored, a refused one is rejected.
     */
    @SuppressWarnings("unchecked")
    private Batch withoutDrift(Batch batch, RowsRefused refused) throws Exception {
        List<T> rows = (List<T>) batch.rowObjects();
        if (rows.size() < 2) {
            return batch;
        }
        Set<Integer> probes = new java.util.TreeSet<>(List.of(0, rows.size() / 2, rows.size() - 1));
        List<T> refusedAlone = new ArrayList<>();
        RowsRefused last = refused;
        boolean anyStored = false;
        for (int i : probes) {
            try {
                insertWithRetries(encode(List.of(rows.get(i)), -1, batch.bytes() / rows.size()));
                anyStored = true;
            } catch (RowsRefused r) {
                refusedAlone.add(rows.get(i));
                last = r;
            }
        }
        if (!anyStored) {
            throw new IOException(
                    "ClickHouse refused every row of " + inserter.table() + " that was tried alone ("
                            + probes.size() + " of a batch of " + rows.size()
                            + "): the table no longer fits the rows this "
                            + "job writes (a column changed under the running job?). Make the table match the job's schema "
                            + "(sql/), then restart; nothing went to the dead letters. The server said: "
                            + last.getCause().getMessage(),
                    last.getCause());
        }
        for (T row : refusedAlone) {
            rejectOne(row, last);
        }
        List<T> rest = new ArrayList<>(rows.size() - probes.size());
        for (int i = 0; i < rows.size(); i++) {
            if (!probes.contains(i)) {
                rest.add(rows.get(i));
            }
        }
        return rest.isEmpty() ? null : encode(rest, -1, batch.bytes());
    }

    private void rejectOne(T row, RowsRefused refused) throws Exception {
        rejected.reject(List.of(row), inserter.table(), refused.getCause().getMessage());
        metrics.rejectedRows.inc();
        LOG.warn(
                "ClickHouse refused a row of {}; it went to the dead-letter path: {}",
                inserter.table(),
                refused.getCause().getMessage());
    }

    /** Splits a refused batch in halves until the refused rows are alone, then hands them to the rejected path. */
    @SuppressWarnings("unchecked")
    private void isolate(Batch batch, RowsRefused refused) throws Exception {
        if (batch == null) {
            return;
        }
        List<T> rows = (List<T>) batch.rowObjects();
        if (rows.size() == 1) {
            rejectOne(rows.get(0), refused);
            return;
        }
        int half = rows.size() / 2;
        for (List<T> part : List.of(rows.subList(0, half), rows.subList(half, rows.size()))) {
            Batch b = encode(part, -1, batch.bytes() / 2);
            try {
                insertWithRetries(b);
            } catch (RowsRefused again) {
                isolate(b, again);
            }
        }
    }

    /**
     * The batch without the rows an earlier run stored already (null: nothing left), after the replay guard has
     * recorded what is about to be sent. Its failures (Redis, the check's query) are retried like inserts.
     */
    @SuppressWarnings("unchecked")
    private Batch admit(Batch batch) throws Exception {
        int rows = batch.rows();
        SourcePositions positions = batch.positions();
        for (int retry = 0; ; retry++) {
            ReplayGuard.Admitted<T> admitted;
            try {
                admitted = guard.admit(rows, positions::at, i -> (T) batch.row(i));
            } catch (Exception e) {
                backOffOrFail(
                        "Replay check before inserting " + rows + " rows into " + inserter.table(), retry, true, e);
                continue;
            }
            metrics.replayCheckedRows.inc(admitted.checked());
            metrics.replaySkippedRows.inc(admitted.skipped());
            if (admitted.skipped() > 0) {
                LOG.info(
                        "Replay: {} of {} rows of a batch are in {} already and are left out",
                        admitted.skipped(),
                        rows,
                        inserter.table());
            }
            if (admitted.rows() == null) {
                return batch;
            }
            return admitted.rows().isEmpty() ? null : encode(admitted.rows(), batch.oldestPublishedAt(), batch.bytes());
        }
    }

    private Batch encode(List<T> rows, long oldestPublishedAt, int sizeHint) {
        RowBinaryBuffer out = new RowBinaryBuffer(Math.max(64, sizeHint));
        rows.forEach(r -> encoder.encode(r, out));
        return new Batch(Arrays.copyOf(out.array(), out.size()), rows.size(), oldestPublishedAt, new ArrayList<>(rows));
    }

    /** A lasting failure that may come from rows of the batch, and the writer can isolate them. */
    private static final class RowsRefused extends Exception {
        RowsRefused(Exception cause) {
            super(cause);
        }
    }

    private void insertWithRetries(Batch batch) throws Exception {
        for (int retry = 0; ; retry++) {
            long start = System.nanoTime();
            try {
                inserter.insert(batch);
                metrics.flushLatencyMs.update(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start));
                metrics.batches.inc();
                metrics.rows.inc(batch.rows());
                metrics.bytes.inc(batch.bytes());
                if (batch.oldestPublishedAt() > 0) {
                    metrics.endToEndLagMs.update(System.currentTimeMillis() - batch.oldestPublishedAt());
                }
                if (retry > 0) {
                    LOG.info("ClickHouse insert of {} rows succeeded after {} retries", batch.rows(), retry);
                }
                return;
            } catch (Exception e) {
                batch.attemptFailed();
                if (!closed
                        && !inserter.isRetryable(e)
                        && inserter.mayBeRowLevel(e)
                        && rejected != null
                        && batch.keepsRows()) {
                    throw new RowsRefused(e);
                }
                backOffOrFail("ClickHouse insert of " + batch.rows() + " rows", retry, inserter.isRetryable(e), e);
                if (inserter.mayHaveStored(e)) {
                    batch = withoutStored(batch);
                    if (batch == null) {
                        return;
                    }
                }
            }
        }
    }

    /**
     * After a failure the server may have committed (a timeout, a connection lost after sending): the batch without
     * the rows ClickHouse holds now, so the retry does not store them twice once the replicated tables' block
     * deduplication (the last 100 blocks) has forgotten them. Null: all of it is stored. Without positions (the
     * sessions table, whose version column makes a second copy collapse) the batch stays as it is.
     */
    @SuppressWarnings("unchecked")
    private Batch withoutStored(Batch batch) throws Exception {
        if (guard == null || !batch.keepsRows()) {
            return batch;
        }
        List<T> rows = (List<T>) batch.rowObjects();
        for (int retry = 0; ; retry++) {
            try {
                List<T> left = guard.notStored(rows);
                if (left.size() == rows.size()) {
                    return batch;
                }
                metrics.replaySkippedRows.inc(rows.size() - left.size());
                LOG.info(
                        "{} of {} rows of a failed insert into {} were stored after all; the retry sends the other {}",
                        rows.size() - left.size(),
                        rows.size(),
                        inserter.table(),
                        left.size());
                return left.isEmpty() ? null : encode(left, batch.oldestPublishedAt(), batch.bytes());
            } catch (Exception e) {
                backOffOrFail(
                        "Look-up of a failed insert's " + rows.size() + " rows in " + inserter.table(), retry, true, e);
            }
        }
    }

    /** After failed attempt {@code retry} of {@code what}: waits the policy's backoff, or throws when it may not retry. */
    private void backOffOrFail(String what, int retry, boolean retryable, Exception e) throws Exception {
        RetryPolicy policy = settings.retryPolicy();
        if (closed || !retryable || retry >= policy.maxRetries()) {
            throw new IOException(
                    what + " failed" + (retryable ? " after " + retry + " retries" : " (not retryable)") + ": "
                            + e.getMessage(),
                    e);
        }
        long backoff = policy.backoffMs(retry + 1);
        metrics.retries.inc();
        LOG.warn(
                "{} failed (retry {} of {} in {} ms): {}", what, retry + 1, policy.maxRetries(), backoff, e.toString());
        sleeper.sleep(backoff);
    }

    private void checkError() throws IOException {
        Throwable error = firstError.get();
        if (error != null) {
            throw error instanceof IOException ? (IOException) error : new IOException(error.getMessage(), error);
        }
    }
}
