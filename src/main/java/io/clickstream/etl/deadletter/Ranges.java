package io.clickstream.etl.deadletter;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * Closed ranges of offsets of one partition, sorted and apart (overlapping or adjacent ones are joined), written
 * as text "from-to,from-to" for one Redis hash field. Immutable.
 */
public final class Ranges {
    public static final Ranges NONE = new Ranges(List.of());

    /** Pairs {from, to}, from ≤ to, sorted, with gaps between them. */
    private final List<long[]> ranges;

    private Ranges(List<long[]> ranges) {
        this.ranges = ranges;
    }

    public static Ranges of(long from, long to) {
        if (from > to || from < 0) {
            throw new IllegalArgumentException("not a range of offsets: " + from + "-" + to);
        }
        return new Ranges(List.of(new long[] {from, to}));
    }

    /**
     * The ranges in {@code text}; anything else fails: these decide which dead letters are left out, so a value
     * this code cannot read must stop the job, not be taken for none.
     */
    public static Ranges parse(String text) {
        if (text == null || text.isEmpty()) {
            return NONE;
        }
        Ranges r = NONE;
        for (String part : text.split(",", -1)) {
            int dash = part.indexOf('-');
            try {
                if (dash <= 0) {
                    throw new NumberFormatException();
                }
                r = r.union(of(Long.parseLong(part.substring(0, dash)), Long.parseLong(part.substring(dash + 1))));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("not a list of offset ranges (from-to,from-to): '" + text + "'");
            }
        }
        return r;
    }

    public boolean contains(long offset) {
        int lo = 0;
        int hi = ranges.size() - 1;
        while (lo <= hi) {
            int mid = (lo + hi) >>> 1;
            long[] r = ranges.get(mid);
            if (offset < r[0]) {
                hi = mid - 1;
            } else if (offset > r[1]) {
                lo = mid + 1;
            } else {
                return true;
            }
        }
        return false;
    }

    public Ranges union(Ranges other) {
        if (other.ranges.isEmpty()) {
            return this;
        }
        if (ranges.isEmpty()) {
            return other;
        }
        List<long[]> all = new ArrayList<>(ranges);
        all.addAll(other.ranges);
        all.sort(Comparator.comparingLong(r -> r[0]));
        List<long[]> joined = new ArrayList<>();
        long[] cur = all.get(0).clone();
        for (long[] r : all.subList(1, all.size())) {
            if (r[0] <= cur[1] + 1) {
                cur[1] = Math.max(cur[1], r[1]);
            } else {
                joined.add(cur);
                cur = r.clone();
            }
        }
        joined.add(cur);
        return new Ranges(List.copyOf(joined));
    }

    public boolean isEmpty() {
        return ranges.isEmpty();
    }

    public int count() {
        return ranges.size();
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder();
        for (long[] r : ranges) {
            if (sb.length() > 0) {
                sb.append(',');
            }
            sb.append(r[0]).append('-').append(r[1]);
        }
        return sb.toString();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Ranges && toString().equals(o.toString());
    }

    @Override
    public int hashCode() {
        return toString().hashCode();
    }
}
