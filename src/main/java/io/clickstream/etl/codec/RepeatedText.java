package io.clickstream.etl.codec;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * The texts a task reads again and again (event types, sources, countries, browsers, user agents), each kept as one
 * String: a new String per value is a large share of what an event allocates, and one instance also keeps its hash
 * for the cache lookups that follow (the device parser's is by user agent). A slot holds the last value that hashed
 * to it; a value longer than the table's limit is made anew. The parser hands over chars, the hop UTF-8 bytes; an
 * instance is used with one of the two. Only one thread uses an instance.
 */
public final class RepeatedText {
    private final int maxLength;
    private final int mask;
    /** The text of each slot as it was met: a char[] or a byte[]. */
    private final Object[] keys;

    private final String[] values;

    /** {@code slots}: a power of two; {@code maxLength}: longer values (in chars or bytes) are not kept. */
    public RepeatedText(int slots, int maxLength) {
        if (Integer.bitCount(slots) != 1) {
            throw new IllegalArgumentException("slots must be a power of two, not " + slots);
        }
        this.maxLength = maxLength;
        this.mask = slots - 1;
        this.keys = new Object[slots];
        this.values = new String[slots];
    }

    /** The text of {@code c[offset..offset + n)}. */
    public String of(char[] c, int offset, int n) {
        if (n > maxLength) {
            return new String(c, offset, n);
        }
        int slot = hash(c, offset, n) & mask;
        if (keys[slot] instanceof char[] key && Arrays.equals(key, 0, key.length, c, offset, offset + n)) {
            return values[slot];
        }
        String value = new String(c, offset, n);
        keys[slot] = Arrays.copyOfRange(c, offset, offset + n);
        values[slot] = value;
        return value;
    }

    /** The text whose UTF-8 bytes are {@code b[0..n)}. */
    public String ofUtf8(byte[] b, int n) {
        if (n > maxLength) {
            return new String(b, 0, n, StandardCharsets.UTF_8);
        }
        int slot = hash(b, n) & mask;
        if (keys[slot] instanceof byte[] key && Arrays.equals(key, 0, key.length, b, 0, n)) {
            return values[slot];
        }
        String value = new String(b, 0, n, StandardCharsets.UTF_8);
        keys[slot] = Arrays.copyOf(b, n);
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
        return mix(h0, h1, h2, h3);
    }

    /** As {@link #hash(char[], int, int)}, over bytes. */
    private static int hash(byte[] b, int n) {
        int h0 = n;
        int h1 = 0;
        int h2 = 0;
        int h3 = 0;
        int i = 0;
        for (; i + 3 < n; i += 4) {
            h0 = 31 * h0 + b[i];
            h1 = 31 * h1 + b[i + 1];
            h2 = 31 * h2 + b[i + 2];
            h3 = 31 * h3 + b[i + 3];
        }
        for (; i < n; i++) {
            h0 = 31 * h0 + b[i];
        }
        return mix(h0, h1, h2, h3);
    }

    private static int mix(int h0, int h1, int h2, int h3) {
        int h = h0 * 0x9E3779B9 + h1 * 0x85EBCA6B + h2 * 0xC2B2AE35 + h3 * 0x27D4EB2F;
        return h ^ (h >>> 16);
    }
}
