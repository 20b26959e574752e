package io.clickstream.etl.it;

import io.clickstream.etl.clickhouse.ClickHouseEndpoints;
import io.clickstream.etl.clickhouse.ClickHouseStoredEvents;
import io.clickstream.etl.clickhouse.SourcePosition;
import io.clickstream.etl.event.Event;
import io.clickstream.etl.testing.TestStack;
import org.junit.jupiter.api.Test;

import java.net.ServerSocket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The replay check of a restored job asks ClickHouse which of its rows are stored already, on the real stack. With
 * the first configured node down it must ask the next one, as inserts do (a job that cannot would fail and restart
 * forever); and a topic deleted and created again, whose offsets start anew under the old insert marks, must not
 * have its new rows taken for the old ones stored at the same positions.
 */
class ReplayLookUpITCase {

    @Test
    void theReplayLookUpMovesOnFromANodeThatIsDownToTheNextOne() throws Exception {
        TestStack.requireRunning();
        String database = TestStack.migratedDatabase();
        String node = TestStack.clickHouseUrls().get(0);
        long day = 1_767_225_600_000L; // 2026-01-01
        List<Event> rows = new ArrayList<>();
        // Into one shard's table: the look-up reads every replica, and the rows are there at once.
        StringBuilder insert = new StringBuilder("INSERT INTO " + database + ".events_local "
                + "(dt, ts, event_id, user_id, event_type, kafka_topic, kafka_partition, kafka_offset) VALUES ");
        for (int i = 0; i < 6; i++) {
            Event e = new Event();
            e.eventId = "e" + i;
            e.userId = "u" + i;
            e.eventType = "page_view";
            e.eventTime = day + i * 1000L;
            e.kafkaTopic = "web";
            e.kafkaPartition = i % 2;
            e.kafkaOffset = 100 + i;
            rows.add(e);
            if (i < 4) { // two of them were never stored
                insert.append(i == 0 ? "" : ", ").append("('2026-01-01', ").append(e.eventTime / 1000).append(", 'e")
                        .append(i).append("', 'u").append(i).append("', 'page_view', 'web', ").append(i % 2)
                        .append(", ").append(100 + i).append(")");
            }
        }
        TestStack.query(node, insert.toString());

        List<String> urls = new ArrayList<>();
        urls.add("http://127.0.0.1:" + freePort()); // nothing listens there: a node that is down
        urls.addAll(TestStack.clickHouseUrls());
        ClickHouseEndpoints endpoints = new ClickHouseEndpoints(urls, "default", "", Duration.ofSeconds(30));
        try (ClickHouseStoredEvents stored = new ClickHouseStoredEvents(endpoints, database, "events")) {
            Set<SourcePosition> found = stored.find(rows);

            assertThat(found).containsExactlyInAnyOrder(new SourcePosition("web", 0, 100),
                    new SourcePosition("web", 1, 101), new SourcePosition("web", 0, 102),
                    new SourcePosition("web", 1, 103));
            // And the next look-up starts at the node that answered.
            assertThat(stored.find(rows.subList(4, 6))).isEmpty();
        }
    }

    @Test
    void rowsOfATopicCreatedAgainAreNotTakenForTheOldRowsAtTheirPositions() throws Exception {
        TestStack.requireRunning();
        String database = TestStack.migratedDatabase();
        String node = TestStack.clickHouseUrls().get(0);
        long day = 1_767_225_600_000L; // 2026-01-01
        // The old topic's rows at offsets 0..5, and its insert marks in Redis up to offset 5.
        StringBuilder insert = new StringBuilder("INSERT INTO " + database + ".events_local "
                + "(dt, ts, event_id, user_id, event_type, kafka_topic, kafka_partition, kafka_offset) VALUES ");
        for (int i = 0; i < 6; i++) {
            insert.append(i == 0 ? "" : ", ").append("('2026-01-01', ").append(day / 1000 + i).append(", 'old")
                    .append(i).append("', 'u', 'page_view', 'web', 0, ").append(i).append(")");
        }
        TestStack.query(node, insert.toString());
        io.clickstream.etl.redis.RedisSettings redis = new io.clickstream.etl.redis.RedisSettings(
                TestStack.redis().split(":")[0], Integer.parseInt(TestStack.redis().split(":")[1]), null, null, 2000,
                TestStack.unique("marks"));
        try (io.clickstream.etl.redis.RedisInsertMarks marks = new io.clickstream.etl.redis.RedisInsertMarks(redis,
                database + ".events")) {
            marks.raise(java.util.Map.of("web:0", 5L));
        }

        // The topic deleted and created again: new events from offset 0, a restored writer with those marks.
        List<Event> fresh = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            Event e = new Event();
            e.eventId = "new" + i;
            e.userId = "u";
            e.eventType = "page_view";
            e.eventTime = day + i * 1000L;
            e.kafkaTopic = "web";
            e.kafkaPartition = 0;
            e.kafkaOffset = i;
            fresh.add(e);
        }
        io.clickstream.etl.clickhouse.ReplayGuard<Event> guard = new io.clickstream.etl.clickhouse.ReplayGuard<>(
                new io.clickstream.etl.redis.RedisInsertMarks(redis, database + ".events"),
                new ClickHouseStoredEvents(TestStack.clickHouse(), database, "events"),
                e -> new SourcePosition(e.kafkaTopic, e.kafkaPartition, e.kafkaOffset));
        try (guard) {
            io.clickstream.etl.clickhouse.ReplayGuard.Admitted<Event> admitted = guard.admit(fresh);

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
