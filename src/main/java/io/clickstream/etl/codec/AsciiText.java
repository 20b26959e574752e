package io.clickstream.etl.codec;

/**
 * ASCII text as its UTF-8 bytes without an array per value: most strings the job encodes (ids, URLs, sources,
 * countries) are ASCII, and {@code getBytes(UTF_8)} made a new array for each. (Flink's
 * {@code DataOutputSerializer.writeBytes} would do it in place but advances its position twice.)
 */
public final class AsciiText {
    private static final ThreadLocal<byte[][]> BUFFER = ThreadLocal.withInitial(() -> new byte[][] {new byte[256]});

    private AsciiText() {}

    /**
     * The thread's buffer holding {@code s}'s bytes in its first {@code s.length()} places, valid until the thread's
     * next call; null when {@code s} is not all ASCII.
     */
    @SuppressWarnings("deprecation") // the low byte of each char: exactly the UTF-8 of ASCII
    public static byte[] bytesOf(String s) {
        int n = s.length();
        for (int i = 0; i < n; i++) {
            if (s.charAt(i) >= 0x80) {
                return null;
            }
        }
        byte[][] holder = BUFFER.get();
        if (holder[0].length < n) {
            holder[0] = new byte[Math.max(n, 2 * holder[0].length)];
        }
        s.getBytes(0, n, holder[0], 0);
        return holder[0];
    }
}
