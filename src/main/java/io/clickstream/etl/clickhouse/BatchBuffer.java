package io.clickstream.etl.clickhouse;

import java.util.Arrays;
import java.util.concurrent.atomic.AtomicReference;

/** Collects encoded rows until the batch is full (rows or bytes) or old enough (time) to send. */
final class BatchBuffer<T> {
    private final int maxRows;
    private final long maxBytes;
    private final long maxAgeMs;
    private final long catchUpAgeMs;
    private final long catchUpLagMs;
    private final RowEncoder<T> encoder;
    private final RowBinaryBuffer buffer;
    private int rows;
    private long firstRowAt;
    private long oldestPublishedAt = Long.MAX_VALUE;
    /** How old the newest row was (by its Kafka timestamp) when it was added; Long.MIN_VALUE: unknown. */
    private long newestRowLagMs = Long.MIN_VALUE;
    /**
     * Where each row starts, when refused rows must be isolated and handed on (null: not kept). Not the rows
     * themselves: a catch-up holds a batch for seconds, and objects held that long cost the collector more than the
     * rest of the job does.
     */
    private int[] rowStarts;
    /** Each row's source position, for the replay check (null: not kept). */
    private final SourcePositions positions;
    /**
     * The array of a batch sent before, given back by the sender's thread once inserted (see {@link Batch#release}):
     * the next batch is written into it, so that the rows are never copied and two arrays take turns.
     */
    private final AtomicReference<byte[]> spare = new AtomicReference<>();

    /**
     * Limits from {@code settings}: a batch may reach the catch-up flush interval while its newest row was at least
     * the catch-up lag late when it arrived (the job is catching up). {@code keepRows}: the rows can be read back.
     */
    BatchBuffer(RowEncoder<T> encoder, SinkSettings settings, boolean keepRows) {
        this(encoder, settings, keepRows, false);
    }

    /** ... and {@code keepPositions}: each row's source position is kept for the replay check. */
    BatchBuffer(RowEncoder<T> encoder, SinkSettings settings, boolean keepRows, boolean keepPositions) {
        this.rowStarts = keepRows ? new int[1024] : null;
        this.positions = keepPositions ? new SourcePositions(1024) : null;
        this.encoder = encoder;
        this.maxRows = settings.batchRows();
        this.maxBytes = settings.batchBytes();
        this.maxAgeMs = settings.flushInterval().toMillis();
        this.catchUpAgeMs = settings.catchUpFlushInterval().toMillis();
        this.catchUpLagMs = settings.catchUpLag().toMillis();
        this.buffer = new RowBinaryBuffer((int) Math.min(maxBytes, 1 << 20));
    }

    void add(T row, long now) {
        if (rows == 0) {
            firstRowAt = now;
        }
        if (rowStarts != null) {
            if (rows == rowStarts.length) {
                rowStarts = Arrays.copyOf(rowStarts, rows * 2);
            }
            rowStarts[rows] = buffer.size();
        }
        if (positions != null) {
            encoder.addPosition(row, positions);
        }
        encoder.encode(row, buffer);
        long published = encoder.publishedAt(row);
        if (published > 0) {
            oldestPublishedAt = Math.min(oldestPublishedAt, published);
        }
        newestRowLagMs = published > 0 ? now - published : Long.MIN_VALUE;
        rows++;
    }

    boolean isEmpty() {
        return rows == 0;
    }

    boolean isFull() {
        return rows >= maxRows || buffer.size() >= maxBytes;
    }

    /**
     * Old enough to send. Rows that were late when they arrived (a start from earliest, a replay, the backlog of an
     * outage) may wait longer: a few seconds more hardly change how late they are, while each insert makes a part
     * that ClickHouse merges and registers in ZooKeeper on every replica, so small inserts cost a catching-up job
     * a large share of the machine. The first row that arrives less late brings the short limit back. The lag that
     * counts as late must stay well above what one large insert adds (the writer waits for it): near that, a live
     * job's own large inserts kept it late.
     */
    boolean isDue(long now) {
        long limit = catchUpAgeMs > maxAgeMs && newestRowLagMs >= catchUpLagMs ? catchUpAgeMs : maxAgeMs;
        return rows > 0 && now - firstRowAt >= limit;
    }

    int rows() {
        return rows;
    }

    /** How late the newest row was (since its publish) when it was added; Long.MIN_VALUE: unknown. */
    long newestRowLagMs() {
        return newestRowLagMs;
    }

    /** Whether the newest row was late enough to count as a catch-up (see {@link #isDue}). */
    boolean catchingUp() {
        return catchUpAgeMs > maxAgeMs && newestRowLagMs >= catchUpLagMs;
    }

    /**
     * The buffered rows as they are, for a checkpoint (with the rows read back as objects where they are kept: the
     * state's format holds them); the buffer keeps them.
     */
    @SuppressWarnings("unchecked")
    BufferedRows<T> snapshot() {
        byte[] data = Arrays.copyOf(buffer.array(), buffer.size());
        java.util.List<T> objects = null;
        if (rowStarts != null) {
            objects = new java.util.ArrayList<>(rows);
            for (int i = 0; i < rows; i++) {
                objects.add(encoder.decode(new RowBinaryInput(data, rowStarts[i])));
            }
        }
        return new BufferedRows<>(data, rows, oldestPublishedAt, newestRowLagMs, objects);
    }

    /**
     * Adds rows a checkpoint held (after a restore), waiting from {@code now}, without those {@code drop} selects
     * (which needs the rows' objects). Rows kept without their objects are taken only by a buffer that does not keep
     * them either.
     */
    void restore(BufferedRows<T> held, long now, java.util.function.Predicate<T> drop) {
        if (held.rowObjects() != null && rowStarts != null) {
            // Encoded again: the same bytes, and where each row starts.
            for (T row : held.rowObjects()) {
                if (!drop.test(row)) {
                    add(row, now);
                }
            }
            return;
        }
        if ((rowStarts == null) != (held.rowObjects() == null)) {
            throw new IllegalStateException(
                    "the buffered rows of the checkpoint " + (held.rowObjects() == null ? "lack" : "carry")
                            + " the row objects this sink " + (rowStarts == null ? "does not keep" : "needs")
                            + ": restore with the same settings (rejected-rows path, replay check) as the job that took it");
        }
        if (rows == 0) {
            firstRowAt = now;
        }
        buffer.bytes(held.data());
        rows += held.rows();
        if (held.oldestPublishedAt() > 0) {
            oldestPublishedAt = Math.min(oldestPublishedAt, held.oldestPublishedAt());
        }
        newestRowLagMs = Math.max(newestRowLagMs, held.newestRowLagMs());
    }

    /** The rows as a batch, which takes the buffer's array; the buffer goes on in the spare array or a new one. */
    Batch drain() {
        int size = buffer.size();
        byte[] next = spare.getAndSet(null);
        byte[] data = buffer.handOver(next != null ? next : new byte[buffer.array().length]);
        Batch batch = new Batch(
                data,
                size,
                rows,
                oldestPublishedAt == Long.MAX_VALUE ? -1 : oldestPublishedAt,
                rowStarts == null ? null : Arrays.copyOf(rowStarts, rows),
                positions == null ? null : positions.copy(rows),
                encoder,
                spare::set);
        if (positions != null) {
            positions.clear();
        }
        rows = 0;
        oldestPublishedAt = Long.MAX_VALUE;
        newestRowLagMs = Long.MIN_VALUE;
        return batch;
    }
}
