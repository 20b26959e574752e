package io.clickstream.etl.parse;

import static org.assertj.core.api.Assertions.assertThat;

import io.clickstream.etl.event.Event;
import io.clickstream.etl.event.RawEvent;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * One EventParser reads payload after payload with one parser: whatever came before (a refused payload, one cut off
 * inside a value, one with something after its object), each payload gets what the tree parser (the reference) gives it.
 */
class EventParserReuseTest {
    private static final long RECORD_TS = Instant.parse("2026-11-22T10:00:00Z").toEpochMilli();
    private static final long TS = RECORD_TS - 5_000;
    private static final ParseLimits LIMITS = new ParseLimits(4096, 200, 5, Duration.ofHours(1), Duration.ofDays(30));
    private static final TreeEventParser TREE = new TreeEventParser(LIMITS);
    private static final String VALID = "{\"event_id\":\"e1\",\"user_id\":\"u1\",\"event_type\":\"page_view\",\"ts\":"
            + TS + ",\"properties\":{\"price\":12.5,\"nested\":{\"a\":[1,\"x\"]}}}";

    /** Payloads that start with a brace and end with one, yet are not one whole object. */
    private static final List<String> NOT_ONE_OBJECT = List.of(
            VALID + VALID,
            VALID + " " + VALID,
            VALID + "}",
            "{\"event_id\":\"}",
            "{\"event_id\":\"e1\",\"user_id\":12}",
            "{\"event_id\":\"e1\",\"properties\":{\"a\":tru}}",
            "{\"event_id\":\"e1\",}",
            "{\"a\":1,\"a\":2}",
            "{\"properties\":{\"k\":1,\"k\":2}}",
            "{\"x\":" + "[".repeat(70) + "]".repeat(70) + "}",
            "{\"event_id\":\"e1\u0000\"}",
            "{}");

    private static RawEvent raw(byte[] value) {
        return new RawEvent("clickstream-web", 2, 41, RECORD_TS, "u1".getBytes(StandardCharsets.UTF_8), value);
    }

    private static RawEvent raw(String json) {
        return raw(json.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void afterEveryKindOfPayloadTheNextGetsWhatTheTreeParserGivesIt() {
        EventParser shared = new EventParser(LIMITS);
        List<byte[]> others = new java.util.ArrayList<>();
        NOT_ONE_OBJECT.forEach(p -> others.add(p.getBytes(StandardCharsets.UTF_8)));
        others.add("[1]".getBytes(StandardCharsets.UTF_8));
        others.add("12".getBytes(StandardCharsets.UTF_8));
        int alone = 0;
        for (byte[] other : others) {
            for (byte[] payload : List.of(VALID.getBytes(StandardCharsets.UTF_8), other)) {
                assertThat(outcome(shared.parse(raw(payload))))
                        .as(new String(payload, StandardCharsets.UTF_8))
                        .isEqualTo(outcome(TREE.parse(raw(payload))));
            }
            String text = new String(other, StandardCharsets.UTF_8);
            if (text.equals("{}") || text.startsWith("{\"event_id\":\"e1\",\"user_id\":12}")) {
                continue; // one whole object, read by the shared parser
            }
            alone++;
        }
        assertThat(outcome(shared.parse(raw(VALID)))).startsWith("valid");
        assertThat(shared.readAlone())
                .as("only the payloads that are not one whole object were read by a parser of their own")
                .isEqualTo(alone);
    }

    @Test
    void blankBeforeAndAfterTheObjectIsReadAsTheTreeParserReadsIt() {
        EventParser shared = new EventParser(LIMITS);
        for (String payload : List.of(" \n" + VALID + "\r\n\t ", VALID + "\n", "\t" + VALID)) {
            assertThat(outcome(shared.parse(raw(payload))))
                    .isEqualTo(outcome(TREE.parse(raw(payload))))
                    .startsWith("valid");
        }
        assertThat(shared.readAlone()).isZero();
    }

    /** Jackson's blocking parser skips a byte order mark and detects UTF-16, unlike the tree parser: kept as it was. */
    @Test
    void aByteOrderMarkAndUtf16AreReadByAParserOfItsOwnAsBefore() {
        EventParser shared = new EventParser(LIMITS);
        String valid = outcome(shared.parse(raw(VALID)));
        assertThat(outcome(shared.parse(raw("\uFEFF" + VALID)))).isEqualTo(valid);
        assertThat(outcome(shared.parse(raw(VALID.getBytes(StandardCharsets.UTF_16BE)))))
                .isEqualTo(valid);
        assertThat(outcome(shared.parse(raw(VALID.getBytes(StandardCharsets.UTF_16LE)))))
                .isEqualTo(valid);
        assertThat(shared.readAlone()).isEqualTo(3);
    }

    @Test
    void payloadsPastTheRenewalOfTheParserEachKeepTheirOwnNamesAndValues() {
        EventParser shared = new EventParser(LIMITS);
        for (int i = 0; i < 2_500; i++) {
            String payload = VALID.replace("\"price\":12.5", "\"k" + i + "\":\"v" + i + "\",\"price\":" + i);
            Event e = shared.parse(raw(payload)).event();
            assertThat(e.propertyKeys).containsExactly("k" + i, "price", "nested");
            assertThat(e.propertyValues).containsExactly("v" + i, String.valueOf(i), "{\"a\":[1,\"x\"]}");
        }
        assertThat(shared.readAlone()).isZero();
    }

    @Test
    void propertiesOfEveryCountAndRepeatedNamesInThemAreReadAsTheTreeParserReadsThem() {
        EventParser shared = new EventParser(LIMITS);
        // Counts on both sides of the set that finds a repeated name (8) and of the lists' arrays kept (64), and past
        // validation.max-properties (200 here); each payload's own properties after one with many.
        for (int n : new int[] {0, 1, 7, 8, 9, 2, 65, 3, 199, 200, 201, 1, 300, 4}) {
            for (boolean repeated : new boolean[] {false, true}) {
                StringBuilder props = new StringBuilder();
                for (int i = 0; i < n; i++) {
                    props.append(i == 0 ? "" : ",")
                            .append("\"p")
                            .append(i)
                            .append("\":")
                            .append(i);
                }
                if (repeated && n > 0) {
                    props.append(",\"p").append(n / 2).append("\":\"again\"");
                }
                String payload = VALID.replace("\"price\":12.5,\"nested\":{\"a\":[1,\"x\"]}", props.toString());
                assertThat(outcome(shared.parse(raw(payload))))
                        .as("%d properties%s", n, repeated ? ", one name twice" : "")
                        .isEqualTo(outcome(TREE.parse(raw(payload))));
            }
        }
    }

    private static String outcome(ParseResult r) {
        return r.isValid() ? "valid " + EventParserEquivalenceTest.fields(r.event()) : r.reason() + ": " + r.detail();
    }
}
