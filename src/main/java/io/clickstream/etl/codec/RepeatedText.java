package io.clickstream.etl.codec;

import java.util.Arrays;

/**
 * The texts a task reads again and again (event types, sources, user agents), each kept as one String: a new
 * String per value is a large share of what an event allocates, and one instance also keeps its hash for the cache
 * lookups that follow (the device parser's is by user agent). A slot holds the last value that hashed to it; a value
 * longer than the table's limit is made anew. Only one thread uses an instance.
 */
public final class RepeatedText {
    private static final int SLOTS = 1024;
    private final int maxLength;
    private final char[][] keys = new char[SLOTS][];
    private final String[] values = new String[SLOTS];

    /** {@code maxLength}: longer values are not kept. */
    public RepeatedText(int maxLength) {
        this.maxLength = maxLength;
    }

    /** The text of {@code c[offset..offset + n)}. */
    public String of(char[] c, int offset, int n) {
        if (n > maxLength) {
            return new String(c, offset, n);
        }
        int slot = hash(c, offset, n) & (SLOTS - 1);
        char[] key = keys[slot];
        if (key != null && Arrays.equals(key, 0, key.length, c, offset, offset + n)) {
            return values[slot];
        }
        String value = new String(c, offset, n);
        keys[slot] = Arrays.copyOfRange(c, offset, offset + n);
        values[slot] = value;
        return value;
    }

    /**
     * Four interleaved sums instead of one: a user agent is a hundred chars or more, and one running sum is a chain
     * of multiplications each waiting for the one before.
     */
    private static int hash(char[] c, int offset, int n) {
        int h0 = n;
        int h1 = 0;
        int h2 = 0;
        int h3 = 0;
        int i = offset;
        int end = offset + n;
        for (; i + 3 < end; i += 4) {
            h0 = 31 * h0 + c[i];
            h1 = 31 * h1 + c[i + 1];
            h2 = 31 * h2 + c[i + 2];
            h3 = 31 * h3 + c[i + 3];
        }
        for (; i < end; i++) {
            h0 = 31 * h0 + c[i];
        }
        int h = h0 * 0x9E3779B9 + h1 * 0x85EBCA6B + h2 * 0xC2B2AE35 + h3 * 0x27D4EB2F;
        return h ^ (h >>> 16);
    }
}
