package io.clickstream.etl.schema;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.time.DateTimeException;
import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;

/**
 * Converts a value of an event's JSON to a declared column's type, exactly or not at all: no wrapped integer, no
 * integer rounded through a double, no decimal places dropped, no date out of the type's range. A value that does not
 * fit gets a {@link Failed} with a reason (a short code, the same for every field, to count by) and what was wrong;
 * the caller stores the column's default and records it in error_log, and the event itself is kept.
 *
 * <p>Accepted: numbers as JSON numbers or as strings holding exactly a JSON number (many SDKs send "12"); booleans as
 * true/false, 0/1 or "true"/"false"; dates as "YYYY-MM-DD"; date-times as ISO-8601 with an offset, or whole epoch
 * seconds; strings from any scalar (as the JSON wrote it). A JSON null is no value: the default, no error.
 */
public final class ValueConverter {
    private ValueConverter() {}

    /** The outcome of one conversion. */
    public sealed interface Result permits Converted, Failed {}

    /**
     * The value in the column's representation: INT a long (UInt64's bits as they are), FLOAT64 a Double, DECIMAL a
     * BigDecimal at the column's scale, STRING a String, DATE the days since 1970-01-01 (Integer), DATETIME the epoch
     * seconds (Long), BOOL a Boolean, ARRAY a List of these; null: no value (JSON null), the default.
     */
    public record Converted(Object value) implements Result {}

    /** Why a value does not fit: {@code reason} one of the codes below, {@code detail} for a person. */
    public record Failed(String reason, String detail) implements Result {}

    public static final String WRONG_TYPE = "wrong_type";
    public static final String NOT_A_NUMBER = "not_a_number";
    public static final String NOT_AN_INTEGER = "not_an_integer";
    public static final String OUT_OF_RANGE = "out_of_range";
    public static final String TOO_MANY_DECIMALS = "too_many_decimals";
    public static final String BAD_FORMAT = "bad_format";

    /** More integer digits than this is beyond every integer and Decimal type: no need to build the number. */
    private static final int MAX_INTEGER_DIGITS = 40;

    private static final LocalDate FIRST_DATE = LocalDate.of(1970, 1, 1);
    /**
     * Date is a UInt16 of days, but 18.16 reads only up to the end of its date table, 2106-02-07 (a later day comes
     * back as 1970-01-01; current versions go to 2149-06-06): the range both store.
     */
    private static final LocalDate LAST_DATE = LocalDate.of(2106, 2, 7);
    /** DateTime is a UInt32 of seconds. */
    private static final long LAST_SECOND = 4_294_967_295L;

    private static final Converted NONE = new Converted(null);

    private static final ColumnType EPOCH_SECONDS = ColumnType.parse("Int64");

    public static Result convert(ColumnType type, JsonValue v) {
        if (v.type() == JsonValue.Type.NULL) {
            return NONE;
        }
        return switch (type.kind) {
            case INT -> integer(type, v);
            case FLOAT64 -> float64(v);
            case DECIMAL -> decimal(type, v);
            case STRING -> string(v);
            case DATE -> date(v);
            case DATETIME -> dateTime(v);
            case BOOL -> bool(v);
            case ARRAY -> array(type, v);
        };
    }

