package io.clickstream.etl.session;

import java.util.Arrays;
import java.util.Objects;

/**
 * Joined values a late giving event changed in rows stored before it: the receiving events (of a source in
 * {@code into}, every source but {@code from} when empty) whose times lie in {@code [start, end]} (epoch ms) hold
 * {@code values[i]} for {@code names[i]}, none where the value is "". A correction applies its fixes in the order they
 * came: a later one holds the values as they stood later. A Flink POJO.
 */
public class JoinedFix {
    public long start;
    public long end;
    public String from;
    public String[] into;
    public String[] names;
    public String[] values;

    public JoinedFix() {}

    public JoinedFix(long start, long end, String from, String[] into, String[] names, String[] values) {
        this.start = start;
        this.end = end;
        this.from = from;
        this.into = into;
        this.names = names;
        this.values = values;
    }

    /** Whether a stored event of {@code source} at {@code time} received these values. */
    public boolean covers(String source, long time) {
        if (time < start || time > end || from.equals(source)) {
            return false;
        }
        if (into.length == 0) {
            return true;
        }
        for (String s : into) {
            if (s.equals(source)) {
                return true;
            }
        }
        return false;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof JoinedFix f
                && start == f.start
                && end == f.end
                && from.equals(f.from)
                && Arrays.equals(into, f.into)
                && Arrays.equals(names, f.names)
                && Arrays.equals(values, f.values);
    }

    @Override
    public int hashCode() {
        return Objects.hash(start, end, from) + 31 * Arrays.hashCode(names) + 17 * Arrays.hashCode(values);
    }

    @Override
    public String toString() {
        return "JoinedFix{[" + start + ", " + end + "] " + names.length + " names}";
    }
}
