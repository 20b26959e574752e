package io.clickstream.etl.tools;

import static org.assertj.core.api.Assertions.assertThat;

import io.clickstream.etl.clickhouse.DeclaredRow;
import io.clickstream.etl.event.RawEvent;
import io.clickstream.etl.parse.EventParser;
import io.clickstream.etl.parse.ParseLimits;
import io.clickstream.etl.parse.ParseResult;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class WidePropertiesTest {
    @Test
    void theFlowBenchmarksWideEventsParseWithTheirDeclaredColumnsAndAFewValuesThatDoNotFit() {
        long start = System.currentTimeMillis() - 3_600_000;
        EventGenerator generator = new EventGenerator(7, 1000, start, 3_000_000);
        WideProperties wide = new WideProperties(20, 3);
        DeclaredRow declared = WideProperties.declared(20);
        EventParser parser = new EventParser(ParseLimits.defaults()).declaring(declared);
        Map<String, Integer> errors = new HashMap<>();
        int valid = 0;
        for (int i = 0; i < 2000; i++) {
            EventGenerator.Generated g = generator.next(i, 2000, 3, 0.0);
            ParseResult r = parser.parse(new RawEvent("web", 0, i, start + 3_500_000, g.key, wide.addTo(g.value)));
            assertThat(r.isValid()).as(r.detail()).isTrue();
            valid++;
            assertThat(r.event().property("w19")).isNotNull();
            DeclaredRow.errors(
                    r.event().declared, (field, reason) -> errors.merge(field + ":" + reason, 1, Integer::sum));
        }
        assertThat(valid).isEqualTo(2000);
        assertThat(errors)
                .containsOnlyKeys(
                        "w0:out_of_range",
                        "w10:out_of_range",
                        "w3:not_a_number",
                        "w13:not_a_number",
                        "w7:bad_format",
                        "w17:bad_format");
        assertThat(errors.values().stream().mapToInt(Integer::intValue).sum())
                .as("one value in 50 of six columns")
                .isBetween(100, 400);
    }
}
