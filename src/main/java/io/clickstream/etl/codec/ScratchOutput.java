package io.clickstream.etl.codec;

import java.util.Arrays;
import org.apache.flink.core.memory.DataOutputSerializer;

/**
 * A thread's reusable buffer for encoding a stored field: the field is built here and copied out once at its size,
 * instead of in a new growing buffer that is copied again (two arrays per field and batch, most of them short-lived
 * garbage). Not reentrant: one field at a time per thread.
 */
public final class ScratchOutput {
    private static final ThreadLocal<DataOutputSerializer> OUT =
            ThreadLocal.withInitial(() -> new DataOutputSerializer(1024));

    private ScratchOutput() {}

    /** The thread's buffer, emptied. */
    public static DataOutputSerializer get() {
        DataOutputSerializer out = OUT.get();
        out.clear();
        return out;
    }

    /** Whether {@code out} holds exactly {@code bytes}; null equals nothing. */
    public static boolean holds(DataOutputSerializer out, byte[] bytes) {
        return bytes != null
                && bytes.length == out.length()
                && Arrays.equals(out.getSharedBuffer(), 0, out.length(), bytes, 0, bytes.length);
    }
}