    private static Result integer(ColumnType type, JsonValue v) {
        if (v.type() == JsonValue.Type.NUMBER || v.type() == JsonValue.Type.STRING) {
            String t = v.text();
            // The common case without a BigDecimal: a whole number of at most 18 digits fits a long.
            if (t.length() <= 19 && scan(t) == WHOLE && (t.length() <= 18 || t.charAt(0) == '-')) {
                long x = Long.parseLong(t);
                long min = type.min.bitLength() < 64 ? type.min.longValue() : Long.MIN_VALUE;
                long max = type.max.bitLength() < 64 ? type.max.longValue() : Long.MAX_VALUE;
                if (x < min || x > max) {
                    return new Failed(
                            OUT_OF_RANGE,
                            abbreviated(t) + " is out of " + type.name + "'s range [" + type.min + ", " + type.max
                                    + "]");
                }
                return new Converted(x);
            }
        }
        Object n = number(v);
        if (n instanceof Failed f) {
            return f;
        }
        BigDecimal d = (BigDecimal) n;
        if (d.signum() == 0) {
            return new Converted(0L); // -0, 0.0, 0e5
        }
        if (d.precision() - d.scale() > MAX_INTEGER_DIGITS) {
            return new Failed(OUT_OF_RANGE, abbreviated(v.text()) + " is out of " + type.name + "'s range");
        }
        BigDecimal whole = d.stripTrailingZeros();
        if (whole.scale() > 0) {
            return new Failed(NOT_AN_INTEGER, abbreviated(v.text()) + " is not a whole number");
        }
        BigInteger i = whole.toBigIntegerExact();
        if (i.compareTo(type.min) < 0 || i.compareTo(type.max) > 0) {
            return new Failed(
                    OUT_OF_RANGE,
                    abbreviated(v.text()) + " is out of " + type.name + "'s range [" + type.min + ", " + type.max
                            + "]");
        }
        return new Converted(i.longValue());
    }

    private static Result float64(JsonValue v) {
        if (v.type() != JsonValue.Type.NUMBER && v.type() != JsonValue.Type.STRING) {
            return new Failed(WRONG_TYPE, "a " + typeName(v) + " where a number belongs");
        }
        if (v.text().length() > 1_000 || scan(v.text()) == NOT_A_NUMBER_TEXT) {
            return new Failed(NOT_A_NUMBER, "'" + abbreviated(v.text()) + "' is not a number");
        }
        double d = Double.parseDouble(v.text());
        if (Double.isInfinite(d)) {
            return new Failed(OUT_OF_RANGE, abbreviated(v.text()) + " is beyond Float64");
        }
        return new Converted(d);
    }

    private static Result decimal(ColumnType type, JsonValue v) {
        if (v.type() == JsonValue.Type.NUMBER || v.type() == JsonValue.Type.STRING) {
            Result plain = plainDecimal(type, v.text());
            if (plain != null) {
                return plain;
            }
        }
        Object n = number(v);
        if (n instanceof Failed f) {
            return f;
        }
        BigDecimal d = (BigDecimal) n;
        int integerDigits = d.signum() == 0 ? 0 : d.precision() - d.scale();
        if (integerDigits > type.size - type.scale) {
            return new Failed(
                    OUT_OF_RANGE,
                    abbreviated(v.text()) + " has more than " + (type.size - type.scale) + " digits before the point ("
                            + type.name + ")");
        }
        BigDecimal exact = d.signum() == 0 ? BigDecimal.ZERO : d.stripTrailingZeros();
        if (exact.scale() > type.scale) {
            return new Failed(
                    TOO_MANY_DECIMALS,
                    abbreviated(v.text()) + " has more than " + type.scale + " decimal places (" + type.name + ")");
        }
        return new Converted(exact.setScale(type.scale));
    }

    /** A JSON number, or a string that holds exactly one, as a BigDecimal; else a Failed. */
    private static Object number(JsonValue v) {
        if (v.type() != JsonValue.Type.NUMBER && v.type() != JsonValue.Type.STRING) {
            return new Failed(WRONG_TYPE, "a " + typeName(v) + " where a number belongs");
        }
        String text = v.text();
        if (text.length() > 1_000 || scan(text) == NOT_A_NUMBER_TEXT) {
            return new Failed(NOT_A_NUMBER, "'" + abbreviated(text) + "' is not a number");
        }
        try {
            return new BigDecimal(text);
        } catch (NumberFormatException | ArithmeticException e) { // an exponent beyond an int
            return new Failed(OUT_OF_RANGE, abbreviated(text) + " is beyond every numeric type");
        }
    }

    private static Result string(JsonValue v) {
        return switch (v.type()) {
            case STRING, NUMBER, BOOLEAN -> new Converted(v.text());
            default -> new Failed(WRONG_TYPE, "a " + typeName(v) + " where a string belongs");
        };
    }

