package io.clickstream.etl.clickhouse;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.function.IntFunction;

/**
 * Keeps re-read input from being stored twice, without FINAL. A replay (a restore from a checkpoint or savepoint,
 * or a start from rewound consumer offsets) sends rows again, in batches cut differently from the first time, so
 * the replicated table's block deduplication cannot recognise them. Before a batch is sent, its highest offset per
 * topic-partition is recorded ({@link InsertMarks}); a row at or below the mark this writer found when it started may
 * have been sent by an earlier run, so ClickHouse is asked for such rows ({@link StoredRows}) and those it holds are
 * left out. Rows above the marks go in unchecked: in steady state no query is made.
 *
 * <p>{@link #admit} may be called from several sender threads (clickhouse.sink.max-in-flight above 1). The marks
 * (one Redis connection) and the look-up (one SQL client) are used by one thread at a time: a lock around each
 * call, which costs one script call per batch in steady state.
 */
public final class ReplayGuard<T> implements AutoCloseable {
    private final InsertMarks marks;
    private final StoredRows<T> stored;
    private final Function<T, SourcePosition> position;
    private volatile Map<String, Long> marksAtStart;
    /** Guards {@link #marks} and {@link #stored}, which are not thread-safe. */
    private final Object io = new Object();

    public ReplayGuard(InsertMarks marks, StoredRows<T> stored, Function<T, SourcePosition> position) {
        this.marks = marks;
        this.stored = stored;
        this.position = position;
    }

    /** What {@link #admit} decided for one batch: the rows to send (null from the positional form: all of them). */
    public record Admitted<T>(List<T> rows, int checked, int skipped) {}

    /**
     * The rows of a batch that may be sent: those ClickHouse does not hold yet. Records their marks first, so a run
     * that fails while sending leaves marks that cover what it may have stored.
     */
    public Admitted<T> admit(List<T> rows) throws Exception {
        Admitted<T> a = admit(rows.size(), i -> position.apply(rows.get(i)), rows::get);
        return a.rows() == null ? new Admitted<>(rows, a.checked(), 0) : a;
    }

