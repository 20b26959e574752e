package io.clickstream.etl.clickhouse;

import java.util.ArrayList;
import java.util.List;

/** Encoded rows ready to insert. The same Batch is re-sent on retry, so replicated dedup can drop a repeat. */
public final class Batch {
    private final byte[] data;
    private final int rows;
    private final long oldestPublishedAt;
    /** Where each row starts in {@link #data}, when the rows can be read back (null: they cannot). */
    private final int[] rowStarts;
    /** Each row's source position, when a replay check needs them (null: not kept). */
    private final SourcePositions positions;

    private final RowEncoder<?> decoder;
    private List<?> rowObjects;

    /**
     * {@code oldestPublishedAt}: the publish time of the oldest input (epoch ms), -1 if unknown; {@code rowObjects}:
     * the rows as objects when the sink may have to isolate refused rows or leave out stored ones, else null.
     */
    Batch(byte[] data, int rows, long oldestPublishedAt, List<?> rowObjects) {
        this(data, rows, oldestPublishedAt, null, null, null);
        this.rowObjects = rowObjects;
    }

    /**
     * A batch whose rows are kept as bytes only: {@code rowStarts} (with {@code decoder}) reads each back when a rare
     * path needs it, {@code positions} serve the replay check of every batch.
     */
    Batch(
            byte[] data,
            int rows,
            long oldestPublishedAt,
            int[] rowStarts,
            SourcePositions positions,
            RowEncoder<?> decoder) {
        this.data = data;
        this.rows = rows;
        this.oldestPublishedAt = oldestPublishedAt;
        this.rowStarts = rowStarts;
        this.positions = positions;
        this.decoder = decoder;
    }

    /** The rows as objects (read back from the bytes on first use), when the sink keeps them; null otherwise. */
    List<?> rowObjects() {
        if (rowObjects == null && rowStarts != null) {
            List<Object> out = new ArrayList<>(rows);
            for (int i = 0; i < rows; i++) {
                out.add(row(i));
            }
            rowObjects = out;
        }
        return rowObjects;
    }

    /** Whether the rows can be had as objects. */
    boolean keepsRows() {
        return rowObjects != null || rowStarts != null;
    }

    /** Row {@code i} read back from the bytes (or the object kept). */
    Object row(int i) {
        if (rowObjects != null) {
            return rowObjects.get(i);
        }
        return decoder.decode(new RowBinaryInput(data, rowStarts[i]));
    }

    /** Each row's source position (null entries: none), or null when not kept. */
    SourcePositions positions() {
        return positions;
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
