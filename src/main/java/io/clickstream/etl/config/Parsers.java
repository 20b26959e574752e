package io.clickstream.etl.config;

import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Text to value, in the forms Flink's own configuration accepts ("500 ms", "30s", "16mb"). */
public final class Parsers {
    private static final Pattern AMOUNT = Pattern.compile("(\\d+)\\s*([a-zA-Z]*)");

    private Parsers() {}

    static String string(String text) {
        return text;
    }

    static Integer integer(String text) {
        try {
            return Integer.valueOf(text);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("not a whole number");
        }
    }

    static Boolean bool(String text) {
        switch (text.toLowerCase(Locale.ROOT)) {
            case "true":
                return true;
            case "false":
                return false;
            default:
                throw new IllegalArgumentException("expected true or false");
        }
    }

    static List<String> list(String text) {
        String body = text.startsWith("[") && text.endsWith("]") ? text.substring(1, text.length() - 1) : text;
        List<String> items = Arrays.stream(body.split(","))
                .map(String::trim)
                .map(s -> s.length() >= 2 && (s.startsWith("\"") || s.startsWith("'"))
                        ? s.substring(1, s.length() - 1)
                        : s)
                .filter(s -> !s.isEmpty())
                .toList();
        if (items.isEmpty()) {
            throw new IllegalArgumentException("expected a comma-separated list with at least one item");
        }
        return items;
    }

    public static Duration duration(String text) {
        Matcher m = AMOUNT.matcher(text);
        if (!m.matches()) {
            throw new IllegalArgumentException("expected a duration such as 500ms, 30s, 5min, 2h or 7d");
        }
        long n = Long.parseLong(m.group(1));
        switch (m.group(2).toLowerCase(Locale.ROOT)) {
            case "ms":
                return Duration.ofMillis(n);
            case "":
            case "s":
                return Duration.ofSeconds(n);
            case "min":
            case "m":
                return Duration.ofMinutes(n);
            case "h":
                return Duration.ofHours(n);
            case "d":
                return Duration.ofDays(n);
            default:
                throw new IllegalArgumentException("unknown unit '" + m.group(2) + "' (use ms, s, min, h or d)");
        }
    }

    static Long bytes(String text) {
        Matcher m = AMOUNT.matcher(text);
        if (!m.matches()) {
            throw new IllegalArgumentException("expected a size such as 512kb, 16mb or 1gb");
        }
        long n = Long.parseLong(m.group(1));
        switch (m.group(2).toLowerCase(Locale.ROOT)) {
            case "":
            case "b":
                return n;
            case "kb":
            case "k":
                return n << 10;
            case "mb":
            case "m":
                return n << 20;
            case "gb":
            case "g":
                return n << 30;
            default:
                throw new IllegalArgumentException("unknown unit '" + m.group(2) + "' (use b, kb, mb or gb)");
        }
    }
}
