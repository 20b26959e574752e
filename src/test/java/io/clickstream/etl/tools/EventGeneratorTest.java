package io.clickstream.etl.tools;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class EventGeneratorTest {
    private static final JsonMapper JSON = new JsonMapper();
    private static final long DAY = 86_400_000L;

    /** Each user's first event time, as a share of the span, by user number (0 = the first user). */
    private static Map<Integer, Double> firstSeen(boolean growing) throws Exception {
        int users = 200;
        int count = 20_000;
        EventGenerator g = new EventGenerator(7, users, 0, 30 * DAY);
        g.millisOnly = true;
        g.growing = growing;
        Map<Integer, Double> first = new HashMap<>();
        for (int i = 0; i < count; i++) {
            JsonNode e = JSON.readTree(g.next(i, count, 3, 0).value);
            int user = Integer.parseInt(e.get("user_id").asText().substring(1)) - 100000;
            first.putIfAbsent(user, e.get("ts").asLong() / (30.0 * DAY));
        }
        return first;
    }

    @Test
    void growingUsersJoinOneAfterAnotherOverTheSpan() throws Exception {
        Map<Integer, Double> first = firstSeen(true);
        first.forEach((user, at) -> assertThat(at).as("user " + user).isGreaterThanOrEqualTo((user - 1) / 200.0));
        assertThat(first.keySet().stream().filter(u -> u >= 100).count())
                .as("later users come too")
                .isGreaterThan(20);
    }

    @Test
    void withoutGrowingEveryUserIsActiveFromTheStart() throws Exception {
        Map<Integer, Double> first = firstSeen(false);
        assertThat(first.entrySet().stream()
                        .filter(e -> e.getKey() >= 100 && e.getValue() < 0.5)
                        .count())
                .as("late-numbered users seen in the first half")
                .isGreaterThan(10);
    }
}
