package io.clickstream.etl.clickhouse;

import java.util.Arrays;

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
    /** The rows themselves, when refused rows must be isolated and handed on (null: not kept). */
    private java.util.List<T> rowObjects;

    /**
     * Limits from {@code settings}: a batch may reach the catch-up flush interval while its newest row was at least
     * the catch-up lag late when it arrived (the job is catching up). {@code keepRows}: keep the row objects too.
     */
    BatchBuffer(RowEncoder<T> encoder, SinkSettings settings, boolean keepRows) {
        this.rowObjects = keepRows ? new java.util.ArrayList<>() : null;
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
        encoder.encode(row, buffer);
        if (rowObjects != null) {
            rowObjects.add(row);
        }
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

    /** Whether the newest row was late enough to count as a catch-up (see {@link #isDue}). */
    boolean catchingUp() {
        return catchUpAgeMs > maxAgeMs && newestRowLagMs >= catchUpLagMs;
    }

    /** The buffered rows as they are, for a checkpoint; the buffer keeps them. */
    BufferedRows<T> snapshot() {
        return new BufferedRows<>(
                Arrays.copyOf(buffer.array(), buffer.size()),
                rows,
                oldestPublishedAt,
                newestRowLagMs,
                rowObjects == null ? null : new java.util.ArrayList<>(rowObjects));
    }

    /**
     * Adds rows a checkpoint held (after a restore), waiting from {@code now}, without those {@code drop} selects
     * (which needs the rows' objects). Rows kept without their objects are taken only by a buffer that does not keep
     * them either.
     */
    void restore(BufferedRows<T> held, long now, java.util.function.Predicate<T> drop) {
        if (held.rowObjects() != null
                && rowObjects != null
                && held.rowObjects().stream().anyMatch(drop)) {
            for (T row : held.rowObjects()) {
                if (!drop.test(row)) {
                    add(row, now);
                }
            }
            return;
        }
        if ((rowObjects == null) != (held.rowObjects() == null)) {
            throw new IllegalStateException(
                    "the buffered rows of the checkpoint " + (held.rowObjects() == null ? "lack" : "carry")
                            + " the row objects this sink " + (rowObjects == null ? "does not keep" : "needs")
                            + ": restore with the same settings (rejected-rows path, replay check) as the job that took it");
        }
        if (rows == 0) {
            firstRowAt = now;
        }
        buffer.bytes(held.data());
        if (rowObjects != null) {
            rowObjects.addAll(held.rowObjects());
        }
        rows += held.rows();
        if (held.oldestPublishedAt() > 0) {
            oldestPublishedAt = Math.min(oldestPublishedAt, held.oldestPublishedAt());
        }
        newestRowLagMs = Math.max(newestRowLagMs, held.newestRowLagMs());
    }

    Batch drain() {
        Batch batch = new Batch(
                Arrays.copyOf(buffer.array(), buffer.size()),
                rows,
                oldestPublishedAt == Long.MAX_VALUE ? -1 : oldestPublishedAt,
                rowObjects);
        if (rowObjects != null) {
            rowObjects = new java.util.ArrayList<>();
        }
        buffer.reset();
        rows = 0;
        oldestPublishedAt = Long.MAX_VALUE;
        newestRowLagMs = Long.MIN_VALUE;
        return batch;
    }
}
