package io.clickstream.etl.redrive;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;
import io.clickstream.etl.event.DeadLetter;
import io.clickstream.etl.kafka.DeadLetterSerializer;
import io.clickstream.etl.parse.EventParser;
import io.clickstream.etl.parse.ParseLimits;
import io.clickstream.etl.redrive.DeadLetterFix.Kind;
import io.clickstream.etl.redrive.DeadLetterFix.Outcome;
import io.clickstream.etl.redrive.DeadLetterFix.StoredDeadLetter;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class DeadLetterFixTest {
    private static final JsonMapper JSON = new JsonMapper();
    private static final long RECORD_TIME =
            Instant.parse("2026-12-01T10:00:05Z").toEpochMilli();
    private static final RedriveRules RULES = RedriveRules.parse("""
            rules:
              - reason: timestamp_out_of_range
                convert_timestamp: {field: ts, from: seconds}
              - reason: missing_field
                rename: {uid: user_id}
            """);
    private final DeadLetterFix fix =
            new DeadLetterFix(RULES, new EventParser(ParseLimits.defaults()), "clickstream-backfill");

    private static StoredDeadLetter stored(String reason, String payload) {
        DeadLetter d = new DeadLetter();
        d.reason = reason;
        d.detail = "…";
        d.topic = "clickstream-ios";
        d.partition = 2;
        d.offset = 17;
        d.timestamp = RECORD_TIME;
        d.key = "u1".getBytes(StandardCharsets.UTF_8);
        d.payload = payload == null ? null : payload.getBytes(StandardCharsets.UTF_8);
        return StoredDeadLetter.read(1, 40, d.key, DeadLetterSerializer.toJson(d));
    }

    private static JsonNode after(Outcome o) throws Exception {
        return JSON.readTree(o.after());
    }

    @Test
    void aFixedEventKeepsItsSourceAndNamesTheInputItCameFrom() throws Exception {
        Outcome o = fix.apply(stored(
                "timestamp_out_of_range",
                "{\"event_id\":\"e1\",\"user_id\":\"u1\",\"event_type\":\"click\",\"ts\":1796119205}"));

        assertThat(o.kind()).isEqualTo(Kind.FIXED);
        assertThat(o.rules()).containsExactly(1);
        assertThat(after(o).get("ts").asLong()).isEqualTo(1796119205000L);
        assertThat(after(o).get("source").asText()).isEqualTo("clickstream-ios");
        assertThat(after(o).at("/properties/redriven_from").asText()).isEqualTo("clickstream-ios/2@17");
        assertThat(new String(o.key(), StandardCharsets.UTF_8)).isEqualTo("u1");
    }

    @Test
    void aRenamedUserIdBecomesTheKey() throws Exception {
        Outcome o = fix.apply(stored(
                "missing_field",
                "{\"event_id\":\"e2\",\"uid\":77,\"event_type\":\"click\",\"ts\":1796119205000,\"source\":\"ios\"}"));

        assertThat(o.kind()).isEqualTo(Kind.FIXED);
        assertThat(new String(o.key(), StandardCharsets.UTF_8)).isEqualTo("77");
        assertThat(after(o).get("source").asText()).isEqualTo("ios");
    }

    @Test
    void aChangedPayloadThatStillFailsSaysWhyAsTheJobWould() {
        Outcome o = fix.apply(stored(
                "timestamp_out_of_range",
                "{\"event_id\":\"e3\",\"user_id\":\"u1\",\"event_type\":\" \",\"ts\":1796119205}"));

        assertThat(o.kind()).isEqualTo(Kind.STILL_FAILING);
        assertThat(o.why()).isEqualTo("blank_field");
        assertThat(o.detail()).contains("event_type");
    }

    @Test
    void theJobsBoundsApplyWithTheInputsRecordTime() {
        // A week in the future of the input's record time: the job would refuse it there, so the tool does.
        long weekLater = (RECORD_TIME + 7 * 86_400_000L) / 1000;
        Outcome o = fix.apply(stored(
                "timestamp_out_of_range",
                "{\"event_id\":\"e4\",\"user_id\":\"u1\",\"event_type\":\"click\",\"ts\":" + weekLater + "}"));

        assertThat(o.kind()).isEqualTo(Kind.STILL_FAILING);
        assertThat(o.why()).isEqualTo("timestamp_out_of_range");
    }

    @Test
    void whatNoRuleChangesOrNoRuleCanReachIsLeft() {
        assertThat(fix.apply(stored("blank_field", "{\"event_id\":\" \"}")).kind())
                .isEqualTo(Kind.UNCHANGED);
        assertThat(fix.apply(stored("malformed_json", "{\"event_id\":")).kind()).isEqualTo(Kind.NOT_REDRIVABLE);
        assertThat(fix.apply(stored("missing_field", null)).why()).contains("privacy");
    }

    @Test
    void aRedrivesOwnDeadLetterThatStillFailsIsNotWrittenAgain() throws Exception {
        String payload = "{\"event_id\":\"e5\",\"user_id\":\"u1\",\"event_type\":\" \",\"ts\":1796119205}";
        StoredDeadLetter first = stored("timestamp_out_of_range", payload);
        com.fasterxml.jackson.databind.node.ObjectNode again = (com.fasterxml.jackson.databind.node.ObjectNode)
                JSON.readTree(DeadLetterSerializer.toJson(new DeadLetter()));
        again.put("reason", "timestamp_out_of_range")
                .put("source_topic", "redrive:clickstream-dead-letters")
                .put("source_timestamp", RECORD_TIME)
                .put("payload", payload);
        again.putObject("redriven_from")
                .put("source_topic", first.sourceTopic())
                .put("source_partition", 2)
                .put("source_offset", 17);
        StoredDeadLetter second = StoredDeadLetter.read(0, 99, null, JSON.writeValueAsBytes(again));

        Outcome o = fix.apply(second);

        assertThat(o.kind()).isEqualTo(Kind.STILL_FAILING_AGAIN);
        assertThat(second.origin()).isEqualTo("clickstream-ios/2@17");
    }
}
