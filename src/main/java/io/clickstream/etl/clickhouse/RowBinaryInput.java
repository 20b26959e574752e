package io.clickstream.etl.clickhouse;

import java.nio.charset.StandardCharsets;

/** Reads back what {@link RowBinaryBuffer} wrote, for the rows a sink keeps only as bytes. */
public final class RowBinaryInput {
    private final byte[] buf;
    private int pos;

    RowBinaryInput(byte[] buf, int pos) {
        this.buf = buf;
        this.pos = pos;
    }

    int position() {
        return pos;
    }

    void skip(int n) {
        pos += n;
    }

    /** A copy of the bytes from {@code from} to where this input stands. */
    byte[] copyFrom(int from) {
        return java.util.Arrays.copyOfRange(buf, from, pos);
    }

    public int uint8() {
        return buf[pos++] & 0xFF;
    }

    public int uint16() {
        return uint8() | (uint8() << 8);
    }

    public long uint32() {
        long v = 0;
        for (int i = 0; i < 4; i++) {
            v |= (long) uint8() << (8 * i);
        }
        return v;
    }

    public long uint64() {
        long v = 0;
        for (int i = 0; i < 8; i++) {
            v |= (long) uint8() << (8 * i);
        }
        return v;
    }

    public Double nullableFloat64() {
        return uint8() == 1 ? null : Double.longBitsToDouble(uint64());
    }

    public long varUInt() {
        long v = 0;
        for (int shift = 0; ; shift += 7) {
            int b = uint8();
            v |= (long) (b & 0x7F) << shift;
            if ((b & 0x80) == 0) {
                return v;
            }
        }
    }

    public String string() {
        int n = (int) varUInt();
        String s = new String(buf, pos, n, StandardCharsets.UTF_8);
        pos += n;
        return s;
    }

    public String[] stringArray() {
        String[] out = new String[(int) varUInt()];
        for (int i = 0; i < out.length; i++) {
            out[i] = string();
        }
        return out;
    }

    public int[] uint8Array() {
        int[] out = new int[(int) varUInt()];
        for (int i = 0; i < out.length; i++) {
            out[i] = uint8();
        }
        return out;
    }
}
