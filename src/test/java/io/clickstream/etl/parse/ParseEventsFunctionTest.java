package io.clickstream.etl.parse;

import static org.assertj.core.api.Assertions.assertThat;

import io.clickstream.etl.event.DeadLetter;
import io.clickstream.etl.event.Event;
import io.clickstream.etl.kafka.ParsingDeserializer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.stream.Collectors;
import org.apache.flink.streaming.api.operators.ProcessOperator;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.OneInputStreamOperatorTestHarness;
import org.apache.flink.util.Collector;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.record.TimestampType;
import org.junit.jupiter.api.Test;

class ParseEventsFunctionTest {

    /** The record as the source's deserializer turns it into a parsed record. */
    private static ParsedRecord raw(long offset, String json) {
        ParsingDeserializer deserializer = new ParsingDeserializer(ParseLimits.defaults());
        deserializer.open(null);
        ParsedRecord[] out = new ParsedRecord[1];
        deserializer.deserialize(
                new ConsumerRecord<>(
                        "clickstream-app",
                        0,
                        offset,
                        1_763_800_000_000L,
                        TimestampType.CREATE_TIME,
                        1,
                        json.length(),
                        "k".getBytes(StandardCharsets.UTF_8),
                        json.getBytes(StandardCharsets.UTF_8),
                        new RecordHeaders(),
                        java.util.Optional.empty()),
                new Collector<>() {
                    @Override
                    public void collect(ParsedRecord record) {
                        out[0] = record;
                    }

                    @Override
                    public void close() {}
                });
        return out[0];
    }

    @Test
    void validEventsFlowOnAndRejectedOnesBecomeDeadLettersWithTheirPosition() throws Exception {
        try (OneInputStreamOperatorTestHarness<ParsedRecord, Event> harness =
                new OneInputStreamOperatorTestHarness<>(new ProcessOperator<>(new ParseEventsFunction()))) {
            harness.open();

            harness.processElement(
                    raw(10, "{\"event_id\":\"a\",\"user_id\":\"u\",\"event_type\":\"click\",\"ts\":1763799990000}"), 0);
            harness.processElement(raw(11, "{oops"), 0);
            harness.processElement(
                    raw(12, "{\"event_id\":\"b\",\"user_id\":\" \",\"event_type\":\"click\",\"ts\":1763799990000}"), 0);
            harness.processElement(
                    raw(13, "{\"event_id\":\"c\",\"user_id\":\"u\",\"event_type\":\"click\",\"ts\":1763799991000}"), 0);

            List<Event> events = harness.extractOutputValues();
            assertThat(events).extracting(e -> e.eventId).containsExactly("a", "c");
            assertThat(events).extracting(e -> e.source).containsOnly("clickstream-app");

            List<DeadLetter> dead = harness.getSideOutput(ParseEventsFunction.DEAD_LETTERS).stream()
                    .map(StreamRecord::getValue)
                    .collect(Collectors.toList());
            assertThat(dead).extracting(d -> d.reason).containsExactly("malformed_json", "blank_field");
            assertThat(dead).extracting(d -> d.offset).containsExactly(11L, 12L);
            assertThat(dead.get(1).detail).isEqualTo("user_id is blank");
            assertThat(new String(dead.get(0).payload, StandardCharsets.UTF_8)).isEqualTo("{oops");
            assertThat(dead.get(0).topic).isEqualTo("clickstream-app");
        }
    }

    @Test
    void aNewSourcePerEventDoesNotGrowTheCountersWithoutEnd() throws Exception {
        ParseEventsFunction function = new ParseEventsFunction();
        try (OneInputStreamOperatorTestHarness<ParsedRecord, Event> harness =
                new OneInputStreamOperatorTestHarness<>(new ProcessOperator<>(function))) {
            harness.open();
            for (int i = 0; i < 5_000; i++) {
                harness.processElement(
                        raw(
                                i,
                                "{\"event_id\":\"e" + i + "\",\"user_id\":\"u\",\"event_type\":\"click\","
                                        + "\"ts\":1763799990000,\"source\":\"s" + i + "\"}"),
                        0);
            }

            assertThat(harness.extractOutputValues()).hasSize(5_000);
            assertThat(function.countedSources()).isEqualTo(ParseEventsFunction.MAX_SOURCE_COUNTERS + 1);
        }
    }
}
