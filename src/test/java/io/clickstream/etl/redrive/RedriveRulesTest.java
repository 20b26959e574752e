package io.clickstream.etl.redrive;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Test;

class RedriveRulesTest {
    private static final JsonMapper JSON = new JsonMapper();

    private static ObjectNode json(String s) throws Exception {
        return (ObjectNode) JSON.readTree(s);
    }

    @Test
    void eachActionChangesOnlyWhatItNames() throws Exception {
        RedriveRules rules = RedriveRules.parse("""
                rules:
                  - convert_timestamp: {field: ts, from: seconds}
                  - rename: {uid: user_id}
                  - set: {source: ios}
                  - remove: [debug, properties.tmp]
                  - map: {field: event_type, values: {pageview: page_view}}
                  - convert_type: {field: properties.price, to: number}
                """);
        ObjectNode p = json("{\"ts\":1763805600.5,\"uid\":42,\"event_type\":\"pageview\",\"debug\":true,"
                + "\"properties\":{\"tmp\":1,\"price\":\"49.90\",\"keep\":\"x\"}}");

        assertThat(rules.apply(p, "timestamp_out_of_range", "clickstream-ios")).containsExactly(1, 2, 3, 4, 5, 6);
        assertThat(p.toString())
                .isEqualTo("{\"ts\":1763805600500,\"event_type\":\"page_view\","
                        + "\"properties\":{\"price\":49.9,\"keep\":\"x\"},\"user_id\":42,\"source\":\"ios\"}");
        // Applied again, nothing is left to change.
        assertThat(rules.apply(p, "timestamp_out_of_range", "clickstream-ios")).isEmpty();
    }

    @Test
    void filtersLimitARuleToItsReasonsAndTopics() throws Exception {
        RedriveRules rules = RedriveRules.parse("""
                rules:
                  - reason: [timestamp_out_of_range, invalid_timestamp]
                    source_topic: clickstream-ios
                    convert_timestamp: {field: ts, from: "yyyy-MM-dd HH:mm:ss", zone: Europe/Berlin}
                """);
        ObjectNode p = json("{\"ts\":\"2026-12-01 10:00:00\"}");

        assertThat(rules.apply(p.deepCopy(), "missing_field", "clickstream-ios"))
                .isEmpty();
        assertThat(rules.apply(p.deepCopy(), "invalid_timestamp", "clickstream-web"))
                .isEmpty();
        assertThat(rules.apply(p, "invalid_timestamp", "clickstream-ios")).containsExactly(1);
        assertThat(p.get("ts").asLong())
                .isEqualTo(java.time.Instant.parse("2026-12-01T09:00:00Z").toEpochMilli());
    }

    @Test
    void aValueARuleCannotConvertIsLeftAsItIs() throws Exception {
        RedriveRules rules = RedriveRules.parse("""
                rules:
                  - convert_timestamp: {field: ts, from: iso}
                  - convert_type: {field: n, to: boolean}
                  - convert_timestamp: {field: s, from: seconds}
                """);
        ObjectNode p = json("{\"ts\":\"yesterday\",\"n\":\"maybe\",\"s\":\"1e400x\"}");

        assertThat(rules.apply(p, "invalid_timestamp", "t")).isEmpty();
        assertThat(p).isEqualTo(json("{\"ts\":\"yesterday\",\"n\":\"maybe\",\"s\":\"1e400x\"}"));
    }

    @Test
    void mistakesInTheFileAreRefusedWithTheRuleNumber() {
        assertThatThrownBy(() -> RedriveRules.parse("rules:\n  - set: {a: 1}\n  - rename: {a: b}\n    set: {c: 1}\n"))
                .hasMessageContaining("rule 2")
                .hasMessageContaining("two actions");
        assertThatThrownBy(() -> RedriveRules.parse("rules:\n  - reason: late\n    set: {a: 1}\n"))
                .hasMessageContaining("rule 1")
                .hasMessageContaining("unknown reason 'late'");
        assertThatThrownBy(() -> RedriveRules.parse("rules:\n  - sett: {a: 1}\n"))
                .hasMessageContaining("unknown key 'sett'");
        assertThatThrownBy(() -> RedriveRules.parse("rules:\n  - reason: blank_field\n"))
                .hasMessageContaining("no action");
        assertThatThrownBy(() -> RedriveRules.parse("rules:\n  - convert_type: {field: a, to: date}\n"))
                .hasMessageContaining("'to' must be string, number or boolean");
        assertThatThrownBy(() -> RedriveRules.parse("rules:\n  - convert_timestamp: {field: a, from: \"qqq{\"}\n"))
                .hasMessageContaining("neither seconds, millis, iso nor a date-time pattern");
        assertThatThrownBy(() -> RedriveRules.parse("fixes: []\n")).hasMessageContaining("'rules:' list");
    }
}
