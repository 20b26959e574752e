package io.clickstream.etl.parse;

import static org.assertj.core.api.Assertions.assertThat;

import io.clickstream.etl.event.Event;
import io.clickstream.etl.event.RawEvent;
import io.clickstream.etl.testing.MalformedInputs;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The streaming {@link EventParser} against the tree parser it replaced ({@link TreeEventParser}): for every input,
 * the same event field by field, or the same reason with the same detail, word for word. Inputs: every malformed kind of the
 * integration tests, hand-made edge cases of each field, and 20,000 random mutations of them (bytes deleted,
 * inserted, replaced, segments repeated), from a fixed seed.
 */
class EventParserEquivalenceTest {
    private static final long RECORD_TS = Instant.parse("2026-11-22T10:00:00Z").toEpochMilli();
    private static final long TS = RECORD_TS - 5_000;
    private static final ParseLimits LIMITS = new ParseLimits(4096, 200, 5, Duration.ofHours(1), Duration.ofDays(30));
    private static final String ALPHABET =
            "{}[]\",:\\ \t\n0123456789.-+eEtrufalsn\u00e9\u20ac\uD83D\uDE00abcxyz_\u0000";

    private final EventParser streaming = new EventParser(LIMITS);

    /** Columns declared over the seeds' properties, at the top and inside objects: props must not change for them. */
    private final EventParser declaring = new EventParser(LIMITS)
            .declaring(new io.clickstream.etl.clickhouse.DeclaredRow(io.clickstream.etl.schema.DeclaredColumns.parse(
                    "{\"columns\": ["
                            + "{\"name\": \"price\", \"type\": \"Decimal(10, 2)\", \"path\": \"properties.price\"},"
                            + "{\"name\": \"f\", \"type\": \"Float64\", \"path\": \"properties.f\"},"
                            + "{\"name\": \"big\", \"type\": \"UInt64\", \"path\": \"properties.big\"},"
                            + "{\"name\": \"ok\", \"type\": \"Bool\", \"path\": \"properties.ok\"},"
                            + "{\"name\": \"a\", \"type\": \"Array(Float64)\", \"path\": \"properties.nested.a\"},"
                            + "{\"name\": \"b\", \"type\": \"String\", \"path\": \"properties.nested.b\"},"
                            + "{\"name\": \"arr\", \"type\": \"Array(String)\", \"path\": \"properties.arr\"}]}",
                    java.util.Set.of())));

    private final TreeEventParser tree = new TreeEventParser(LIMITS);

