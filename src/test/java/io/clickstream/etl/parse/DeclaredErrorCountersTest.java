package io.clickstream.etl.parse;

import static org.assertj.core.api.Assertions.assertThat;

import io.clickstream.etl.clickhouse.DeclaredRow;
import io.clickstream.etl.event.RawEvent;
import io.clickstream.etl.schema.DeclaredColumns;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Set;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.testutils.MetricListener;
import org.junit.jupiter.api.Test;

class DeclaredErrorCountersTest {
    private static final long RECORD_TS = Instant.parse("2026-11-22T10:00:00Z").toEpochMilli();

    @Test
    void eachValueThatDidNotFitCountsUnderItsFieldAndReason() {
        EventParser parser = new EventParser(ParseLimits.defaults())
                .declaring(new DeclaredRow(DeclaredColumns.parse(
                        "{\"columns\": [{\"name\": \"age\", \"type\": \"UInt8\", \"path\": \"properties.age\"},"
                                + "{\"name\": \"price\", \"type\": \"Decimal(9, 2)\", \"path\": \"properties.price\"}]}",
                        Set.of())));
        MetricListener metrics = new MetricListener();
        DeclaredErrorCounters counters = new DeclaredErrorCounters(metrics.getMetricGroup());
        String[] properties = {
            "{\"age\":300,\"price\":\"x\"}", "{\"age\":301}", "{\"age\":\"y\"}", "{\"age\":3,\"price\":1}", "{}"
        };
        for (int i = 0; i < properties.length; i++) {
            String json = "{\"event_id\":\"e" + i + "\",\"user_id\":\"u\",\"event_type\":\"t\",\"ts\":"
                    + (RECORD_TS - 1) + ",\"properties\":" + properties[i] + "}";
            ParseResult r =
                    parser.parse(new RawEvent("t", 0, i, RECORD_TS, null, json.getBytes(StandardCharsets.UTF_8)));
            counters.count(r.event());
        }
        assertThat(count(metrics, "age", "out_of_range")).isEqualTo(2);
        assertThat(count(metrics, "age", "not_a_number")).isEqualTo(1);
        assertThat(count(metrics, "price", "not_a_number")).isEqualTo(1);
        assertThat(metrics.getCounter("declaredColumnErrors", "price", "out_of_range"))
                .isEmpty();
    }

    private static long count(MetricListener metrics, String field, String reason) {
        return metrics.getCounter("declaredColumnErrors", field, reason)
                .map(Counter::getCount)
                .orElse(-1L);
    }
}
