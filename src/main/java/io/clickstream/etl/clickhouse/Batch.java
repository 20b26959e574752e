package io.clickstream.etl.clickhouse;

/** Encoded rows ready to insert. The same Batch is re-sent on retry, so replicated dedup can drop a repeat. */
public final class Batch {
    private final byte[] data;
    private final int rows;

    public Batch(byte[] data, int rows) {
        this.data = data;
        this.rows = rows;
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