    private static List<String> seeds() {
        List<String> s = new ArrayList<>();
        String base = "\"event_id\":\"e1\",\"user_id\":\"u1\",\"event_type\":\"page_view\",\"ts\":" + TS;
        s.add("{" + base + "}");
        s.add(
                "{" + base
                        + ",\"source\":\"web\",\"url\":\"https://x.example/a?b=c\",\"referrer\":\"\",\"ip\":\"10.0.0.1\","
                        + "\"user_agent\":\"Mozilla/5.0 \\\"q\\\" \\u00e9\",\"properties\":{\"price\":12.50,\"n\":-3,\"big\":123456789012345678901,"
                        + "\"f\":1e3,\"ok\":true,\"no\":false,\"nil\":null,\"s\":\"t\u00e9xt\",\"nested\":{\"a\":[1,2.0,\"x\"],\"b\":{}},\"arr\":[]}}");
        s.add(
                "{\"ts\":\"2026-11-22T09:59:55.123+01:00\",\"user_id\":4242,\"event_type\":\"click\",\"event_id\":\"\u20ac\uD83D\uDE00\"}");
        s.add("{" + base.replace("\"ts\":" + TS, "\"ts\":" + TS + ".0") + "}");
        s.add("{" + base.replace("\"ts\":" + TS, "\"ts\":1.7638056E12")
                + ",\"unknown\":{\"deep\":[[[[1]]]]},\"x\":null}");
        s.add("{" + base.replace("\"ts\":" + TS, "\"ts\":\"" + TS + "\"") + ",\"source\":null,\"properties\":null}");
        s.add("{" + base.replace("\"user_id\":\"u1\"", "\"user_id\":-0") + "}");
        s.add("{" + base.replace("\"user_id\":\"u1\"", "\"user_id\":99999999999999999999999") + "}");
        s.add("{" + base.replace("\"ts\":" + TS, "\"ts\":99999999999999999999999") + "}");
        s.add("{" + base.replace("\"ts\":" + TS, "\"ts\":17638056e8") + "}");
        s.add("{" + base + ",\"properties\":{\"a\":1,\"b\":2,\"c\":3,\"d\":4,\"e\":5,\"f\":null}}");
        s.add("{" + base + ",\"properties\":[1]}");
        s.add("{" + base + ",\"url\":12,\"ip\":[\"x\"]}");
        s.add("{" + base + ",\"client_ip\":\"81.2.69.142\",\"received_at\":1763805600123}");
        s.add("{" + base + ",\"ip\":\"10.0.0.1\",\"client_ip\":\"81.2.69.142\"}");
        s.add("{" + base + ",\"ip\":\"\",\"client_ip\":\"81.2.69.142\"}");
        s.add("{" + base + ",\"client_ip\":5}");
        s.add("{" + base + ",\"client_ip\":\"a\",\"client_ip\":\"b\"}");
        s.add("{\"event_id\":{\"a\":1},\"user_id\":true,\"event_type\":[],\"ts\":null}");
        s.add("{" + base + "} ");
        s.add(" \n{" + base + "}\n");
        s.add("{" + base + "}/* c */");
        s.add("[{" + base + "}]");
        s.add("\"text\"");
        s.add("true");
        s.add("-1.5");
        s.add("null");
        s.add("{" + base + ",\"properties\":{\"k\":\"" + "v".repeat(300) + "\"}}");
        s.add("{" + base + ",\"properties\":{\"" + "k".repeat(200) + "\":1}}");
        s.add("{" + base + ",\"a\":{\"a\":1,\"a\":2}}");
        s.add("[" + "[".repeat(70) + "]".repeat(70) + "]");
        return s;
    }

    private void assertSame(byte[] payload) {
        RawEvent raw =
                new RawEvent("clickstream-web", 2, 41, RECORD_TS, "u1".getBytes(StandardCharsets.UTF_8), payload);
        ParseResult expected = tree.parse(raw);
        ParseResult actual = streaming.parse(raw);
        String shown = payload == null ? "null" : new String(payload, StandardCharsets.UTF_8);
        ParseResult withColumns = declaring.parse(raw);
        assertThat(withColumns.isValid()).as("declared columns, " + shown).isEqualTo(expected.isValid());
        if (expected.isValid()) {
            assertThat(fields(withColumns.event()))
                    .as("declared columns, " + shown)
                    .isEqualTo(fields(expected.event()));
        }
        assertThat(actual.isValid()).as(shown).isEqualTo(expected.isValid());
        if (expected.isValid()) {
            assertThat(fields(actual.event())).as(shown).isEqualTo(fields(expected.event()));
        } else {
            assertThat(actual.reason() + ": " + actual.detail())
                    .as(shown)
                    .isEqualTo(expected.reason() + ": " + expected.detail());
        }
    }

    /** Every field the parser fills, as one string (also EventParserReuseTest's). */
    static String fields(Event e) {
        return String.join(
                "|",
                e.eventId,
                e.userId,
                e.eventType,
                String.valueOf(e.eventTime),
                e.source,
                e.url,
                e.referrer,
                e.ip,
                e.userAgent,
                Arrays.toString(e.propertyKeys),
                Arrays.toString(e.propertyValues),
                e.kafkaTopic,
                String.valueOf(e.kafkaPartition),
                String.valueOf(e.kafkaOffset),
                String.valueOf(e.kafkaTimestamp));
    }

