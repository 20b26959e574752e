package io.clickstream.etl.clickhouse;

import static org.assertj.core.api.Assertions.assertThat;

import io.clickstream.etl.event.Event;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class BatchBufferTest {

    private static Event published(long at) {
        Event e = new Event();
        e.kafkaTimestamp = at;
        return e;
    }

    @Test
    void aBatchKnowsItsOldestInputForTheEndToEndLag() {
        BatchBuffer<Event> buffer = new BatchBuffer<>(
                EventRowEncoder.INSTANCE,
                TestSinkSettings.of(Map.of("batch-rows", "10", "flush-interval", "1000ms")),
                false);
        buffer.add(published(5_000), 0);
        buffer.add(published(3_000), 0);
        buffer.add(published(-1), 0); // no record time: ignored
        Batch first = buffer.drain();
        assertThat(first.rows()).isEqualTo(3);
        assertThat(first.oldestPublishedAt()).isEqualTo(3_000);

        buffer.add(published(-1), 0);
        assertThat(buffer.drain().oldestPublishedAt())
                .as("reset after each batch; unknown stays unknown")
                .isEqualTo(-1);
    }

    @Test
    void fullByRowsOrBytesAndDueByAge() {
        BatchBuffer<Event> buffer = new BatchBuffer<>(
                EventRowEncoder.INSTANCE,
                TestSinkSettings.of(Map.of("batch-rows", "2", "flush-interval", "1000ms")),
                false);
        assertThat(buffer.isDue(5_000)).isFalse();
        buffer.add(published(1), 100);
        assertThat(buffer.isFull()).isFalse();
        assertThat(buffer.isDue(1_099)).isFalse();
        assertThat(buffer.isDue(1_100)).isTrue();
        buffer.add(published(2), 200);
        assertThat(buffer.isFull()).isTrue();
    }

    @Test
    void rowsThatArriveLateMayWaitForTheCatchUpIntervalUntilARowArrivesLessLate() {
        BatchBuffer<Event> buffer = new BatchBuffer<>(
                EventRowEncoder.INSTANCE,
                TestSinkSettings.of(Map.of(
                        "batch-rows",
                        "1000",
                        "flush-interval",
                        "500ms",
                        "catch-up-flush-interval",
                        "5s",
                        "catch-up-lag",
                        "30s")),
                false);
        buffer.add(published(10_000), 100_000); // 90 s late: catching up
        assertThat(buffer.isDue(100_500))
                .as("late rows: the short limit does not apply")
                .isFalse();
        assertThat(buffer.isDue(104_999)).isFalse();
        assertThat(buffer.isDue(105_000)).isTrue();

        buffer.add(published(81_200), 101_200); // 20 s late: under the catch-up lag
        assertThat(buffer.isDue(100_500))
                .as("the age counts from the first row")
                .isTrue();

        buffer.drain();
        buffer.add(published(-1), 200_000);
        assertThat(buffer.isDue(200_500))
                .as("no Kafka timestamp: the short limit")
                .isTrue();
        buffer.drain();
        buffer.add(published(175_000), 200_000); // 25 s late: a hiccup of a live job, not a backlog
        assertThat(buffer.isDue(200_500)).isTrue();
        buffer.drain();
        buffer.add(published(170_000), 200_000); // exactly the catch-up lag
        assertThat(buffer.isDue(200_500)).isFalse();
    }

    @Test
    void aCatchUpIntervalAtOrBelowTheFlushIntervalIsOff() {
        BatchBuffer<Event> buffer = new BatchBuffer<>(
                EventRowEncoder.INSTANCE,
                TestSinkSettings.of(Map.of(
                        "batch-rows",
                        "1000",
                        "flush-interval",
                        "500ms",
                        "catch-up-flush-interval",
                        "500ms",
                        "catch-up-lag",
                        "30s")),
                false);
        buffer.add(published(1), 100_000);
        assertThat(buffer.isDue(100_500)).isTrue();
    }

    @Test
    void theBufferKeepsRowsAsBytesAndReadsThemBackWhenAPathNeedsThem() {
        BatchBuffer<Event> buffer = new BatchBuffer<>(
                EventRowEncoder.INSTANCE,
                TestSinkSettings.of(Map.of("batch-rows", "3000", "flush-interval", "1000ms")),
                true,
                true);
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < 2500; i++) { // past the first growth of the row index
            Event e = published(1_000 + i);
            e.eventId = "e" + i;
            e.kafkaTopic = "web";
            e.kafkaOffset = i;
            buffer.add(e, 0);
            e.eventId = "changed after it was added"; // the buffer holds no reference to the event
            ids.add("e" + i);
        }
        Batch batch = buffer.drain();

        assertThat(batch.rowObjects()).extracting(r -> ((Event) r).eventId).containsExactlyElementsOf(ids);
        assertThat(batch.positions().at(2499)).isEqualTo(new SourcePosition("web", 0, 2499));
        assertThat(buffer.drain().rows()).as("the next batch starts empty").isZero();
    }

    @Test
    void aBatchTakesTheBufferedBytesWithoutACopyAndAnInsertedOneGivesItsArrayToALaterBatch() {
        BatchBuffer<Event> buffer = keepingRows();
        buffer.add(named("a"), 0);
        Batch first = buffer.drain();
        buffer.add(named("b"), 0);
        Batch second = buffer.drain(); // while the first is in flight: a new array
        assertThat(second.data() == first.data()).isFalse();
        assertThat(first.bytes()).as("the rows, not the array's length").isLessThan(first.data().length);

        first.release(); // inserted: the buffer goes on in its array after the next drain
        buffer.add(named("c"), 0);
        Batch third = buffer.drain();
        buffer.add(named("d"), 0);
        Batch fourth = buffer.drain();
        assertThat(third.data() == second.data() || third.data() == first.data())
                .as("the second's array is still in flight, the first's was taken by the buffer for the rows after")
                .isFalse();
        assertThat(fourth.data() == first.data())
                .as("the first's array holds the fourth")
                .isTrue();
        assertThat(fourth.rowObjects()).extracting(r -> ((Event) r).eventId).containsExactly("d");
        assertThat(third.rowObjects()).extracting(r -> ((Event) r).eventId).containsExactly("c");
        assertThat(second.rowObjects()).extracting(r -> ((Event) r).eventId).containsExactly("b");
    }

    @Test
    void theArrayOfABatchWithAFailedAttemptIsNotGivenBack() {
        BatchBuffer<Event> buffer = keepingRows();
        buffer.add(named("a"), 0);
        Batch first = buffer.drain();
        byte[] sent = java.util.Arrays.copyOf(first.data(), first.bytes());
        first.attemptFailed(); // a timed-out request may still be reading it
        first.release();
        for (String id : List.of("b", "c", "d")) {
            buffer.add(named(id), 0);
            assertThat(buffer.drain().data() == first.data()).isFalse();
        }
        assertThat(java.util.Arrays.copyOf(first.data(), first.bytes())).isEqualTo(sent);
    }

    private static BatchBuffer<Event> keepingRows() {
        return new BatchBuffer<>(
                EventRowEncoder.INSTANCE,
                TestSinkSettings.of(Map.of("batch-rows", "10", "flush-interval", "1000ms")),
                true);
    }

    private static Event named(String id) {
        Event e = published(1_000);
        e.eventId = id;
        return e;
    }
}
