package io.clickstream.etl.session;

import java.nio.charset.StandardCharsets;
import org.apache.commons.codec.digest.MurmurHash3;

/** Deterministic identities: the same user and start give the same session id in every run and job version. */
final class SessionKeys {
    private SessionKeys() {}

    /** 16 hex digits from (user, session start). */
    static String sessionId(String userId, long startMillis) {
        byte[] bytes = (userId + '\u0000' + startMillis).getBytes(StandardCharsets.UTF_8);
        return String.format("%016x", MurmurHash3.hash128x64(bytes)[0]);
    }

    /**
     * Key of an event id, to remember which events a session already holds: its upper 48 bits (the lower 16 carry
     * the {@link #positionTag} in a remembered entry).
     */
    static long eventKey(String eventId) {
        return MurmurHash3.hash128x64(eventId.getBytes(StandardCharsets.UTF_8))[0] & UserHistory.KEY_MASK;
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
        long h = MurmurHash3.hash128x64(
                (topic + '\u0000' + partition + '\u0000' + offset).getBytes(StandardCharsets.UTF_8))[0];
        int tag = (int) (h & 0xFFFF);
        return tag == 0 ? 1 : tag;
    }
}
