package io.clickstream.collector;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class EventReaderTest {
    private final EventReader reader = new EventReader(3);

    private static byte[] b(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void readsOneObjectAnArrayOrNdjson() throws Exception {
        assertThat(reader.read(b("{\"user_id\":\"u1\",\"x\":1}"))).hasSize(1);
        assertThat(reader.read(b("[{\"user_id\":\"u1\"},{\"user_id\":7}]"))).hasSize(2);
        assertThat(reader.read(b("{\"user_id\":\"u1\"}\n{\"user_id\":\"u2\"}\n\n{\"user_id\":\"u3\"}\n")))
                .extracting(EventReader::userId)
                .containsExactly("u1", "u2", "u3");
    }

    @Test
    void refusesWhatIsNotJsonObjectsWithAReasonAndTheEventsPosition() {
        assertThatThrownBy(() -> reader.read(new byte[0])).hasFieldOrPropertyWithValue("reason", "empty_body");
        assertThatThrownBy(() -> reader.read(b("  \n"))).hasFieldOrPropertyWithValue("reason", "empty_body");
        assertThatThrownBy(() -> reader.read(b("{\"user_id\":\"u1\"}\n{\"user_id\":")))
                .isInstanceOf(BadRequest.class)
                .hasFieldOrPropertyWithValue("reason", "malformed_json")
                .hasFieldOrPropertyWithValue("index", 1);
        assertThatThrownBy(() -> reader.read(b("[{\"user_id\":\"u1\"}")))
                .hasFieldOrPropertyWithValue("reason", "malformed_json");
        assertThatThrownBy(() -> reader.read(b("[{\"user_id\":\"u1\"}] x")))
                .hasFieldOrPropertyWithValue("reason", "malformed_json");
        assertThatThrownBy(() -> reader.read(b("{\"user_id\":\"u1\",\"user_id\":\"u2\"}")))
                .hasFieldOrPropertyWithValue("reason", "malformed_json");
        assertThatThrownBy(() -> reader.read(b("[{\"user_id\":\"u1\"}, 5]")))
                .hasFieldOrPropertyWithValue("reason", "not_an_object")
                .hasFieldOrPropertyWithValue("index", 1);
        assertThatThrownBy(() -> reader.read(b("\"text\""))).hasFieldOrPropertyWithValue("reason", "not_an_object");
    }

    @Test
    void everyEventNeedsAUserIdBecauseItIsTheKafkaKey() {
        assertThatThrownBy(() -> reader.read(b("[{\"user_id\":\"u1\"},{\"event_id\":\"e\"}]")))
                .hasFieldOrPropertyWithValue("reason", "missing_user_id")
                .hasFieldOrPropertyWithValue("index", 1);
        assertThatThrownBy(() -> reader.read(b("{\"user_id\":null}")))
                .hasFieldOrPropertyWithValue("reason", "missing_user_id");
        assertThatThrownBy(() -> reader.read(b("{\"user_id\":\"  \"}")))
                .hasFieldOrPropertyWithValue("reason", "missing_user_id");
        assertThatThrownBy(() -> reader.read(b("{\"user_id\":1.5}")))
                .hasFieldOrPropertyWithValue("reason", "missing_user_id");
        assertThatThrownBy(() -> reader.read(b("{\"user_id\":{\"a\":1}}")))
                .hasFieldOrPropertyWithValue("reason", "missing_user_id");
    }

    @Test
    void refusesMoreEventsThanTheLimit() {
        assertThatThrownBy(() -> reader.read(b("{\"user_id\":1}{\"user_id\":2}{\"user_id\":3}{\"user_id\":4}")))
                .hasFieldOrPropertyWithValue("reason", "too_many_events");
    }
}
