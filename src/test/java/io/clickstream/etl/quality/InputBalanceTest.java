package io.clickstream.etl.quality;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

class InputBalanceTest {
    /** A partition's records (offset to event id; a missing offset is a transaction marker) and its stored rows. */
    private final TreeMap<Long, String> records = new TreeMap<>();

    private final Map<Long, String> stored = new HashMap<>();
    private final TreeSet<Long> dead = new TreeSet<>();
    private final List<long[]> reads = new ArrayList<>();

    private final InputBalance.Stored storedSide = new InputBalance.Stored() {
        @Override
        public Map<Long, Long> countsPerBucket(String topic, int partition, long from, long to, long bucket) {
            Map<Long, Long> out = new HashMap<>();
            stored.keySet().stream()
                    .filter(o -> o >= from && o < to)
                    .forEach(o -> out.merge(o / bucket, 1L, Long::sum));
            return out;
        }

        @Override
        public Set<Long> storedOf(String topic, int partition, Collection<Long> offsets) {
            Set<Long> out = new HashSet<>(offsets);
            out.retainAll(stored.keySet());
            return out;
        }

        @Override
        public Set<Long> offsets(String topic, int partition, long from, long to) {
            Set<Long> out = new HashSet<>();
            stored.keySet().stream().filter(o -> o >= from && o < to).forEach(out::add);
            return out;
        }

        @Override
        public Set<String> storedEventIds(Collection<String> eventIds) {
            Set<String> out = new HashSet<>(eventIds);
            out.retainAll(stored.values());
            return out;
        }
    };

    private final InputBalance balance = new InputBalance(
            storedSide,
            (topic, partition, from, to) -> {
                reads.add(new long[] {from, to});
                return new TreeMap<>(records.subMap(from, to));
            },
            10);

    /** Offsets [0, n): each a record of event "e<offset>", stored. */
    private void storedRecords(int n) {
        for (long o = 0; o < n; o++) {
            records.put(o, "e" + o);
            stored.put(o, "e" + o);
        }
    }

    private InputBalance.Line balance(long committed) throws Exception {
        return balance.balance(new InputBalance.Range("t", 0, 0, records.lastKey() + 1, committed), dead);
    }

    @Test
    void bucketsWhoseRowsAndDeadLettersAccountForEveryOffsetAreNotReadFromKafka() throws Exception {
        storedRecords(30);
        stored.remove(12L);
        dead.add(12L);
        InputBalance.Line line = balance(30);
        assertThat(line.balanced()).isTrue();
        assertThat(line.inputs()).isEqualTo(30);
        assertThat(line.stored()).isEqualTo(29);
        assertThat(line.deadLetters()).isEqualTo(1);
        assertThat(reads).isEmpty();
    }

    @Test
    void aTransactionMarkerIsNoInputAndOnlyItsBucketIsRead() throws Exception {
        storedRecords(30);
        records.remove(15L);
        stored.remove(15L);
        InputBalance.Line line = balance(30);
        assertThat(line.balanced()).isTrue();
        assertThat(line.inputs()).isEqualTo(29);
        assertThat(reads).hasSize(1);
        assertThat(reads.get(0)).containsExactly(10, 20);
    }

    @Test
    void aRecordInNeitherPlaceBelowTheCommittedOffsetIsLostAndNamed() throws Exception {
        storedRecords(30);
        stored.remove(21L);
        InputBalance.Line line = balance(30);
        assertThat(line.balanced()).isFalse();
        assertThat(line.lostCount()).isEqualTo(1);
        assertThat(line.lost()).containsExactly(21L);
        assertThat(line.inputs()).isEqualTo(30);
    }

    @Test
    void aSecondDeliveryOfAStoredEventIsAccountedForByItsEventId() throws Exception {
        storedRecords(30);
        stored.remove(7L);
        records.put(7L, "e3"); // the same event as offset 3, sent again
        InputBalance.Line line = balance(30);
        assertThat(line.balanced()).isTrue();
        assertThat(line.duplicates()).isEqualTo(1);
        assertThat(line.stored() + line.duplicates()).isEqualTo(line.inputs());
    }

    @Test
    void aRecordBothStoredAndDeadLetteredIsThereTwice() throws Exception {
        storedRecords(30);
        dead.add(4L);
        InputBalance.Line line = balance(30);
        assertThat(line.balanced()).isFalse();
        assertThat(line.twiceCount()).isEqualTo(1);
        assertThat(line.twice()).containsExactly(4L);
    }

    @Test
    void recordsFromTheCommittedOffsetOnAreInFlightWhetherOrNotTheyAreStoredYet() throws Exception {
        storedRecords(30);
        for (long o = 25; o < 30; o++) {
            stored.remove(o);
        }
        dead.add(28L);
        records.remove(22L); // a marker among the in-flight offsets
        stored.remove(22L);
        InputBalance.Line line = balance(20);
        assertThat(line.balanced()).isTrue();
        assertThat(line.inFlight()).isEqualTo(9);
        assertThat(line.stored()).isEqualTo(20);
        assertThat(line.deadLetters()).isZero();
        assertThat(line.inputs()).isEqualTo(29);
    }
}
