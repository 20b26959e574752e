package io.clickstream.etl.funnel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.clickstream.etl.event.Event;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class FunnelDefinitionTest {

    static Stream<Arguments> badDefinitions() {
        String steps = "\"steps\": [{\"event_type\": \"a\"}, {\"event_type\": \"b\"}]";
        return Stream.of(
                Arguments.of(null, "got nothing"),
                Arguments.of("", "a funnel definition is a JSON object"),
                Arguments.of("   ", "a funnel definition is a JSON object"),
                Arguments.of("{not json", "not valid JSON"),
                Arguments.of("[1, 2]", "a funnel definition is a JSON object"),
                Arguments.of("{" + steps + "}", "id: missing"),
                Arguments.of("{\"id\": \"Bad Id\", " + steps + "}", "id 'Bad Id'"),
                Arguments.of("{\"id\": 7, " + steps + "}", "id: expected a non-empty string"),
                Arguments.of("{\"id\": \"f\", \"mode\": \"loose\", " + steps + "}", "mode 'loose'"),
                Arguments.of("{\"id\": \"f\", \"window\": \"soon\", " + steps + "}", "window: expected a duration"),
                Arguments.of("{\"id\": \"f\", \"window\": \"0s\", " + steps + "}", "window: must be above 0"),
                Arguments.of(
                        "{\"id\": \"f\", \"window\": \"31d\", " + steps + "}",
                        "window: must be above 0 and at most 30d"),
                Arguments.of("{\"id\": \"f\"}", "steps: a list of at least 2 steps"),
                Arguments.of(
                        "{\"id\": \"f\", \"steps\": [{\"event_type\": \"a\"}]}", "steps: a list of at least 2 steps"),
                Arguments.of("{\"id\": \"f\", \"steps\": \"a,b\"}", "steps: a list of at least 2 steps"),
                Arguments.of("{\"id\": \"f\", \"colour\": 1, " + steps + "}", "colour: unknown key"),
                Arguments.of(
                        "{\"id\": \"f\", \"steps\": [{\"event_type\": \"a\"}, {}]}",
                        "steps[2]: needs event_type or a where condition"),
                Arguments.of(
                        "{\"id\": \"f\", \"steps\": [{\"event_type\": \"a\"}, 5]}", "steps[2]: a step is an object"),
                Arguments.of(
                        "{\"id\": \"f\", \"steps\": [{\"event_type\": \"a\"}, {\"type\": \"b\"}]}",
                        "steps[2].type: unknown key"),
                Arguments.of(
                        "{\"id\": \"f\", \"steps\": [{\"event_type\": \"a\"}, {\"where\": {\"colour\": \"red\"}}]}",
                        "steps[2].where.colour: unknown field"),
                Arguments.of(
                        "{\"id\": \"f\", \"steps\": [{\"event_type\": \"a\"}, {\"where\": {\"url\": {\"like\": \"x\"}}}]}",
                        "steps[2].where.url: unknown operator 'like'"),
                Arguments.of(
                        "{\"id\": \"f\", \"steps\": [{\"event_type\": \"a\"}, {\"where\": {\"url\": {\"prefix\": \"a\", \"in\": [\"b\"]}}}]}",
                        "steps[2].where.url: a value, or an object with one of"),
                Arguments.of(
                        "{\"id\": \"f\", \"steps\": [{\"event_type\": \"a\"}, {\"where\": {\"url\": {\"in\": []}}}]}",
                        "steps[2].where.url.in: expected a non-empty list"),
                Arguments.of(
                        "{\"id\": \"f\", \"steps\": [{\"event_type\": \"a\"}, {\"where\": {\"properties.n\": {\"gt\": \"ten\"}}}]}",
                        "steps[2].where.properties.n.gt: expected a number"),
                Arguments.of(
                        "{\"id\": \"f\", \"steps\": [{\"event_type\": \"a\"}, {\"where\": {\"properties.n\": {\"exists\": false}}}]}",
                        "steps[2].where.properties.n.exists: expected true"),
                Arguments.of(
                        "{\"id\": \"f\", \"steps\": [{\"event_type\": \"a\"}, {\"where\": {\"url\": {\"prefix\": null}}}]}",
                        "steps[2].where.url.prefix: expected a value"));
    }

    @ParameterizedTest(name = "[{index}] {1}")
    @MethodSource("badDefinitions")
    void rejectsBadDefinitionsNamingTheBadPart(String json, String message) {
        assertThatThrownBy(() -> FunnelDefinition.parse(json))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(message);
    }

    @Test
    void rejectsMoreThan32Steps() {
        StringBuilder steps = new StringBuilder();
        for (int i = 0; i < 33; i++) {
            steps.append(i == 0 ? "" : ",")
                    .append("{\"event_type\": \"e")
                    .append(i)
                    .append("\"}");
        }
        assertThatThrownBy(() -> FunnelDefinition.parse("{\"id\": \"f\", \"steps\": [" + steps + "]}"))
                .hasMessageContaining("steps: at most 32, got 33");
    }

    @Test
    void readsModeWindowAndStepNames() {
        FunnelDefinition d =
                FunnelDefinition.parse("{\"id\": \"checkout\", \"name\": \"Checkout\", \"mode\": \"strict\","
                        + " \"window\": \"1h\", \"steps\": [{\"name\": \"Cart\", \"event_type\": \"add_to_cart\"},"
                        + " {\"event_type\": \"purchase\"}]}");
        assertThat(d.id()).isEqualTo("checkout");
        assertThat(d.name()).isEqualTo("Checkout");
        assertThat(d.mode()).isEqualTo(FunnelDefinition.Mode.STRICT);
        assertThat(d.windowMs()).isEqualTo(3_600_000L);
        assertThat(d.steps()).extracting(FunnelDefinition.Step::name).containsExactly("Cart", "purchase");
    }

    @Test
    void withoutWindowOrModeIsSequentialOverTheSession() {
        FunnelDefinition d = FunnelDefinition.parse(
                "{\"id\": \"f\", \"steps\": [{\"event_type\": \"a\"}, {\"event_type\": \"b\"}]}");
        assertThat(d.mode()).isEqualTo(FunnelDefinition.Mode.SEQUENTIAL);
        assertThat(d.windowMs()).isEqualTo(FunnelDefinition.NO_WINDOW_MS);
    }

    static Event event(String type, String url, String... props) {
        Event e = new Event();
        e.eventType = type;
        e.url = url;
        e.countryCode = "DE";
        e.propertyKeys = new String[props.length / 2];
        e.propertyValues = new String[props.length / 2];
        for (int i = 0; i < props.length / 2; i++) {
            e.propertyKeys[i] = props[2 * i];
            e.propertyValues[i] = props[2 * i + 1];
        }
        return e;
    }

    static Stream<Arguments> conditions() {
        return Stream.of(
                // where, event, matches
                Arguments.of("{\"url\": \"https://s/cart\"}", event("v", "https://s/cart"), true),
                Arguments.of("{\"url\": {\"equals\": \"https://s/cart\"}}", event("v", "https://s/CART"), false),
                Arguments.of("{\"url\": {\"prefix\": \"https://s/p/\"}}", event("v", "https://s/p/42"), true),
                Arguments.of("{\"url\": {\"prefix\": \"https://s/p/\"}}", event("v", "https://s/q/42"), false),
                Arguments.of("{\"url\": {\"prefix\": \"https://s/p/\"}}", event("v", null), false),
                Arguments.of("{\"country_code\": {\"in\": [\"FR\", \"DE\"]}}", event("v", ""), true),
                Arguments.of("{\"country_code\": {\"in\": [\"FR\"]}}", event("v", ""), false),
                Arguments.of("{\"url\": {\"exists\": true}}", event("v", ""), false),
                Arguments.of("{\"url\": {\"exists\": true}}", event("v", "x"), true),
                Arguments.of("{\"properties.plan\": {\"exists\": true}}", event("v", "", "plan", ""), true),
                Arguments.of("{\"properties.plan\": {\"exists\": true}}", event("v", ""), false),
                Arguments.of("{\"properties.plan\": \"pro\"}", event("v", "", "plan", "pro"), true),
                Arguments.of("{\"properties.plan\": \"pro\"}", event("v", "", "plan", "free"), false),
                Arguments.of("{\"properties.amount\": {\"gt\": 10}}", event("v", "", "amount", "10.5"), true),
                Arguments.of("{\"properties.amount\": {\"gt\": 10}}", event("v", "", "amount", "10"), false),
                Arguments.of("{\"properties.amount\": {\"gte\": 10}}", event("v", "", "amount", "10"), true),
                Arguments.of("{\"properties.amount\": {\"lt\": 0}}", event("v", "", "amount", "-1e3"), true),
                Arguments.of("{\"properties.amount\": {\"lte\": 5}}", event("v", "", "amount", "5.0"), true),
                Arguments.of("{\"properties.amount\": {\"lt\": 5}}", event("v", "", "amount", "four"), false),
                Arguments.of("{\"properties.amount\": {\"lt\": 5}}", event("v", "", "amount", ""), false),
                Arguments.of("{\"properties.amount\": {\"lt\": 5}}", event("v", ""), false),
                Arguments.of(
                        "{\"url\": {\"prefix\": \"x\"}, \"properties.plan\": \"pro\"}",
                        event("v", "xy", "plan", "pro"),
                        true),
                Arguments.of(
                        "{\"url\": {\"prefix\": \"x\"}, \"properties.plan\": \"pro\"}",
                        event("v", "xy", "plan", "free"),
                        false));
    }

    @ParameterizedTest(name = "[{index}] {0} -> {2}")
    @MethodSource("conditions")
    void stepConditionsMatchFieldsAndProperties(String where, Event e, boolean matches) {
        FunnelDefinition d = FunnelDefinition.parse("{\"id\": \"f\", \"steps\": [{\"event_type\": \"v\", \"where\": "
                + where + "}, {\"event_type\": \"never\"}]}");
        assertThat(d.stepOf(e)).isEqualTo(matches ? 0 : -1);
    }

    @Test
    void anEventCountsAsTheFirstStepItMatches() {
        FunnelDefinition d = FunnelDefinition.parse("{\"id\": \"f\", \"steps\": [{\"event_type\": \"view\"},"
                + " {\"event_type\": \"view\", \"where\": {\"url\": {\"prefix\": \"/checkout\"}}}]}");
        assertThat(d.stepOf(event("view", "/checkout"))).isZero();
        assertThat(d.stepOf(event("click", "/checkout"))).isEqualTo(-1);
    }

    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.ValueSource(strings = {"checkout.json", "search-to-cart.json"})
    void theShippedExampleDefinitionsAreValid(String file) throws Exception {
        String json = java.nio.file.Files.readString(java.nio.file.Path.of("flink-conf/funnels", file));
        assertThat(FunnelDefinition.parse(json).id()).isEqualTo(file.replace(".json", ""));
    }
}