    @Test
    void everyMalformedKindOfTheIntegrationTestsGetsTheSameReasonAndDetail() {
        for (MalformedInputs.Malformed m : MalformedInputs.all("eq-", RECORD_TS, false)) {
            assertSame(m.payload());
        }
        assertSame(null);
    }

    @Test
    void aDuplicateNameAtAnyDepthIsRefusedWithTheSameWordsAndPlace() {
        String base = "\"event_id\":\"e1\",\"user_id\":\"u1\",\"event_type\":\"page_view\",\"ts\":" + TS;
        for (String json : List.of(
                "{" + base + ",\"user_id\":\"u2\"}",
                "{" + base + ",\"x\":1,\"x\":2}",
                "{" + base + ",\"properties\":{\"a\":1,\"b\":2,\"a\":3}}",
                "{" + base + ",\"x\":[{\"a\":{\"b\":1,\"b\":1}}]}",
                "[{\"a\":1},{\"a\":1,\"c\":2,\"d\":3,\"e\":4,\"f\":5,\"g\":6,\"h\":7,\"i\":8,\"j\":9,\"a\":0}]")) {
            RawEvent raw = new RawEvent("t", 0, 0, RECORD_TS, null, json.getBytes(StandardCharsets.UTF_8));
            ParseResult expected = tree.parse(raw);
            assertThat(expected.detail()).as(json).contains("Duplicate field");
            assertThat(streaming.parse(raw).detail()).as(json).isEqualTo(expected.detail());
        }
    }

    @Test
    void eachSeedGivesTheSameEventOrTheSameRejection() {
        for (String s : seeds()) {
            assertSame(s.getBytes(StandardCharsets.UTF_8));
        }
    }

    @Test
    void twentyThousandMutationsGiveTheSameResults() {
        Random random = new Random(20261130);
        List<byte[]> seeds = new ArrayList<>();
        seeds().forEach(s -> seeds.add(s.getBytes(StandardCharsets.UTF_8)));
        byte[] alphabet = ALPHABET.getBytes(StandardCharsets.UTF_8);
        int valid = 0;
        for (int i = 0; i < 20_000; i++) {
            byte[] b = seeds.get(random.nextInt(seeds.size())).clone();
            int edits = 1 + random.nextInt(3);
            for (int k = 0; k < edits && b.length > 0; k++) {
                int at = random.nextInt(b.length);
                switch (random.nextInt(4)) {
                    case 0 -> b = concat(Arrays.copyOf(b, at), Arrays.copyOfRange(b, at + 1, b.length));
                    case 1 ->
                        b = concat(
                                Arrays.copyOf(b, at),
                                new byte[] {alphabet[random.nextInt(alphabet.length)]},
                                Arrays.copyOfRange(b, at, b.length));
                    case 2 ->
                        b[at] = random.nextInt(10) == 0
                                ? (byte) random.nextInt(256)
                                : alphabet[random.nextInt(alphabet.length)];
                    default -> {
                        int to = Math.min(b.length, at + 1 + random.nextInt(12));
                        b = concat(Arrays.copyOf(b, to), Arrays.copyOfRange(b, at, b.length));
                    }
                }
            }
            assertSame(b);
            if (tree.parse(new RawEvent("t", 0, 0, RECORD_TS, null, b)).isValid()) {
                valid++;
            }
        }
        assertThat(valid).as("some mutations stay valid events").isGreaterThan(300);
    }

    private static byte[] concat(byte[]... parts) {
        int n = 0;
        for (byte[] p : parts) {
            n += p.length;
        }
        byte[] out = new byte[n];
        int at = 0;
        for (byte[] p : parts) {
            System.arraycopy(p, 0, out, at, p.length);
            at += p.length;
        }
        return out;
    }
}