    private static Result date(JsonValue v) {
        if (v.type() != JsonValue.Type.STRING) {
            return new Failed(WRONG_TYPE, "a " + typeName(v) + " where a date (\"YYYY-MM-DD\") belongs");
        }
        LocalDate d;
        try {
            d = plainDate(v.text());
            if (d == null) {
                d = LocalDate.parse(v.text(), DateTimeFormatter.ISO_LOCAL_DATE);
            }
        } catch (DateTimeException e) {
            return new Failed(BAD_FORMAT, "'" + abbreviated(v.text()) + "' is not a date (YYYY-MM-DD)");
        }
        if (d.isBefore(FIRST_DATE) || d.isAfter(LAST_DATE)) {
            return new Failed(OUT_OF_RANGE, d + " is out of Date's range [" + FIRST_DATE + ", " + LAST_DATE + "]");
        }
        return new Converted((int) d.toEpochDay());
    }

    private static Result dateTime(JsonValue v) {
        long seconds;
        if (v.type() == JsonValue.Type.NUMBER) {
            Result r = integer(EPOCH_SECONDS, v);
            if (r instanceof Failed f) {
                return new Failed(f.reason(), f.detail().replace("Int64", "epoch seconds"));
            }
            seconds = (Long) ((Converted) r).value();
        } else if (v.type() == JsonValue.Type.STRING) {
            OffsetDateTime t;
            try {
                t = OffsetDateTime.parse(v.text(), DateTimeFormatter.ISO_OFFSET_DATE_TIME);
            } catch (DateTimeException e) {
                return new Failed(BAD_FORMAT, "'" + abbreviated(v.text()) + "' is not an ISO-8601 time with an offset");
            }
            if (t.getNano() != 0) {
                // DateTime holds whole seconds (18.16 has no DateTime64): cutting the fraction off would round.
                return new Failed(TOO_MANY_DECIMALS, v.text() + " has a fraction of a second; DateTime holds seconds");
            }
            seconds = t.toEpochSecond();
        } else {
            return new Failed(WRONG_TYPE, "a " + typeName(v) + " where a time belongs");
        }
        if (seconds < 0 || seconds > LAST_SECOND) {
            return new Failed(OUT_OF_RANGE, abbreviated(v.text()) + " is out of DateTime's range (1970 to 2106)");
        }
        return new Converted(seconds);
    }

    private static Result bool(JsonValue v) {
        String t = v.text();
        return switch (v.type()) {
            case BOOLEAN -> new Converted(Boolean.parseBoolean(t));
            case NUMBER ->
                t.equals("0") || t.equals("1")
                        ? new Converted(t.equals("1"))
                        : new Failed(BAD_FORMAT, abbreviated(t) + " is not 0 or 1");
            case STRING ->
                t.equals("true") || t.equals("false")
                        ? new Converted(t.equals("true"))
                        : new Failed(BAD_FORMAT, "'" + abbreviated(t) + "' is not true or false");
            default -> new Failed(WRONG_TYPE, "a " + typeName(v) + " where a boolean belongs");
        };
    }

    private static Result array(ColumnType type, JsonValue v) {
        if (v.type() != JsonValue.Type.ARRAY) {
            return new Failed(WRONG_TYPE, "a " + typeName(v) + " where an array belongs");
        }
        List<Object> out = new ArrayList<>(v.elements().size());
        for (int i = 0; i < v.elements().size(); i++) {
            JsonValue e = v.elements().get(i);
            if (e.type() == JsonValue.Type.NULL) {
                return new Failed(WRONG_TYPE, "element " + i + " is null (" + type.name + ")");
            }
            Result r = convert(type.element, e);
            if (r instanceof Failed f) {
                return new Failed(f.reason(), "element " + i + ": " + f.detail());
            }
            out.add(((Converted) r).value());
        }
        return new Converted(List.copyOf(out));
    }

    private static final int NOT_A_NUMBER_TEXT = -1;
    private static final int WHOLE = 0;
    private static final int WITH_FRACTION_OR_EXPONENT = 1;

