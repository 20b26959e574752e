package io.clickstream.etl.clickhouse;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class ReplayGuardTest {
    /** Marks in a map, raised as the Redis script raises them: never lowered. */
    static final class MapMarks implements InsertMarks {
        final Map<String, Long> marks = new HashMap<>();
        int reads;

        @Override
        public Map<String, Long> read() {
            reads++;
            return new HashMap<>(marks);
        }

        @Override
        public void raise(Map<String, Long> highest) {
            highest.forEach((k, v) -> marks.merge(k, v, Math::max));
        }

        @Override
        public void close() {}
    }

    /** A table holding some positions; records what it was asked. */
    static final class FakeTable implements StoredRows<SourcePosition> {
        final Set<SourcePosition> stored = new HashSet<>();
        final List<List<SourcePosition>> asked = new ArrayList<>();
        RuntimeException failure;

        @Override
        public Set<SourcePosition> find(List<SourcePosition> rows) {
            if (failure != null) {
                throw failure;
            }
            asked.add(List.copyOf(rows));
            Set<SourcePosition> found = new HashSet<>(rows);
            found.retainAll(stored);
            return found;
        }

        @Override
        public void close() {}
    }

    private final MapMarks marks = new MapMarks();
    private final FakeTable table = new FakeTable();
    /** Rows are their own positions here; null stands for a row without one. */
    private final ReplayGuard<SourcePosition> guard = new ReplayGuard<>(marks, table, p -> p);

    private static SourcePosition at(String topic, int partition, long offset) {
        return new SourcePosition(topic, partition, offset);
    }

    private static List<SourcePosition> offsets(String topic, int partition, long from, long to) {
        List<SourcePosition> rows = new ArrayList<>();
        for (long o = from; o <= to; o++) {
            rows.add(at(topic, partition, o));
        }
        return rows;
    }

    @Test
    void aFirstRunLooksNothingUpAndRecordsTheHighestOffsetPerPartition() throws Exception {
        List<SourcePosition> rows = new ArrayList<>(offsets("a", 0, 0, 4));
        rows.addAll(offsets("a", 1, 7, 9));
        rows.add(at("b", 0, 3));

        ReplayGuard.Admitted<SourcePosition> admitted = guard.admit(rows);

        assertThat(admitted.rows()).isEqualTo(rows);
        assertThat(admitted.checked()).isZero();
        assertThat(table.asked).isEmpty();
        assertThat(marks.marks).isEqualTo(Map.of("a:0", 4L, "a:1", 9L, "b:0", 3L));
    }

    @Test
    void interleavedRowsOfManyPartitionsAreJudgedAndMarkedEachByItsOwnPartition() throws Exception {
        // 40 partitions in two topics (past the guard's first sizes), rows interleaved as a keyed step emits them;
        // every even partition has a mark at 10 and stores offset 10: exactly those rows are looked up or left out.
        List<SourcePosition> rows = new ArrayList<>();
        Map<String, Long> expectedMarks = new HashMap<>();
        for (int p = 0; p < 40; p++) {
            String topic = p < 20 ? "web" : "app";
            int partition = p % 20;
            if (partition % 2 == 0) {
                marks.marks.put(topic + ":" + partition, 10L);
                table.stored.add(at(topic, partition, 10));
            }
            expectedMarks.put(topic + ":" + partition, 14L);
        }
        for (long o = 0; o < 15; o++) {
            for (int p = 39; p >= 0; p--) {
                rows.add(at(p < 20 ? "web" : "app", p % 20, o));
            }
        }

        ReplayGuard.Admitted<SourcePosition> admitted = guard.admit(rows);

        assertThat(admitted.checked())
                .as("offsets 0..10 of the 20 marked partitions")
                .isEqualTo(20 * 11);
        assertThat(admitted.skipped()).isEqualTo(20);
        assertThat(admitted.rows()).hasSize(rows.size() - 20).noneMatch(table.stored::contains);
        assertThat(marks.marks).isEqualTo(expectedMarks);
    }

    @Test
    void rowsAtOrBelowTheMarksFoundAtStartAreLookedUpAndThoseStoredAreLeftOut() throws Exception {
        marks.marks.put("a:0", 5L);
        table.stored.addAll(List.of(at("a", 0, 2), at("a", 0, 5)));

        ReplayGuard.Admitted<SourcePosition> admitted = guard.admit(offsets("a", 0, 0, 9));

        assertThat(table.asked).containsExactly(offsets("a", 0, 0, 5));
        assertThat(admitted.rows()).extracting(SourcePosition::offset).containsExactly(0L, 1L, 3L, 4L, 6L, 7L, 8L, 9L);
        assertThat(admitted.checked()).isEqualTo(6);
        assertThat(admitted.skipped()).isEqualTo(2);
        assertThat(marks.marks).containsEntry("a:0", 9L);
    }

    @Test
    void theMarksOfThisRunDoNotMakeItsOwnLaterRowsSuspect() throws Exception {
        guard.admit(offsets("a", 0, 0, 9));
        // Another subtask of the same run sends lower offsets of the same partition afterwards.
        guard.admit(offsets("a", 0, 10, 12));
        ReplayGuard.Admitted<SourcePosition> later = guard.admit(offsets("a", 0, 3, 4));

        assertThat(later.checked()).isZero();
        assertThat(table.asked).isEmpty();
        assertThat(marks.reads).isEqualTo(1);
        assertThat(marks.marks).containsEntry("a:0", 12L);
    }

    @Test
    void otherPartitionsAndRowsWithoutAPositionAreNotLookedUp() throws Exception {
        marks.marks.put("a:0", 100L);
        List<SourcePosition> rows = new ArrayList<>(offsets("a", 1, 0, 2));
        rows.add(null);
        rows.add(at("b", 0, 1));

        ReplayGuard.Admitted<SourcePosition> admitted = guard.admit(rows);

        assertThat(admitted.rows()).hasSize(5);
        assertThat(table.asked).isEmpty();
        assertThat(marks.marks)
                .containsEntry("a:0", 100L)
                .containsEntry("a:1", 2L)
                .containsEntry("b:0", 1L);
    }

    @Test
    void aBatchThatIsStoredWhollyLeavesNothingAndLowersNoMark() throws Exception {
        marks.marks.put("a:0", 50L);
        table.stored.addAll(offsets("a", 0, 10, 20));

        ReplayGuard.Admitted<SourcePosition> admitted = guard.admit(offsets("a", 0, 10, 20));

        assertThat(admitted.rows()).isEmpty();
        assertThat(admitted.skipped()).isEqualTo(11);
        assertThat(marks.marks).containsEntry("a:0", 50L);
    }

    @Test
    void aFailedLookupFailsTheCallAndRecordsNothing() {
        marks.marks.put("a:0", 5L);
        table.failure = new IllegalStateException("Connection refused");

        assertThatThrownBy(() -> guard.admit(offsets("a", 0, 0, 9))).hasMessageContaining("Connection refused");
        assertThat(marks.marks).isEqualTo(Map.of("a:0", 5L));
    }

    /** Marks and a table that, like one Redis connection and one SQL client, must not be entered by two threads. */
    static final class SingleThreaded implements InsertMarks, StoredRows<SourcePosition> {
        final java.util.concurrent.atomic.AtomicInteger inside = new java.util.concurrent.atomic.AtomicInteger();
        final java.util.concurrent.atomic.AtomicInteger overlaps = new java.util.concurrent.atomic.AtomicInteger();

        private void enter() {
            if (inside.incrementAndGet() > 1) {
                overlaps.incrementAndGet();
            }
            try {
                Thread.sleep(2);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            inside.decrementAndGet();
        }

        @Override
        public Map<String, Long> read() {
            enter();
            return Map.of("t:0", 1_000_000L); // every row below it is looked up
        }

        @Override
        public void raise(Map<String, Long> highest) {
            enter();
        }

        @Override
        public Set<SourcePosition> find(List<SourcePosition> rows) {
            enter();
            return Set.of();
        }

        @Override
        public void close() {}
    }

    @Test
    void senderThreadsNeverShareTheRedisConnectionOrTheLookUpAtOnce() throws Exception {
        SingleThreaded io = new SingleThreaded();
        ReplayGuard<SourcePosition> shared = new ReplayGuard<>(io, io, p -> p);
        java.util.concurrent.ExecutorService senders = java.util.concurrent.Executors.newFixedThreadPool(4);
        try {
            List<java.util.concurrent.Future<?>> done = new ArrayList<>();
            for (int t = 0; t < 4; t++) {
                int thread = t;
                done.add(senders.submit(() -> {
                    for (int b = 0; b < 25; b++) {
                        shared.admit(offsets("t", 0, thread * 1000L + b * 10, thread * 1000L + b * 10 + 9));
                    }
                    return null;
                }));
            }
            for (java.util.concurrent.Future<?> f : done) {
                f.get();
            }
        } finally {
            senders.shutdownNow();
        }

        assertThat(io.overlaps.get()).isZero();
    }
}
