package io.clickstream.etl.clickhouse;

/** Encoded rows ready to insert. The same Batch is re-sent on retry, so replicated dedup can drop a repeat. */
public final class Batch {
    private final byte[] data;
    private final int rows;
    private final long oldestPublishedAt;
    private final java.util.List<?> rowObjects;

    /**
     * {@code oldestPublishedAt}: the publish time of the oldest input (epoch ms), -1 if unknown; {@code rowObjects}:
     * the rows as objects when the sink may have to isolate refused rows or leave out stored ones, else null.
     */
    Batch(byte[] data, int rows, long oldestPublishedAt, java.util.List<?> rowObjects) {
        this.data = data;
        this.rows = rows;
        this.oldestPublishedAt = oldestPublishedAt;
        this.rowObjects = rowObjects;
    }

    /** The rows as objects, kept when the sink has a path for rejected rows; null otherwise. */
    java.util.List<?> rowObjects() {
        return rowObjects;
    }

    /** The publish time of the batch's oldest input (epoch ms), -1 if unknown. */
    public long oldestPublishedAt() {
        return oldestPublishedAt;
    }

    public byte[] data() {
        return data;
    }

    public int rows() {
        return rows;
    }

    public int bytes() {
        return data.length;
    }
}
