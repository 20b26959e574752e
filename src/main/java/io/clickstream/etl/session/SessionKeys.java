package io.clickstream.etl.session;

import io.clickstream.etl.codec.AsciiText;
import java.nio.charset.StandardCharsets;
import net.openhft.hashing.LongHashFunction;

/** Deterministic identities: the same user and start give the same session id in every run and job version. */
final class SessionKeys {
    /**
     * The first 64 bits of MurmurHash3 x64 128 with seed 0, as every stored session id and event key was made (with
     * commons-codec's, which returns both halves in a new array per hash).
     */
    private static final LongHashFunction MURMUR3 = LongHashFunction.murmur_3();

    private SessionKeys() {}

    /** 16 hex digits from (user, session start). */
    static String sessionId(String userId, long startMillis) {
        byte[] bytes = (userId + '\u0000' + startMillis).getBytes(StandardCharsets.UTF_8);
        String hex = Long.toHexString(MURMUR3.hashBytes(bytes)); // as %016x, without a formatter per session
        return hex.length() == 16 ? hex : "0".repeat(16 - hex.length()) + hex;
    }

    /**
     * Key of an event id, to remember which events a session already holds: its upper 48 bits (the lower 16 carry
     * the {@link #positionTag} in a remembered entry).
     */
    static long eventKey(String eventId) {
        // The usual ASCII id is hashed from the thread's buffer: no array of its bytes per event.
        byte[] ascii = AsciiText.bytesOf(eventId);
        long h = ascii != null
                ? MURMUR3.hashBytes(ascii, 0, eventId.length())
                : MURMUR3.hashBytes(eventId.getBytes(StandardCharsets.UTF_8));
        return h & UserHistory.KEY_MASK;
    }

    /**
     * 16 bits (1..65535) of where an event was read (topic, partition, offset); 0 when it has no position. The same
     * event read again from the same position is a replay; from another one, a duplicate delivery (a client that
     * sent it again, history imported twice). Two positions with the same tag (1 in 65,535) make a duplicate look
     * like a replay: it is then stored again and collapses on merge, as every duplicate did before.
     */
    static int positionTag(String topic, int partition, long offset) {
        if (topic == null) {
            return 0;
        }
        long h;
        if (isAscii(topic, partition, offset)) { // nearly always: the bytes in the thread's buffer
            byte[] b = POSITION.get();
            int n = positionLength(topic, partition, offset);
            if (n > b.length) {
                b = new byte[n];
            }
            writePosition(b, n, topic, partition, offset);
            h = MURMUR3.hashBytes(b, 0, n);
        } else {
            h = MURMUR3.hashBytes(positionBytes(topic, partition, offset));
        }
        int tag = (int) (h & 0xFFFF);
        return tag == 0 ? 1 : tag;
    }

    /** A Kafka topic name has at most 249 characters: a buffer for every position of one. */
    private static final ThreadLocal<byte[]> POSITION = ThreadLocal.withInitial(() -> new byte[288]);

    /** {@code topic + '\0' + partition + '\0' + offset} in UTF-8, the bytes the tag hashes (stored tags depend on them). */
    static byte[] positionBytes(String topic, int partition, long offset) {
        if (!isAscii(topic, partition, offset)) {
            return (topic + '\u0000' + partition + '\u0000' + offset).getBytes(StandardCharsets.UTF_8);
        }
        int n = positionLength(topic, partition, offset);
        byte[] b = new byte[n];
        writePosition(b, n, topic, partition, offset);
        return b;
    }

    private static boolean isAscii(String topic, int partition, long offset) {
        for (int i = 0; i < topic.length(); i++) {
            if (topic.charAt(i) >= 0x80) {
                return false;
            }
        }
        return partition >= 0 && offset >= 0;
    }

    private static int positionLength(String topic, int partition, long offset) {
        return topic.length() + 1 + digits(partition) + 1 + digits(offset);
    }

    /** The position's bytes (an ASCII topic, a partition and an offset not negative) in {@code b}'s first {@code n}. */
    private static void writePosition(byte[] b, int n, String topic, int partition, long offset) {
        int t = topic.length();
        for (int i = 0; i < t; i++) {
            b[i] = (byte) topic.charAt(i);
        }
        b[t] = 0;
        int partitionEnd = t + 1 + digits(partition);
        writeDigits(b, partitionEnd, partition);
        b[partitionEnd] = 0;
        writeDigits(b, n, offset);
    }

    private static int digits(long v) {
        int d = 1;
        while (v >= 10) {
            v /= 10;
            d++;
        }
        return d;
    }

    /** The decimal digits of {@code v} (not negative), ending just before {@code end}. */
    private static void writeDigits(byte[] b, int end, long v) {
        int i = end;
        do {
            b[--i] = (byte) ('0' + v % 10);
            v /= 10;
        } while (v > 0);
    }
}
