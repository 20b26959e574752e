package io.clickstream.etl.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.clickstream.etl.clickhouse.ClickHouseEndpoints;
import io.clickstream.etl.clickhouse.ClickHouseStoredEvents;
import io.clickstream.etl.clickhouse.ReplayGuard;
import io.clickstream.etl.clickhouse.SourcePosition;
import io.clickstream.etl.event.Event;
import io.clickstream.etl.redis.RedisInsertMarks;
import io.clickstream.etl.redis.RedisSettings;
import io.clickstream.etl.testing.TestStack;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.StringJoiner;
import org.junit.jupiter.api.Test;

/**
 * The replay check of a restored job asks ClickHouse which of its rows are stored already, on the real stack. With
 * the first configured node down it must ask the next one, as inserts do (a job that cannot would fail and restart
 * forever); and a topic deleted and created again, whose offsets start anew under the old insert marks, must not
 * have its new rows taken for the old ones stored at the same positions.
 */
class ReplayLookUpITCase {
    private static final long DAY = 1_767_225_600_000L; // 2026-01-01

    private static Event event(String id, int partition, long offset) {
        Event e = new Event();
        e.eventId = id;
        e.userId = "u" + offset;
        e.eventType = "page_view";
        e.eventTime = DAY + offset * 1000L;
        e.kafkaTopic = "web";
        e.kafkaPartition = partition;
        e.kafkaOffset = offset;
        return e;
    }

    /** Into one shard's table: the look-up reads every replica, and the rows are there at once. */
    private static void storeInOneShard(String database, List<Event> rows) throws Exception {
        StringJoiner values = new StringJoiner(", ");
        for (Event e : rows) {
            values.add("('2026-01-01', " + e.eventTime / 1000 + ", '" + e.eventId + "', '" + e.userId + "', '"
                    + e.eventType + "', '" + e.kafkaTopic + "', " + e.kafkaPartition + ", " + e.kafkaOffset + ")");
        }
        TestStack.query(
                TestStack.clickHouseUrls().get(0),
                "INSERT INTO " + database + ".events_local "
                        + "(dt, ts, event_id, user_id, event_type, kafka_topic, kafka_partition, kafka_offset) VALUES "
                        + values);
    }

    @Test
    void theReplayLookUpMovesOnFromANodeThatIsDownToTheNextOne() throws Exception {
        TestStack.requireRunning();
        String database = TestStack.migratedDatabase();
        List<Event> rows = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            rows.add(event("e" + i, i % 2, 100 + i));
        }
        storeInOneShard(database, rows.subList(0, 4)); // two of them were never stored

        List<String> urls = new ArrayList<>();
        urls.add("http://127.0.0.1:" + freePort()); // nothing listens there: a node that is down
        urls.addAll(TestStack.clickHouseUrls());
        ClickHouseEndpoints endpoints = new ClickHouseEndpoints(urls, "default", "", Duration.ofSeconds(30));
        try (ClickHouseStoredEvents stored = new ClickHouseStoredEvents(endpoints, database, "events")) {
            Set<SourcePosition> found = stored.find(rows);

            assertThat(found)
                    .containsExactlyInAnyOrder(
                            new SourcePosition("web", 0, 100),
                            new SourcePosition("web", 1, 101),
                            new SourcePosition("web", 0, 102),
                            new SourcePosition("web", 1, 103));
            // And the next look-up starts at the node that answered.
            assertThat(stored.find(rows.subList(4, 6))).isEmpty();
        }
    }

    @Test
    void rowsOfATopicCreatedAgainAreNotTakenForTheOldRowsAtTheirPositions() throws Exception {
        TestStack.requireRunning();
        String database = TestStack.migratedDatabase();
        // The old topic's rows at offsets 0..5, and its insert marks in Redis up to offset 5.
        List<Event> old = new ArrayList<>();
        List<Event> fresh = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            old.add(event("old" + i, 0, i));
            fresh.add(event("new" + i, 0, i));
        }
        storeInOneShard(database, old);
        String[] redis = TestStack.redis().split(":");
        RedisSettings settings =
                new RedisSettings(redis[0], Integer.parseInt(redis[1]), null, null, 2000, TestStack.unique("marks"));
        try (RedisInsertMarks marks = new RedisInsertMarks(settings, database + ".events")) {
            marks.raise(Map.of("web:0", 5L));
        }

        // The topic deleted and created again: new events from offset 0, a restored writer with those marks.
        try (ReplayGuard<Event> guard = new ReplayGuard<>(
                new RedisInsertMarks(settings, database + ".events"),
                new ClickHouseStoredEvents(TestStack.clickHouse(), database, "events"),
                e -> new SourcePosition(e.kafkaTopic, e.kafkaPartition, e.kafkaOffset))) {
            ReplayGuard.Admitted<Event> admitted = guard.admit(fresh);

            assertThat(admitted.checked()).as("below the old marks: looked up").isEqualTo(6);
            assertThat(admitted.rows()).as("none of them is stored").containsExactlyElementsOf(fresh);
        }
    }

    private static int freePort() throws Exception {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }
}
