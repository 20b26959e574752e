package io.clickstream.etl.config;

import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;

/** Points in time as users write them: epoch milliseconds or ISO-8601 with an offset. */
public final class Timestamps {
    private Timestamps() {}

    public static long parseMillis(String text) {
        String t = text.trim();
        if (t.matches("\\d{1,16}")) {
            return Long.parseLong(t);
        }
        try {
            return OffsetDateTime.parse(t).toInstant().toEpochMilli();
        } catch (DateTimeParseException e) {
            try {
                return Instant.parse(t).toEpochMilli();
            } catch (DateTimeParseException e2) {
                throw new IllegalArgumentException(
                        "expected epoch milliseconds or ISO-8601 with offset, e.g. 2026-11-22T08:00:00Z");
            }
        }
    }
}
