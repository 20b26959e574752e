package io.clickstream.etl.clickhouse;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/** Encoded rows ready to insert. The same Batch is re-sent on retry, so replicated dedup can drop a repeat. */
public final class Batch {
    private final byte[] data;
    /** How many bytes of {@link #data} are rows: a buffer's array handed over whole may be longer. */
    private final int length;
    /**
     * Takes {@link #data} back for a later batch once no request can read it any more (null: nothing takes it): a
     * catch-up's batches are tens of megabytes, and a copy into a new array for each cost the copy, the new array's
     * first touch of memory and a humongous allocation in the collector's old regions.
     */
    private final Consumer<byte[]> recycler;
    /** An attempt to send it failed: a request given up on (a timeout) may still be reading {@link #data}. */
    private boolean failed;

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
        this(data, data.length, rows, oldestPublishedAt, null, null, null, null);
        this.rowObjects = rowObjects;
    }

    /**
     * A batch whose rows are kept as bytes only: {@code rowStarts} (with {@code decoder}) reads each back when a rare
     * path needs it, {@code positions} serve the replay check of every batch. The rows are the first {@code length}
     * bytes of {@code data}; {@code recycler} (may be null) gets the array back on {@link #release}.
     */
    Batch(
            byte[] data,
            int length,
            int rows,
            long oldestPublishedAt,
            int[] rowStarts,
            SourcePositions positions,
            RowEncoder<?> decoder,
            Consumer<byte[]> recycler) {
        this.data = data;
        this.length = length;
        this.recycler = recycler;
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

    /** The array whose first {@link #bytes} bytes are the rows; valid until {@link Inserter#insert} returns. */
    public byte[] data() {
        return data;
    }

    public int rows() {
        return rows;
    }

    public int bytes() {
        return length;
    }

    /** Notes that an attempt to send it failed: its array is not used again (see {@link #release}). */
    void attemptFailed() {
        failed = true;
    }

    /**
     * Done with it: its array goes back for a later batch, unless an attempt to send it failed — the client may still
     * be reading from a request it gave up on, and new rows written into the array would go out under this batch's
     * name. The batch is not used after this.
     */
    void release() {
        if (!failed && recycler != null) {
            recycler.accept(data);
        }
    }
}
