package io.clickstream.etl.clickhouse;

import static org.assertj.core.api.Assertions.assertThat;

import io.clickstream.etl.event.Event;
import java.util.List;
import org.junit.jupiter.api.Test;

class ClickHouseStoredEventsTest {

    private static Event event(String user, String type, long time, String topic, int partition, long offset) {
        Event e = new Event();
        e.userId = user;
        e.eventType = type;
        e.eventTime = time;
        e.kafkaTopic = topic;
        e.kafkaPartition = partition;
        e.kafkaOffset = offset;
        e.eventId = "e" + offset;
        return e;
    }

    @Test
    void theLookUpNarrowsBySortingKeyAndPicksRowsByPosition() {
        String sql = ClickHouseStoredEvents.query(
                "remote('a:9000,b:9000', 'db', 'events_local', 'etl')",
                List.of(
                        event("u1", "click", 1_700_000_000_000L, "web", 0, 7),
                        event("u2", "page_view", 1_700_090_000_000L, "web", 3, 9)));

        assertThat(sql)
                .startsWith("SELECT kafka_topic, kafka_partition, kafka_offset FROM remote('a:9000,b:9000', "
                        + "'db', 'events_local', 'etl') WHERE ")
                .contains("dt IN ('2023-11-14', '2023-11-15')")
                .contains("event_type IN ('click', 'page_view')")
                .contains("uh IN (cityHash64('u1'), cityHash64('u2'))")
                .contains("(kafka_topic, kafka_partition, kafka_offset, event_id) IN (('web', 0, 7, 'e7'), "
                        + "('web', 3, 9, 'e9'))")
                .endsWith("SETTINGS skip_unavailable_shards = 1 FORMAT TabSeparated");
    }

    @Test
    void valuesAreQuotedSoThatNoneCanBreakTheStatement() {
        String sql = ClickHouseStoredEvents.query("db.events", List.of(event("o'brien\\", "it's", 0, "t", 0, 1)));

        assertThat(sql).contains("cityHash64('o\\'brien\\\\')").contains("'it\\'s'");
        assertThat(ClickHouseSql.literal("a'b\\c")).isEqualTo("'a\\'b\\\\c'");
    }
}
