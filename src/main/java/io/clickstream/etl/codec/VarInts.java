package io.clickstream.etl.codec;

import java.io.DataInput;
import java.io.DataOutput;
import java.io.IOException;

/**
 * Whole numbers in the state the job keeps in Redis, as zigzag varints (protobuf's sint64): seven bits a byte, so
 * the small counts and indexes, the -1 of "none" and the epoch milliseconds of a field take 1, 1 and 6 bytes instead
 * of 8. Part of stored formats: a change needs a new format byte in the records that use it.
 */
public final class VarInts {
    private VarInts() {}

    public static void write(DataOutput out, long value) throws IOException {
        long v = (value << 1) ^ (value >> 63);
        while ((v & ~0x7FL) != 0) {
            out.writeByte((int) ((v & 0x7F) | 0x80));
            v >>>= 7;
        }
        out.writeByte((int) v);
    }

    /** Reads what {@link #write} wrote; more than ten bytes is damage, not a number. */
    public static long read(DataInput in) throws IOException {
        long v = 0;
        for (int shift = 0; shift < 64; shift += 7) {
            int b = in.readUnsignedByte();
            v |= (long) (b & 0x7F) << shift;
            if ((b & 0x80) == 0) {
                return (v >>> 1) ^ -(v & 1);
            }
        }
        throw new IOException("a varint longer than ten bytes");
    }

    /** {@link #read} of a value that must fit an int in [min, max]. */
    public static int readInt(DataInput in, int min, int max) throws IOException {
        long v = read(in);
        if (v < min || v > max) {
            throw new IOException("value " + v + " outside [" + min + ", " + max + "]");
        }
        return (int) v;
    }
}
