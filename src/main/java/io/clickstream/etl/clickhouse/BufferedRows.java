package io.clickstream.etl.clickhouse;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.apache.flink.api.common.typeutils.TypeSerializer;
import org.apache.flink.core.io.SimpleVersionedSerializer;
import org.apache.flink.core.memory.DataInputDeserializer;
import org.apache.flink.core.memory.DataOutputSerializer;

/**
 * Rows a catching-up writer holds across a checkpoint instead of inserting them at the barrier: the encoded batch
 * and, when the writer keeps them, the rows as objects. Restored into the writer's buffer, so a checkpoint that
 * completes with them in its state loses none, and a catch-up's inserts are as large as the batch limits allow
 * rather than cut at every checkpoint.
 */
public record BufferedRows<T>(byte[] data, int rows, long oldestPublishedAt, long newestRowLagMs, List<T> rowObjects) {

    /** The state's serializer: the rows as objects through the sink's row serializer (format 1). */
    public static final class Serializer<T> implements SimpleVersionedSerializer<BufferedRows<T>> {
        private final TypeSerializer<T> rowSerializer;

        public Serializer(TypeSerializer<T> rowSerializer) {
            this.rowSerializer = rowSerializer;
        }

        @Override
        public int getVersion() {
            return 1;
        }

        @Override
        public byte[] serialize(BufferedRows<T> b) throws IOException {
            DataOutputSerializer out = new DataOutputSerializer(b.data().length + 64);
            out.writeInt(b.rows());
            out.writeLong(b.oldestPublishedAt());
            out.writeLong(b.newestRowLagMs());
            out.writeInt(b.data().length);
            out.write(b.data());
            out.writeInt(b.rowObjects() == null ? -1 : b.rowObjects().size());
            if (b.rowObjects() != null) {
                for (T row : b.rowObjects()) {
                    rowSerializer.serialize(row, out);
                }
            }
            return out.getCopyOfBuffer();
        }

        @Override
        public BufferedRows<T> deserialize(int version, byte[] serialized) throws IOException {
            if (version != 1) {
                throw new IOException("unknown format " + version + " of the ClickHouse sink's buffered rows: written "
                        + "by a newer version of the job; restore with that version");
            }
            DataInputDeserializer in = new DataInputDeserializer(serialized);
            int rows = in.readInt();
            long oldest = in.readLong();
            long lag = in.readLong();
            byte[] data = new byte[in.readInt()];
            in.readFully(data);
            int n = in.readInt();
            List<T> rowObjects = null;
            if (n >= 0) {
                rowObjects = new ArrayList<>(n);
                for (int i = 0; i < n; i++) {
                    rowObjects.add(rowSerializer.deserialize(in));
                }
            }
            return new BufferedRows<>(data, rows, oldest, lag, rowObjects);
        }
    }
}