    /**
     * Whether {@code t} is a JSON number (-?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?), and whether a whole one
     * without a fraction or an exponent: as the grammar's regular expression, without a matcher per value.
     */
    static int scan(String t) {
        int n = t.length();
        int i = 0;
        if (i < n && t.charAt(i) == '-') {
            i++;
        }
        if (i >= n) {
            return NOT_A_NUMBER_TEXT;
        }
        if (t.charAt(i) == '0') {
            i++;
        } else if (digit(t.charAt(i)) && t.charAt(i) != '0') {
            while (i < n && digit(t.charAt(i))) {
                i++;
            }
        } else {
            return NOT_A_NUMBER_TEXT;
        }
        if (i == n) {
            return WHOLE;
        }
        if (t.charAt(i) == '.') {
            int start = ++i;
            while (i < n && digit(t.charAt(i))) {
                i++;
            }
            if (i == start) {
                return NOT_A_NUMBER_TEXT;
            }
        }
        if (i < n && (t.charAt(i) == 'e' || t.charAt(i) == 'E')) {
            i++;
            if (i < n && (t.charAt(i) == '+' || t.charAt(i) == '-')) {
                i++;
            }
            int start = i;
            while (i < n && digit(t.charAt(i))) {
                i++;
            }
            if (i == start) {
                return NOT_A_NUMBER_TEXT;
            }
        }
        return i == n ? WITH_FRACTION_OR_EXPONENT : NOT_A_NUMBER_TEXT;
    }

    private static boolean digit(char c) {
        return c >= '0' && c <= '9';
    }

    /**
     * A decimal written without an exponent and with at most 18 digits, converted without a BigDecimal of the text;
     * null for any other text (the general path decides).
     */
    private static Result plainDecimal(ColumnType type, String t) {
        int n = t.length();
        if (n > 20 || t.indexOf('e') >= 0 || t.indexOf('E') >= 0 || scan(t) == NOT_A_NUMBER_TEXT) {
            return null;
        }
        boolean negative = t.charAt(0) == '-';
        int point = t.indexOf('.');
        int intEnd = point < 0 ? n : point;
        int fracEnd = n;
        if (point >= 0) {
            while (fracEnd > point + 1 && t.charAt(fracEnd - 1) == '0') {
                fracEnd--; // 12.50 is 12.5
            }
        }
        int scale = point < 0 ? 0 : fracEnd - point - 1;
        long unscaled = 0;
        int digits = 0;
        for (int i = negative ? 1 : 0; i < fracEnd; i++) {
            char c = t.charAt(i);
            if (c == '.') {
                continue;
            }
            if (digits > 0 || c != '0') {
                digits++;
            }
            if (digits > 18) {
                return null;
            }
            unscaled = unscaled * 10 + (c - '0');
        }
        int start = negative ? 1 : 0;
        int integerDigits = intEnd - start == 1 && t.charAt(start) == '0' ? 0 : intEnd - start;
        if (integerDigits > type.size - type.scale) {
            return new Failed(
                    OUT_OF_RANGE,
                    abbreviated(t) + " has more than " + (type.size - type.scale) + " digits before the point ("
                            + type.name + ")");
        }
        if (unscaled == 0) {
            return new Converted(BigDecimal.ZERO.setScale(type.scale));
        }
        if (scale > type.scale) {
            return new Failed(
                    TOO_MANY_DECIMALS,
                    abbreviated(t) + " has more than " + type.scale + " decimal places (" + type.name + ")");
        }
        return new Converted(
                BigDecimal.valueOf(negative ? -unscaled : unscaled, scale).setScale(type.scale));
    }

    private static final int[] DATE_DIGITS = {0, 1, 2, 3, 5, 6, 8, 9};

    /** "YYYY-MM-DD" read without a formatter; null for any other text (the formatter decides). */
    private static LocalDate plainDate(String t) {
        if (t.length() != 10 || t.charAt(4) != '-' || t.charAt(7) != '-') {
            return null;
        }
        for (int i : DATE_DIGITS) {
            if (!digit(t.charAt(i))) {
                return null;
            }
        }
        return LocalDate.of(
                Integer.parseInt(t, 0, 4, 10), Integer.parseInt(t, 5, 7, 10), Integer.parseInt(t, 8, 10, 10));
    }

    private static String typeName(JsonValue v) {
        return v.type().name().toLowerCase(java.util.Locale.ROOT);
    }

    /** At most 64 characters of a value in a message (error_log keeps the raw value in full). */
    private static String abbreviated(String s) {
        return s == null || s.length() <= 64 ? s : s.substring(0, 61) + "...";
    }
}
