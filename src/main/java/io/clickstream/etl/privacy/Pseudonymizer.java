package io.clickstream.etl.privacy;

import io.clickstream.etl.event.Event;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Replaces configured fields by a keyed hash (HMAC-SHA256, the first 16 bytes as 32 hex digits). Keyed, so that
 * nobody without the key can test guesses (a plain hash of an e-mail address is found by hashing candidates);
 * deterministic, so that a user's events still meet in one session and joins still match across runs.
 */
public final class Pseudonymizer {
    /** The fields of an event it can replace; properties by name as {@code properties.<name>}. */
    public static final Set<String> FIELDS = Set.of("user_id", "url", "referrer", "user_agent");

    private static final String PROPERTY = "properties.";

    private final Mac mac;
    private final boolean userId;
    private final boolean url;
    private final boolean referrer;
    private final boolean userAgent;
    private final Set<String> properties;

    public Pseudonymizer(byte[] key, List<String> fields) {
        try {
            mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(key, "HmacSHA256"));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is part of every Java runtime", e);
        }
        userId = fields.contains("user_id");
        url = fields.contains("url");
        referrer = fields.contains("referrer");
        userAgent = fields.contains("user_agent");
        properties = fields.stream()
                .filter(f -> f.startsWith(PROPERTY))
                .map(f -> f.substring(PROPERTY.length()))
                .collect(java.util.stream.Collectors.toUnmodifiableSet());
    }

    /** The names in {@code fields} it does not know, for the settings' sanity check. */
    public static List<String> unknown(List<String> fields) {
        return fields.stream()
                .filter(f -> !FIELDS.contains(f) && !(f.startsWith(PROPERTY) && f.length() > PROPERTY.length()))
                .toList();
    }

    public void apply(Event e) {
        if (userId) {
            e.userId = pseudonym(e.userId);
        }
        if (url) {
            e.url = pseudonym(e.url);
        }
        if (referrer) {
            e.referrer = pseudonym(e.referrer);
        }
        if (userAgent) {
            // Device data was taken from it already (the device step runs first).
            e.userAgent = pseudonym(e.userAgent);
        }
        if (!properties.isEmpty() && e.propertyKeys != null) {
            for (int i = 0; i < e.propertyKeys.length; i++) {
                if (properties.contains(e.propertyKeys[i])) {
                    e.propertyValues[i] = pseudonym(e.propertyValues[i]);
                }
            }
        }
    }

    /** Empty stays empty: "no referrer" is not personal data, and a pseudonym of it would look like one. */
    public String pseudonym(String value) {
        if (value == null || value.isEmpty()) {
            return value;
        }
        byte[] h = mac.doFinal(value.getBytes(StandardCharsets.UTF_8));
        return HexFormat.of().formatHex(h, 0, 16);
    }
}
