package io.clickstream.etl.kafka;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;
import io.clickstream.etl.event.DeadLetter;
import io.clickstream.etl.event.Event;
import io.clickstream.etl.session.SessionRow;
import org.junit.jupiter.api.Test;

class RejectedRowsToKafkaTest {

    @Test
    void aRefusedEventKeepsItsSourcePositionAndTravelsAsJson() throws Exception {
        Event e = new Event();
        e.eventId = "e1";
        e.userId = "u1";
        e.kafkaTopic = "clickstream-web";
        e.kafkaPartition = 3;
        e.kafkaOffset = 42;
        e.kafkaTimestamp = 1_700_000_000_000L;
        DeadLetter d = RejectedRowsToKafka.deadLetter(e, "db.events", "Code: 53 TYPE_MISMATCH");

        assertThat(d.reason).isEqualTo("clickhouse_rejected");
        assertThat(d.detail).isEqualTo("db.events: Code: 53 TYPE_MISMATCH");
        assertThat(d.topic).isEqualTo("clickstream-web");
        assertThat(d.partition).isEqualTo(3);
        assertThat(d.offset).isEqualTo(42);
        assertThat(new String(d.key)).isEqualTo("u1");
        JsonNode row = new JsonMapper().readTree(d.payload);
        assertThat(row.get("eventId").asText()).isEqualTo("e1");
        assertThat(row.get("kafkaOffset").asLong()).isEqualTo(42);
    }

    @Test
    void aRefusedSessionRowHasNoSourcePosition() throws Exception {
        SessionRow r = new SessionRow();
        r.sessionId = "s1";
        DeadLetter d = RejectedRowsToKafka.deadLetter(r, "db.sessions", "Code: 131");
        assertThat(d.offset).isEqualTo(-1);
        assertThat(new JsonMapper().readTree(d.payload).get("sessionId").asText())
                .isEqualTo("s1");
    }
}