    /**
     * The same for {@code n} rows given by their positions: a row itself ({@code row}) is asked for only where the
     * table may hold it already or it is left out, so a sink that keeps its rows as bytes reads none back in steady
     * state. {@link Admitted#rows()} is null when every row may be sent.
     */
    public Admitted<T> admit(int n, IntFunction<SourcePosition> positionAt, IntFunction<T> row) throws Exception {
        Map<String, Long> atStart = marksAtStart();
        Partitions partitions = new Partitions(atStart);
        SourcePosition[] positions = new SourcePosition[n];
        int[] partitionOf = new int[n];
        List<T> suspects = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            SourcePosition p = positionAt.apply(i);
            if (p == null) {
                continue;
            }
            positions[i] = p;
            int k = partitions.of(p);
            partitionOf[i] = k;
            if (p.offset() <= partitions.markAtStart[k]) {
                suspects.add(row.apply(i));
            }
        }
        Set<SourcePosition> found = lookUp(suspects);
        List<T> admitted = found.isEmpty() ? null : new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            if (positions[i] != null && found.contains(positions[i])) {
                continue;
            }
            if (admitted != null) {
                admitted.add(row.apply(i));
            }
            if (positions[i] != null) {
                partitions.sent(partitionOf[i], positions[i].offset());
            }
        }
        Map<String, Long> highest = partitions.highestSent();
        if (!highest.isEmpty()) {
            synchronized (io) {
                marks.raise(highest);
            }
        }
        return new Admitted<>(admitted, suspects.size(), admitted == null ? 0 : n - admitted.size());
    }

    /**
     * The partitions of one batch, numbered as they come: their marks at start and the highest offset sent, so that a
     * row costs a look-up by its topic (one String, hashed once) and an array index, not a key built and hashed twice.
     */
    private static final class Partitions {
        private final Map<String, Long> atStart;
        private final Map<String, int[]> numbersByTopic = new HashMap<>();
        private final Map<String, Integer> otherNumbers = new HashMap<>();
        private final List<String> keys = new ArrayList<>();
        long[] markAtStart = new long[8];
        private long[] highest = new long[8];

        Partitions(Map<String, Long> atStart) {
            this.atStart = atStart;
        }

        int of(SourcePosition p) {
            if (p.partition() < 0) { // not a Kafka partition: numbered by its key
                Integer k = otherNumbers.get(p.partitionKey());
                if (k == null) {
                    k = number(p.partitionKey());
                    otherNumbers.put(p.partitionKey(), k);
                }
                return k;
            }
            int[] numbers = numbersByTopic.get(p.topic());
            if (numbers == null || p.partition() >= numbers.length) {
                int[] grown = new int[Math.max(p.partition() + 1, numbers == null ? 8 : 2 * numbers.length)];
                if (numbers != null) {
                    System.arraycopy(numbers, 0, grown, 0, numbers.length);
                }
                numbers = grown;
                numbersByTopic.put(p.topic(), numbers);
            }
            if (numbers[p.partition()] == 0) {
                numbers[p.partition()] = number(p.partitionKey()) + 1;
            }
            return numbers[p.partition()] - 1;
        }

        private int number(String key) {
            int k = keys.size();
            keys.add(key);
            if (k == markAtStart.length) {
                markAtStart = Arrays.copyOf(markAtStart, 2 * k);
                highest = Arrays.copyOf(highest, 2 * k);
            }
            Long mark = atStart.get(key);
            markAtStart[k] = mark == null ? Long.MIN_VALUE : mark;
            highest[k] = Long.MIN_VALUE;
            return k;
        }

        void sent(int k, long offset) {
            highest[k] = Math.max(highest[k], offset);
        }

        Map<String, Long> highestSent() {
            Map<String, Long> out = new HashMap<>();
            for (int k = 0; k < keys.size(); k++) {
                if (highest[k] != Long.MIN_VALUE) {
                    out.put(keys.get(k), highest[k]);
                }
            }
            return out;
        }
    }

    /** The rows ClickHouse does not hold, marks or not (after an insert that may have been stored). */
    public List<T> notStored(List<T> rows) throws Exception {
        List<T> withPosition = new ArrayList<>(rows.size());
        for (T row : rows) {
            if (position.apply(row) != null) {
                withPosition.add(row);
            }
        }
        Set<SourcePosition> found = lookUp(withPosition);
        if (found.isEmpty()) {
            return rows;
        }
        List<T> left = new ArrayList<>(rows.size());
        for (T row : rows) {
            SourcePosition p = position.apply(row);
            if (p == null || !found.contains(p)) {
                left.add(row);
            }
        }
        return left;
    }

    /** The positions of {@code rows} that ClickHouse holds; no query for none. */
    private Set<SourcePosition> lookUp(List<T> rows) throws Exception {
        if (rows.isEmpty()) {
            return Set.of();
        }
        synchronized (io) {
            return stored.find(rows);
        }
    }

    private Map<String, Long> marksAtStart() throws Exception {
        Map<String, Long> m = marksAtStart;
        if (m == null) {
            synchronized (io) {
                if (marksAtStart == null) {
                    marksAtStart = Map.copyOf(marks.read());
                }
                m = marksAtStart;
            }
        }
        return m;
    }

    @Override
    public void close() {
        try {
            marks.close();
        } finally {
            stored.close();
        }
    }

    /** Opens the guard inside the task. */
    public record Factory<T>(InsertMarks.Factory marks, StoredRows.Factory<T> stored, RowEncoder<T> encoder)
            implements Serializable {
        public ReplayGuard<T> open() {
            return new ReplayGuard<>(marks.open(), stored.open(), encoder::position);
        }
    }
}
