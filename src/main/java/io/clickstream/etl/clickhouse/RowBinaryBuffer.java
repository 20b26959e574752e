package io.clickstream.etl.clickhouse;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * A growable byte buffer that writes ClickHouse's RowBinary encoding (little-endian integers, LEB128 lengths).
 * RowBinary is accepted by every ClickHouse version from 18.16 on and costs the server less than JSON.
 */
public final class RowBinaryBuffer {
    private byte[] buf;
    private int size;

    RowBinaryBuffer(int initialCapacity) {
        buf = new byte[Math.max(64, initialCapacity)];
    }

    int size() {
        return size;
    }

    byte[] array() {
        return buf;
    }

    /** Hands over the array written so far (its first {@link #size} bytes) and goes on, empty, in {@code next}. */
    byte[] handOver(byte[] next) {
        byte[] written = buf;
        buf = next;
        size = 0;
        return written;
    }

    /** What was written, in an array of its own. */
    byte[] toByteArray() {
        return Arrays.copyOf(buf, size);
    }

    void clear() {
        size = 0;
    }

    /** Appends rows encoded before (a checkpoint's buffered rows). */
    void bytes(byte[] encoded) {
        ensure(encoded.length);
        System.arraycopy(encoded, 0, buf, size, encoded.length);
        size += encoded.length;
    }

    public void uint8(int v) {
        ensure(1);
        buf[size++] = (byte) v;
    }

    public void uint16(int v) {
        ensure(2);
        buf[size++] = (byte) v;
        buf[size++] = (byte) (v >>> 8);
    }

    public void uint32(long v) {
        ensure(4);
        for (int i = 0; i < 4; i++) {
            buf[size++] = (byte) (v >>> (8 * i));
        }
    }

    public void uint64(long v) {
        ensure(8);
        for (int i = 0; i < 8; i++) {
            buf[size++] = (byte) (v >>> (8 * i));
        }
    }

    public void float64(double v) {
        uint64(Double.doubleToRawLongBits(v));
    }

    /** Nullable(Float64): a null flag byte, then the value unless null. */
    public void nullableFloat64(Double v) {
        if (v == null) {
            uint8(1);
        } else {
            uint8(0);
            float64(v);
        }
    }

    public void varUInt(long v) {
        ensure(10);
        while ((v & ~0x7FL) != 0) {
            buf[size++] = (byte) ((v & 0x7F) | 0x80);
            v >>>= 7;
        }
        buf[size++] = (byte) v;
    }

    public void string(String s) {
        int n = s == null ? 0 : s.length();
        int start = size;
        varUInt(n); // the length in bytes if the value is ASCII, as most are: written as they are, in one pass
        ensure(n);
        byte[] b = buf;
        int p = size;
        for (int i = 0; i < n; i++) {
            char c = s.charAt(i);
            if (c >= 0x80) {
                size = start;
                byte[] bytes = s.getBytes(StandardCharsets.UTF_8);
                varUInt(bytes.length);
                ensure(bytes.length);
                System.arraycopy(bytes, 0, buf, size, bytes.length);
                size += bytes.length;
                return;
            }
            b[p + i] = (byte) c;
        }
        size = p + n;
    }

    public void stringArray(String[] values) {
        int n = values == null ? 0 : values.length;
        varUInt(n);
        for (int i = 0; i < n; i++) {
            string(values[i]);
        }
    }

    public void uint8Array(int[] values) {
        int n = values == null ? 0 : values.length;
        varUInt(n);
        for (int i = 0; i < n; i++) {
            uint8(values[i]);
        }
    }

    private void ensure(int more) {
        if (size + more > buf.length) {
            buf = Arrays.copyOf(buf, Math.max(buf.length * 2, size + more));
        }
    }
}
