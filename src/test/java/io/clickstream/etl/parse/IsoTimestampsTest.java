package io.clickstream.etl.parse;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.OffsetDateTime;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The fast reading of the usual shape against {@code OffsetDateTime.parse}, the reading it replaces. */
class IsoTimestampsTest {
    /** What the parser took before: epoch milliseconds, or the exception's class. */
    private static String before(String t) {
        try {
            return Long.toString(OffsetDateTime.parse(t).toInstant().toEpochMilli());
        } catch (RuntimeException e) {
            return e.getClass().getSimpleName();
        }
    }

    private static String now(String t) {
        try {
            return Long.toString(IsoTimestamps.epochMillis(t));
        } catch (RuntimeException e) {
            return e.getClass().getSimpleName();
        }
    }

    private static void same(String t) {
        assertThat(now(t)).as(t).isEqualTo(before(t));
    }

    @Test
    void edgesOfEveryFieldReadAsTheFormatterReadsThem() {
        String[] cases = {
            "2026-11-22T08:00:00Z",
            "2026-11-22T08:00:00.123Z",
            "2026-11-22T08:00:00.1Z",
            "2026-11-22T08:00:00.123456789Z",
            "2026-11-22T08:00:00.1234567891Z",
            "2026-11-22T08:00:00.Z",
            "2026-11-22T08:00:00+01:00",
            "2026-11-22T08:00:00.999-05:30",
            "2026-11-22T08:00:00+17:59",
            "2026-11-22T08:00:00+18:00",
            "2026-11-22T08:00:00-18:00",
            "2026-11-22T08:00:00+18:01",
            "2026-11-22T08:00:00+00:60",
            "2026-11-22T08:00:00+0100",
            "2026-11-22T08:00:00+01",
            "2026-11-22T08:00:00+01:00:30",
            "2026-11-22t08:00:00z",
            "2026-11-22T08:00Z",
            "2026-11-22T08:00:00",
            "2024-02-29T00:00:00Z",
            "2023-02-29T00:00:00Z",
            "2000-02-29T12:00:00Z",
            "2100-02-29T12:00:00Z",
            "1900-02-28T23:59:59.999Z",
            "2026-04-31T00:00:00Z",
            "2026-04-30T00:00:00Z",
            "2026-13-01T00:00:00Z",
            "2026-00-10T00:00:00Z",
            "2026-01-00T00:00:00Z",
            "2026-01-32T00:00:00Z",
            "2026-12-31T24:00:00Z",
            "2026-12-31T23:60:00Z",
            "2026-12-31T23:59:60Z",
            "0000-01-01T00:00:00Z",
            "0001-01-01T00:00:00Z",
            "9999-12-31T23:59:59.999999999-17:59",
            "1969-12-31T23:59:59.999Z",
            "1970-01-01T00:00:00.001+00:00",
            "+2026-11-22T08:00:00Z",
            "-0001-11-22T08:00:00Z",
            "12026-11-22T08:00:00Z",
            "2026-11-22 08:00:00Z",
            "2026-11-22T08:00:00ZZ",
            "2026-11-22T08:00:00.12 Z",
            "٢٠٢٦-11-22T08:00:00Z",
            "2026-1-22T08:00:00Z",
            "2026-11-22T08:00:00.-1Z",
            "2026-11-22T08:00:00--01:00",
            "2026-11-22T08:00:00+-1:00",
        };
        for (String t : cases) {
            same(t);
        }
        assertThat(now("2026-11-22T08:00:00.123Z")).isEqualTo("1795334400123");
    }

    @Test
    void randomTextsNearTheUsualShapeReadAsTheFormatterReadsThem() {
        Random random = new Random(22);
        String alphabet = "0123456789:-+.TZtz ٣";
        int fast = 0;
        for (int i = 0; i < 200_000; i++) {
            StringBuilder b = new StringBuilder(String.format(
                    "%04d-%02d-%02dT%02d:%02d:%02d",
                    random.nextInt(10_000),
                    random.nextInt(14),
                    random.nextInt(33),
                    random.nextInt(25),
                    random.nextInt(61),
                    random.nextInt(61)));
            if (random.nextBoolean()) {
                b.append('.');
                int digits = random.nextInt(11);
                for (int d = 0; d < digits; d++) {
                    b.append((char) ('0' + random.nextInt(10)));
                }
            }
            switch (random.nextInt(3)) {
                case 0 -> b.append('Z');
                case 1 ->
                    b.append(String.format(
                            "%c%02d:%02d", random.nextBoolean() ? '+' : '-', random.nextInt(20), random.nextInt(61)));
                default -> {}
            }
            if (random.nextInt(4) == 0) { // a character changed, dropped or added somewhere
                int at = random.nextInt(b.length());
                char c = alphabet.charAt(random.nextInt(alphabet.length()));
                switch (random.nextInt(3)) {
                    case 0 -> b.setCharAt(at, c);
                    case 1 -> b.deleteCharAt(at);
                    default -> b.insert(at, c);
                }
            }
            String t = b.toString();
            if (IsoTimestamps.usualShape(t) != Long.MIN_VALUE) {
                fast++;
            }
            same(t);
        }
        assertThat(fast).as("the fast reading took part of them").isGreaterThan(10_000);
    }
}
