package io.clickstream.etl.parse;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.params.provider.Arguments.arguments;

import io.clickstream.etl.event.Event;
import io.clickstream.etl.event.RawEvent;
import io.clickstream.etl.event.RejectReason;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class EventParserTest {
    /** Kafka record time of every test record: 2026-11-22T10:00:00Z. */
    private static final long RECORD_TS = Instant.parse("2026-11-22T10:00:00Z").toEpochMilli();

    private static final long TS = RECORD_TS - 5_000;
    private static final String VALID =
            "{\"event_id\":\"e1\",\"user_id\":\"u1\",\"event_type\":\"page_view\",\"ts\":" + TS + "}";

    private final EventParser parser =
            new EventParser(new ParseLimits(1024, 100, 3, Duration.ofHours(1), Duration.ofDays(30)));

    private static RawEvent raw(byte[] value) {
        return new RawEvent("clickstream-web", 2, 41, RECORD_TS, "u1".getBytes(StandardCharsets.UTF_8), value);
    }

    private static RawEvent raw(String json) {
        return raw(json == null ? null : json.getBytes(StandardCharsets.UTF_8));
    }

    private static String with(String field, String jsonValue) {
        return VALID.substring(0, VALID.length() - 1) + ",\"" + field + "\":" + jsonValue + "}";
    }

    private static String without(String field) {
        return VALID.replaceAll("\"" + field + "\":(\"[^\"]*\"|\\d+),?", "").replace(",}", "}");
    }

    static Stream<Arguments> rejected() {
        byte[] badUtf8 = VALID.getBytes(StandardCharsets.UTF_8);
        badUtf8[15] = (byte) 0xC3;
        badUtf8[16] = (byte) 0x28;
        return Stream.of(
                arguments("null payload", null, RejectReason.EMPTY_PAYLOAD, "empty"),
                arguments("empty payload", "", RejectReason.EMPTY_PAYLOAD, "empty"),
                arguments("blank payload", "   \n ", RejectReason.MALFORMED_JSON, "no JSON value"),
                arguments("garbage", "not json at all", RejectReason.MALFORMED_JSON, "not valid JSON at line 1"),
                arguments(
                        "truncated object",
                        "{\"event_id\":\"e1\",\"user_id\":",
                        RejectReason.MALFORMED_JSON,
                        "not valid JSON"),
                arguments("trailing garbage", VALID + " xyz", RejectReason.MALFORMED_JSON, "not valid JSON"),
                arguments("two objects", VALID + VALID, RejectReason.MALFORMED_JSON, "not valid JSON"),
                arguments(
                        "duplicate key",
                        with("user_id", "\"u2\""),
                        RejectReason.MALFORMED_JSON,
                        "Duplicate field 'user_id'"),
                arguments("array", "[" + VALID + "]", RejectReason.NOT_AN_OBJECT, "array"),
                arguments("string", "\"hello\"", RejectReason.NOT_AN_OBJECT, "string"),
                arguments("number", "42", RejectReason.NOT_AN_OBJECT, "number"),
                arguments("JSON null", "null", RejectReason.NOT_AN_OBJECT, "null"),
                arguments("missing event_id", without("event_id"), RejectReason.MISSING_FIELD, "event_id is missing"),
                arguments(
                        "null event_id",
                        VALID.replace("\"e1\"", "null"),
                        RejectReason.MISSING_FIELD,
                        "event_id is missing"),
                arguments(
                        "blank event_id",
                        VALID.replace("\"e1\"", "\" \\t \""),
                        RejectReason.BLANK_FIELD,
                        "event_id is blank"),
                arguments(
                        "numeric event_id",
                        VALID.replace("\"e1\"", "7"),
                        RejectReason.WRONG_TYPE,
                        "event_id must be a string, got number"),
                arguments("missing user_id", without("user_id"), RejectReason.MISSING_FIELD, "user_id is missing"),
                arguments(
                        "blank user_id", VALID.replace("\"u1\"", "\"\""), RejectReason.BLANK_FIELD, "user_id is blank"),
                arguments(
                        "300-digit user_id",
                        VALID.replace("\"u1\"", "1".repeat(300)),
                        RejectReason.FIELD_TOO_LONG,
                        "user_id is 300 characters"),
                arguments(
                        "deeply nested properties",
                        with("properties", "{\"a\":" + "[".repeat(100) + "]".repeat(100) + "}"),
                        RejectReason.MALFORMED_JSON,
                        "nesting depth"),
                arguments(
                        "fractional user_id",
                        VALID.replace("\"u1\"", "12.5"),
                        RejectReason.WRONG_TYPE,
                        "user_id must be a string or a whole number"),
                arguments(
                        "object user_id", VALID.replace("\"u1\"", "{\"id\":1}"), RejectReason.WRONG_TYPE, "got object"),
                arguments("boolean user_id", VALID.replace("\"u1\"", "true"), RejectReason.WRONG_TYPE, "got boolean"),
                arguments(
                        "missing event_type",
                        without("event_type"),
                        RejectReason.MISSING_FIELD,
                        "event_type is missing"),
                arguments("missing ts", without("ts"), RejectReason.MISSING_FIELD, "ts is missing"),
                arguments(
                        "blank ts",
                        VALID.replace(String.valueOf(TS), "\"  \""),
                        RejectReason.BLANK_FIELD,
                        "ts is blank"),
                arguments(
                        "words as ts",
                        VALID.replace(String.valueOf(TS), "\"yesterday\""),
                        RejectReason.INVALID_TIMESTAMP,
                        "'yesterday'"),
                arguments(
                        "ISO without offset",
                        VALID.replace(String.valueOf(TS), "\"2026-11-22T09:00:00\""),
                        RejectReason.INVALID_TIMESTAMP,
                        "neither"),
                arguments(
                        "fractional ts",
                        VALID.replace(String.valueOf(TS), TS + ".5"),
                        RejectReason.INVALID_TIMESTAMP,
                        "whole number"),
                arguments(
                        "boolean ts",
                        VALID.replace(String.valueOf(TS), "false"),
                        RejectReason.WRONG_TYPE,
                        "ts must be"),
                arguments(
                        "huge ts",
                        VALID.replace(String.valueOf(TS), "99999999999999999999999"),
                        RejectReason.INVALID_TIMESTAMP,
                        "whole number"),
                arguments(
                        "ts in seconds",
                        VALID.replace(String.valueOf(TS), String.valueOf(TS / 1000)),
                        RejectReason.TIMESTAMP_OUT_OF_RANGE,
                        "seconds given"),
                arguments(
                        "negative ts",
                        VALID.replace(String.valueOf(TS), "-5"),
                        RejectReason.TIMESTAMP_OUT_OF_RANGE,
                        "outside"),
                arguments(
                        "ts past 2100",
                        VALID.replace(String.valueOf(TS), "\"2150-01-01T00:00:00Z\""),
                        RejectReason.TIMESTAMP_OUT_OF_RANGE,
                        "outside"),
                arguments(
                        "ts 2h after record",
                        VALID.replace(String.valueOf(TS), String.valueOf(RECORD_TS + 7_200_000)),
                        RejectReason.TIMESTAMP_OUT_OF_RANGE,
                        "max-future-skew"),
                arguments(
                        "ts 31 days before record",
                        VALID.replace(String.valueOf(TS), String.valueOf(RECORD_TS - 31L * 86_400_000)),
                        RejectReason.TIMESTAMP_OUT_OF_RANGE,
                        "max-event-age"),
                arguments("numeric url", with("url", "5"), RejectReason.WRONG_TYPE, "url must be a string"),
                arguments(
                        "url too long",
                        with("url", "\"" + "x".repeat(101) + "\""),
                        RejectReason.FIELD_TOO_LONG,
                        "url is 101 characters"),
                arguments(
                        "properties not an object",
                        with("properties", "[1,2]"),
                        RejectReason.WRONG_TYPE,
                        "properties must be an object"),
                arguments(
                        "too many properties",
                        with("properties", "{\"a\":1,\"b\":2,\"c\":3,\"d\":4}"),
                        RejectReason.TOO_MANY_PROPERTIES,
                        "4 entries"),
                arguments(
                        "property value too long",
                        with("properties", "{\"a\":\"" + "y".repeat(101) + "\"}"),
                        RejectReason.FIELD_TOO_LONG,
                        "properties.a"),
                arguments(
                        "oversize",
                        with("url", "\"" + "x".repeat(1100) + "\""),
                        RejectReason.OVERSIZE,
                        "max-event-bytes (1024)"),
                arguments("bad UTF-8", badUtf8, RejectReason.INVALID_UTF8, "offset 15"),
                arguments(
                        "binary garbage",
                        new byte[] {(byte) 0xFF, (byte) 0xFE, 0, 1, 2},
                        RejectReason.INVALID_UTF8,
                        "UTF-8"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("rejected")
    void rejectsBadInputWithReasonAndDetail(String name, Object payload, RejectReason reason, String detailPart) {
        RawEvent input = payload instanceof byte[] ? raw((byte[]) payload) : raw((String) payload);

        ParseResult result = parser.parse(input);

        assertThat(result.isValid()).as(result.toString()).isFalse();
        assertThat(result.reason()).isEqualTo(reason);
        assertThat(result.detail()).contains(detailPart);
    }

    static Stream<Arguments> accepted() {
        return Stream.of(
                arguments("epoch millis", VALID, TS),
                arguments("epoch millis as string", VALID.replace(String.valueOf(TS), "\"" + TS + "\""), TS),
                arguments("ISO-8601 UTC", VALID.replace(String.valueOf(TS), "\"2026-11-22T09:59:55Z\""), TS),
                arguments(
                        "ISO-8601 with millis and offset",
                        VALID.replace(String.valueOf(TS), "\"2026-11-22T11:59:55.250+02:00\""),
                        TS + 250),
                arguments(
                        "ts at the skew limit",
                        VALID.replace(String.valueOf(TS), String.valueOf(RECORD_TS + 3_600_000)),
                        RECORD_TS + 3_600_000),
                arguments("numeric ts written as float", VALID.replace(String.valueOf(TS), TS + ".0"), TS));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("accepted")
    void acceptsTimestampForms(String name, String json, long expectedMillis) {
        ParseResult result = parser.parse(raw(json));

        assertThat(result.isValid()).as(result.toString()).isTrue();
        assertThat(result.event().eventTime).isEqualTo(expectedMillis);
    }

    @Test
    void fillsEveryFieldAndKeepsKafkaPosition() {
        String json = "{\"event_id\":\"e-1\",\"user_id\":12345,\"event_type\":\"purchase\",\"ts\":" + TS
                + ",\"source\":\"ios\",\"url\":\"https://x.test/a?b=1\",\"referrer\":\"https://r.test/\","
                + "\"ip\":\"2001:db8::1\",\"user_agent\":\"UA/1.0\",\"ignored_extra\":[1],"
                + "\"properties\":{\"price\":12.5,\"paid\":true,\"sku\":\"A-1\",\"gone\":null,\"tags\":[\"x\",\"y\"]}}";

        Event e = new EventParser(ParseLimits.defaults()).parse(raw(json)).event();

        assertThat(e.eventId).isEqualTo("e-1");
        assertThat(e.userId).isEqualTo("12345");
        assertThat(e.eventType).isEqualTo("purchase");
        assertThat(e.source).isEqualTo("ios");
        assertThat(e.url).isEqualTo("https://x.test/a?b=1");
        assertThat(e.referrer).isEqualTo("https://r.test/");
        assertThat(e.ip).isEqualTo("2001:db8::1");
        assertThat(e.userAgent).isEqualTo("UA/1.0");
        assertThat(e.propertyKeys).containsExactly("price", "paid", "sku", "tags");
        assertThat(e.propertyValues).containsExactly("12.5", "true", "A-1", "[\"x\",\"y\"]");
        assertThat(e.kafkaTopic).isEqualTo("clickstream-web");
        assertThat(e.kafkaPartition).isEqualTo(2);
        assertThat(e.kafkaOffset).isEqualTo(41);
        assertThat(e.kafkaTimestamp).isEqualTo(RECORD_TS);
    }

    @Test
    void sourceDefaultsToTopicAndOptionalFieldsToEmpty() {
        Event e = parser.parse(raw(VALID)).event();

        assertThat(e.source).isEqualTo("clickstream-web");
        assertThat(e.url).isEmpty();
        assertThat(e.ip).isEmpty();
        assertThat(e.propertyKeys).isEmpty();
        assertThat(e.propertyValues).isEmpty();
    }

    @Test
    void historyInTheBackfillTopicMayBeOfAnyAgeButNotFromTheFuture() {
        EventParser withBackfill =
                new EventParser(new ParseLimits(1024, 100, 3, Duration.ofHours(1), Duration.ofDays(30), "history"));
        String yearOld = VALID.replace(String.valueOf(TS), String.valueOf(TS - 400L * 24 * 3600 * 1000));
        RawEvent live = raw(yearOld);
        RawEvent history = raw(yearOld);
        history.topic = "history";
        assertThat(withBackfill.parse(live).isValid()).isFalse();
        assertThat(withBackfill.parse(history).isValid()).isTrue();
        RawEvent future = raw(VALID.replace(String.valueOf(TS), String.valueOf(TS + 2 * 3600 * 1000)));
        future.topic = "history";
        assertThat(withBackfill.parse(future).isValid()).isFalse();
    }

    @Test
    void theCollectorsClientIpStandsInForAMissingIp() {
        String withClient =
                VALID.substring(0, VALID.length() - 1) + ",\"client_ip\":\"81.2.69.142\",\"received_at\":1}";
        assertThat(parser.parse(raw(withClient)).event().ip).isEqualTo("81.2.69.142");
        String both = VALID.substring(0, VALID.length() - 1) + ",\"ip\":\"10.1.1.1\",\"client_ip\":\"81.2.69.142\"}";
        assertThat(parser.parse(raw(both)).event().ip)
                .as("the event's own ip wins")
                .isEqualTo("10.1.1.1");
    }

    @Test
    void recordWithoutTimestampIsCheckedOnlyAgainstAbsoluteBounds() {
        RawEvent input = raw(VALID.replace(String.valueOf(TS), "\"2001-01-01T00:00:00Z\""));
        input.timestamp = -1;

        assertThat(parser.parse(input).isValid()).isTrue();
    }

    @Test
    void unicodeTextSurvives() {
        Event e = parser.parse(raw(with("url", "\"https://x.test/straße/東京/😀\"")))
                .event();

        assertThat(e.url).isEqualTo("https://x.test/straße/東京/😀");
    }

    @Test
    void neverThrowsOnRandomOrMutatedInput() {
        java.util.Random random = new java.util.Random(7);
        byte[] valid =
                with("properties", "{\"k\":[1,{\"x\":null}],\"s\":\"\\u00e9\"}").getBytes(StandardCharsets.UTF_8);
        int accepted = 0;
        for (int i = 0; i < 20_000; i++) {
            byte[] input;
            if (i % 2 == 0) {
                input = new byte[random.nextInt(200)];
                random.nextBytes(input);
            } else {
                input = valid.clone();
                for (int m = 1 + random.nextInt(4); m > 0; m--) {
                    input[random.nextInt(input.length)] = (byte) random.nextInt(256);
                }
            }
            ParseResult result = parser.parse(raw(input));
            if (result.isValid()) {
                accepted++;
                assertThat(result.event().eventId).isNotBlank();
                assertThat(result.event().userId).isNotBlank();
            } else {
                assertThat(result.reason()).isNotNull();
                assertThat(result.detail()).isNotBlank();
            }
        }
        // Mutations inside string values still parse; the point is that nothing escaped as an exception.
        assertThat(accepted).isPositive();
    }

    @Test
    void aRecordOrAnEventTimeFarAheadOfTheJobsClockIsADeadLetterNotAnEventHeldUntilThen() {
        long year = Duration.ofDays(365).toMillis();
        EventParser now = new EventParser(
                new ParseLimits(1024, 100, 3, Duration.ofHours(1), Duration.ofDays(30)), () -> RECORD_TS);
        // A producer whose clock is a year ahead stamps the record and the event alike.
        String ahead = VALID.replace(Long.toString(TS), Long.toString(TS + year));
        RawEvent stampedAhead = new RawEvent(
                "clickstream-web",
                2,
                41,
                RECORD_TS + year,
                "u1".getBytes(StandardCharsets.UTF_8),
                ahead.getBytes(StandardCharsets.UTF_8));
        ParseResult r = now.parse(stampedAhead);
        assertThat(r.isValid()).isFalse();
        assertThat(r.reason()).isEqualTo(RejectReason.TIMESTAMP_OUT_OF_RANGE);
        assertThat(r.detail()).contains("record time").contains("this job's clock");
        // Within the skew it is an event.
        String soon = VALID.replace(Long.toString(TS), Long.toString(RECORD_TS + 30 * 60_000L));
        assertThat(now.parse(new RawEvent(
                                "clickstream-web",
                                2,
                                41,
                                RECORD_TS + 30 * 60_000L,
                                "u1".getBytes(StandardCharsets.UTF_8),
                                soon.getBytes(StandardCharsets.UTF_8)))
                        .isValid())
                .isTrue();
    }

    @Test
    void aPropertyNameTwiceAmongManyIsRefusedAndTheSameNamesInTheNextEventAreNot() {
        EventParser wide = new EventParser(ParseLimits.defaults());
        StringBuilder props = new StringBuilder();
        for (int i = 0; i < 90; i++) {
            props.append(i == 0 ? "" : ",")
                    .append("\"p")
                    .append(i)
                    .append("\":")
                    .append(i);
        }
        for (int round = 0; round < 3; round++) {
            ParseResult ok = wide.parse(raw(with("properties", "{" + props + "}")));
            assertThat(ok.isValid()).as(ok.detail()).isTrue();
            assertThat(ok.event().propertyKeys).hasSize(90);
            ParseResult twice = wide.parse(raw(with("properties", "{" + props + ",\"p37\":1}")));
            assertThat(twice.isValid()).isFalse();
            assertThat(twice.detail()).contains("Duplicate field 'p37'");
        }
    }
}
