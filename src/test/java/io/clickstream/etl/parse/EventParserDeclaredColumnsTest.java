package io.clickstream.etl.parse;

import static org.assertj.core.api.Assertions.assertThat;

import io.clickstream.etl.clickhouse.DeclaredRow;
import io.clickstream.etl.event.Event;
import io.clickstream.etl.event.RawEvent;
import io.clickstream.etl.schema.DeclaredColumns;
import io.clickstream.etl.schema.JsonValue;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The parser hands each declared column the value its property holds, as the JSON sent it (numbers with their digits
 * as written), and the event keeps the row's declared part; a value that does not fit never rejects the event.
 */
class EventParserDeclaredColumnsTest {
    private static final long RECORD_TS = Instant.parse("2026-11-22T10:00:00Z").toEpochMilli();

    private static final DeclaredRow ROW = new DeclaredRow(DeclaredColumns.parse(
            "{\"columns\": ["
                    + "{\"name\": \"price\", \"type\": \"Decimal(38, 18)\", \"path\": \"properties.price\"},"
                    + "{\"name\": \"n\", \"type\": \"Int64\", \"path\": \"properties.n\"},"
                    + "{\"name\": \"age\", \"type\": \"UInt8\", \"path\": \"properties.age\", \"default\": 7},"
                    + "{\"name\": \"ok\", \"type\": \"Bool\", \"path\": \"properties.ok\"},"
                    + "{\"name\": \"video_id\", \"type\": \"String\", \"path\": \"properties.video.id\","
                    + " \"event_types\": [\"video_view\"]},"
                    + "{\"name\": \"length\", \"type\": \"Decimal(9, 3)\", \"path\": \"properties.video.length\"},"
                    + "{\"name\": \"video\", \"type\": \"String\", \"path\": \"properties.video\"},"
                    + "{\"name\": \"tags\", \"type\": \"Array(Int32)\", \"path\": \"properties.tags\"}]}",
            Set.of()));

    private final EventParser parser = new EventParser(ParseLimits.defaults()).declaring(ROW);

    private Event parse(String type, String properties) {
        String json = "{\"event_id\":\"e1\",\"user_id\":\"u1\",\"event_type\":\"" + type + "\",\"ts\":"
                + (RECORD_TS - 1000) + ",\"properties\":" + properties + "}";
        ParseResult r = parser.parse(
                new RawEvent("clickstream-web", 0, 1, RECORD_TS, null, json.getBytes(StandardCharsets.UTF_8)));
        assertThat(r.isValid()).as(r.detail()).isTrue();
        return r.event();
    }

    /** price, n, age, ok, video_id, length, video, tags. */
    private static byte[] expected(String type, JsonValue... values) {
        return ROW.encode(type, values, (column, reason) -> {});
    }

    private static List<String> errors(Event e) {
        List<String> out = new ArrayList<>();
        DeclaredRow.errors(e.declared, (field, reason) -> out.add(field + ":" + reason));
        return out;
    }

    @Test
    void numbersReachTheirColumnsWithTheDigitsTheyWereSentWith() {
        Event e = parse(
                "purchase",
                "{\"price\":12.345678901234567891,\"n\":9007199254740993,\"age\":30,\"ok\":true,"
                        + "\"tags\":[1,-2,3]}");
        assertThat(e.declared)
                .isEqualTo(expected(
                        "purchase",
                        JsonValue.number("12.345678901234567891"),
                        JsonValue.number("9007199254740993"),
                        JsonValue.number("30"),
                        JsonValue.bool(true),
                        null,
                        null,
                        null,
                        JsonValue.array(
                                List.of(JsonValue.number("1"), JsonValue.number("-2"), JsonValue.number("3")))));
        assertThat(errors(e)).isEmpty();
        assertThat(e.property("price"))
                .as("props keep the text they always had")
                .isEqualTo("12.345678901234567");
    }

    @Test
    void aPathIntoAnObjectTakesTheValueInsideItAndTheWholeObjectIsAWrongTypeForAString() {
        Event e = parse("video_view", "{\"video\":{\"id\":\"v-9\",\"length\":61.5}}");
        assertThat(e.declared)
                .isEqualTo(expected(
                        "video_view",
                        null,
                        null,
                        null,
                        null,
                        JsonValue.string("v-9"),
                        JsonValue.number("61.5"),
                        JsonValue.OBJECT,
                        null));
        assertThat(errors(e)).containsExactly("video:wrong_type");
        assertThat(e.property("video")).isEqualTo("{\"id\":\"v-9\",\"length\":61.5}");
    }

    @Test
    void valuesThatDoNotFitAreInErrorLogAndTheEventIsKept() {
        Event e = parse("video_view", "{\"age\":300,\"n\":\"12x\",\"tags\":[1,\"a\"],\"video\":{\"id\":5}}");
        assertThat(errors(e))
                .containsExactly("n:not_a_number", "age:out_of_range", "video:wrong_type", "tags:not_a_number");
        assertThat(e.property("age")).isEqualTo("300");
    }

    @Test
    void missingNullOrOtherEventTypesGiveTheDefaultsWithoutErrors() {
        assertThat(parse("page_view", "{\"video\":{\"id\":\"v-9\"},\"age\":null}").declared)
                .as("video_id is for video views; age null")
                .isEqualTo(expected("page_view", null, null, null, null, null, null, JsonValue.OBJECT, null));
        assertThat(parse("page_view", "null").declared).isEqualTo(ROW.defaults());
        assertThat(parse("page_view", "{}").declared).isEqualTo(ROW.defaults());
    }

    @Test
    void aValueOfOneEventIsNotLeftForTheNext() {
        parse("purchase", "{\"age\":30,\"video\":{\"id\":\"v\"}}");
        assertThat(parse("purchase", "{}").declared).isEqualTo(ROW.defaults());
    }
}
