package io.clickstream.etl.config;

import java.time.Duration;

/** The checks the settings records' {@code sanityCheck()} share; each message names the option to fix. */
public final class SanityChecks {
    private SanityChecks() {}

    public static void positive(long value, ConfigOption<?> option) {
        positive(value, option.key());
    }

    public static void positive(long value, String name) {
        if (value <= 0) {
            throw new IllegalArgumentException(name + " must be more than zero, not " + value);
        }
    }

    public static void positive(Duration value, ConfigOption<?> option) {
        positive(value, option.key());
    }

    public static void positive(Duration value, String name) {
        if (value == null || value.isNegative() || value.isZero()) {
            throw new IllegalArgumentException(name + " must be more than zero, not " + value);
        }
    }
}
