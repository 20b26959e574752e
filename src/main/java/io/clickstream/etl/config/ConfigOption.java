package io.clickstream.etl.config;

import java.io.Serializable;
import java.util.Objects;
import java.util.function.Function;

/**
 * One typed setting: its key, how its text is parsed, its default and what it means. All options are declared
 * in {@link Options}; values come from {@link JobConfig}.
 *
 * <p>Deliberately free of Flink classes so that the command-line tools (migrate, generator) run from the
 * shaded jar without Flink on the class path.
 */
public final class ConfigOption<T> implements Serializable {
    private static final long serialVersionUID = 1L;

    /** Parses the text of a value; throws {@link IllegalArgumentException} with a message for the user. */
    @FunctionalInterface
    public interface Parser<T> extends Function<String, T>, Serializable {}

    /** Checks a parsed value; returns null when it is fine, otherwise what is wrong with it. */
    @FunctionalInterface
    public interface Check<T> extends Function<T, String>, Serializable {}

    private final String key;
    private final String typeName;
    private final Parser<T> parser;
    private final String defaultText;
    private final String description;
    private final Check<T> check;
    private final boolean secret;

    ConfigOption(
            String key,
            String typeName,
            Parser<T> parser,
            String defaultText,
            String description,
            Check<T> check,
            boolean secret) {
        this.key = Objects.requireNonNull(key);
        this.typeName = typeName;
        this.parser = parser;
        this.defaultText = defaultText;
        this.description = description;
        this.check = check;
        this.secret = secret;
    }

    public String key() {
        return key;
    }

    public String typeName() {
        return typeName;
    }

    /** The default as text, or null when the option has no default. */
    public String defaultText() {
        return defaultText;
    }

    public String description() {
        return description;
    }

    /** Secrets are never printed and cannot be set on the command line. */
    public boolean isSecret() {
        return secret;
    }

    /** The environment variable that overrides this option, e.g. CLICKSTREAM_KAFKA_BOOTSTRAP_SERVERS. */
    public String envVariable() {
        return "CLICKSTREAM_"
                + key.toUpperCase(java.util.Locale.ROOT).replace('.', '_').replace('-', '_');
    }

    /** Parses and checks {@code text}; the exception message names the key. */
    T parse(String text) {
        T value;
        try {
            value = parser.apply(text.trim());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(
                    "Invalid value for '" + key + "' (" + typeName + "): " + shown(text) + ": " + e.getMessage(), e);
        }
        String problem = check == null ? null : check.apply(value);
        if (problem != null) {
            throw new IllegalArgumentException("Invalid value for '" + key + "': " + shown(text) + ": " + problem);
        }
        return value;
    }

    private String shown(String text) {
        return secret ? "<secret>" : "'" + text + "'";
    }

    @Override
    public String toString() {
        return key;
    }
}
