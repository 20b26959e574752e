package io.clickstream.etl.codec;

/**
 * ASCII text as its UTF-8 bytes without an array per value: most strings the job encodes (ids, URLs, sources,
 * countries) are ASCII, and {@code getBytes(UTF_8)} made a new array for each. (Flink's
 * {@code DataOutputSerializer.writeBytes} would do it in place but advances its position twice.)
 */
public final class AsciiText {
    private static final ThreadLocal<Buffer> BUFFER = ThreadLocal.withInitial(Buffer::new);

    private AsciiText() {}

    /** {@link Buffer#bytesOf} with the thread's buffer. */
    public static byte[] bytesOf(String s) {
        return BUFFER.get().bytesOf(s);
    }

    /** A buffer to hold one string's bytes at a time; a caller that encodes many strings keeps its own. */
    public static final class Buffer {
        private byte[] bytes = new byte[256];

        /**
         * This buffer holding {@code s}'s bytes in its first {@code s.length()} places, valid until the next call;
         * null when {@code s} is not all ASCII. One pass: each char is checked as it is copied.
         */
        public byte[] bytesOf(String s) {
            int n = s.length();
            if (bytes.length < n) {
                bytes = new byte[Math.max(n, 2 * bytes.length)];
            }
            byte[] b = bytes;
            for (int i = 0; i < n; i++) {
                char c = s.charAt(i);
                if (c >= 0x80) {
                    return null;
                }
                b[i] = (byte) c;
            }
            return b;
        }
    }
}
