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

    /** 64-bit key of an event id, to remember which events a session already holds. */
    static long eventKey(String eventId) {
        return MurmurHash3.hash128x64(eventId.getBytes(StandardCharsets.UTF_8))[0];
    }
}
