package io.clickstream.etl.codec;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * The texts a task reads again and again (event types, sources, countries, browsers, user agents, pages), each kept
 * as one String: a new String per value is a large share of what an event allocates, and one instance also keeps
 * its hash for the cache lookups that follow (the device parser's is by user agent). A slot holds the last value
 * that hashed to it and is compared with the text met, so a value met once costs what a new String costs and no
 * more (only a value that is not ASCII keeps its UTF-8 bytes beside it); a value longer than the table's limit is
 * made anew. The parser hands over chars, the hop UTF-8 bytes. Only one thread uses an instance.
 */
public final class RepeatedText {
    private final int maxLength;
    private final int mask;
    private final String[] values;
    /** The UTF-8 bytes of a slot's value read from bytes that were not all ASCII; null otherwise. */
    private final byte[][] utf8;

    /** {@code slots}: a power of two; {@code maxLength}: longer values (in chars or bytes) are not kept. */
    public RepeatedText(int slots, int maxLength) {
        if (Integer.bitCount(slots) != 1) {
            throw new IllegalArgumentException("slots must be a power of two, not " + slots);
        }
        this.maxLength = maxLength;
        this.mask = slots - 1;
        this.values = new String[slots];
        this.utf8 = new byte[slots][];
    }

    /** The text of {@code c[offset..offset + n)}. */
    public String of(char[] c, int offset, int n) {
        if (n > maxLength) {
            return new String(c, offset, n);
        }
        int slot = hash(c, offset, n) & mask;
        String kept = values[slot];
        if (kept != null && sameChars(kept, c, offset, n)) {
            return kept;
        }
        String value = new String(c, offset, n);
        values[slot] = value;
        utf8[slot] = null;
        return value;
    }

    /** The text whose UTF-8 bytes are {@code b[0..n)}. */
    public String ofUtf8(byte[] b, int n) {
        if (n > maxLength) {
            return new String(b, 0, n, StandardCharsets.UTF_8);
        }
        int slot = hash(b, n) & mask;
        String kept = values[slot];
        if (kept != null) {
            byte[] key = utf8[slot];
            if (key == null ? sameAscii(kept, b, n) : Arrays.equals(key, 0, key.length, b, 0, n)) {
                return kept;
            }
        }
        String value = new String(b, 0, n, StandardCharsets.UTF_8);
        values[slot] = value;
        utf8[slot] = ascii(b, n) ? null : Arrays.copyOf(b, n);
        return value;
    }

    private static boolean sameChars(String s, char[] c, int offset, int n) {
        if (s.length() != n) {
            return false;
        }
        for (int i = 0; i < n; i++) {
            if (s.charAt(i) != c[offset + i]) {
                return false;
            }
        }
        return true;
    }

    /** Whether {@code b[0..n)} is ASCII and spells {@code s}: then it is the UTF-8 of {@code s}. */
    private static boolean sameAscii(String s, byte[] b, int n) {
        if (s.length() != n) {
            return false;
        }
        for (int i = 0; i < n; i++) {
            int x = b[i];
            if (x < 0 || s.charAt(i) != x) {
                return false;
            }
        }
        return true;
    }

    private static boolean ascii(byte[] b, int n) {
        for (int i = 0; i < n; i++) {
            if (b[i] < 0) {
                return false;
            }
        }
        return true;
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
