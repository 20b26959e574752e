package io.clickstream.etl.clickhouse;

import java.util.Arrays;

/** Collects encoded rows until the batch is full (rows or bytes) or old enough (time) to send. */
final class BatchBuffer<T> {
    private final int maxRows;
    private final long maxBytes;
    private final long maxAgeMs;
    private final RowEncoder<T> encoder;
    private final RowBinaryBuffer buffer;
    private int rows;
    private long firstRowAt;
    private long oldestPublishedAt = Long.MAX_VALUE;
    /** The rows themselves, when refused rows must be isolated and handed on (null: not kept). */
    private java.util.List<T> sources;

    BatchBuffer(RowEncoder<T> encoder, int maxRows, long maxBytes, long maxAgeMs) {
        this(encoder, maxRows, maxBytes, maxAgeMs, false);
    }

    BatchBuffer(RowEncoder<T> encoder, int maxRows, long maxBytes, long maxAgeMs, boolean keepRows) {
        this.sources = keepRows ? new java.util.ArrayList<>() : null;
        this.encoder = encoder;
        this.maxRows = maxRows;
        this.maxBytes = maxBytes;
        this.maxAgeMs = maxAgeMs;
        this.buffer = new RowBinaryBuffer((int) Math.min(maxBytes, 1 << 20));
    }

    void add(T row, long now) {
        if (rows == 0) {
            firstRowAt = now;
        }
        encoder.encode(row, buffer);
        if (sources != null) {
            sources.add(row);
        }
        long published = encoder.publishedAt(row);
        if (published > 0) {
            oldestPublishedAt = Math.min(oldestPublishedAt, published);
        }
        rows++;
    }

    boolean isEmpty() {
        return rows == 0;
    }

    boolean isFull() {
        return rows >= maxRows || buffer.size() >= maxBytes;
    }

    boolean isDue(long now) {
        return rows > 0 && now - firstRowAt >= maxAgeMs;
    }

    int rows() {
        return rows;
    }

    Batch drain() {
        Batch batch = new Batch(Arrays.copyOf(buffer.array(), buffer.size()), rows,
                oldestPublishedAt == Long.MAX_VALUE ? -1 : oldestPublishedAt, sources);
        if (sources != null) {
            sources = new java.util.ArrayList<>();
        }
        buffer.reset();
        rows = 0;
        oldestPublishedAt = Long.MAX_VALUE;
        return batch;
    }
}
