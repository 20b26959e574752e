package io.clickstream.etl.testing;

import io.clickstream.etl.privacy.ErasureAcks;
import io.clickstream.etl.privacy.ErasureFeed;
import io.clickstream.etl.privacy.ErasureLog;
import io.clickstream.etl.privacy.Erasures;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * An erasure list in memory, by name (so that an operator's serializable factory finds it): what is published is
 * read at once, the list counts as read up to the wall clock unless {@link #stall} holds it back, and the
 * acknowledgements are kept in order.
 */
public final class FakeErasureList {
    private static final Map<String, FakeErasureList> LISTS = new ConcurrentHashMap<>();
    private Erasures erasures = Erasures.NONE;
    private long position;
    private Long knownUpTo;
    /** Every acknowledgement: job|step|subtask|parallelism -> version. */
    public final List<String> acks = new ArrayList<>();

    public static FakeErasureList named(String name) {
        return LISTS.computeIfAbsent(name, n -> new FakeErasureList());
    }

    public static void drop(String name) {
        LISTS.remove(name);
    }

    /** Erases {@code user} up to {@code erasedAt}; returns the version to acknowledge. */
    public synchronized long publish(String user, long erasedAt) {
        erasures = erasures.toBuilder().record(position++, user, erasedAt).build();
        return position;
    }

    /** From now on the list counts as read only up to {@code at} (null: the wall clock again). */
    public synchronized void stall(Long at) {
        knownUpTo = at;
    }

    /** The highest version acknowledged by {@code step}, or -1. */
    public synchronized long acked(String step) {
        long v = -1;
        for (String a : acks) {
            String[] f = a.split("\\|");
            if (f[1].equals(step)) {
                v = Math.max(v, Long.parseLong(f[4]));
            }
        }
        return v;
    }

    /**
     * A feed over the named list; {@code checkpointed} as ErasureFeed. Lead one hour: the tests' events, often dated
     * a little ahead of the wall clock, never wait for the list unless a test {@link #stall}s it.
     */
    public static ErasureFeed feed(String name, boolean checkpointed) {
        return new ErasureFeed(log(name), acks(name), Duration.ofHours(1), Duration.ofSeconds(1), checkpointed);
    }

    /** Followers of the named list. */
    public static ErasureLog.Factory log(String name) {
        return () -> new ErasureLog() {
            @Override
            public Erasures current() {
                FakeErasureList l = named(name);
                synchronized (l) {
                    return l.erasures;
                }
            }

            @Override
            public long knownUpTo() {
                FakeErasureList l = named(name);
                synchronized (l) {
                    return l.knownUpTo != null ? l.knownUpTo : System.currentTimeMillis();
                }
            }

            @Override
            public void close() {}
        };
    }

    /** Where the named list's acknowledgements go. */
    public static ErasureAcks.Factory acks(String name) {
        return () -> new ErasureAcks() {
            @Override
            public void ack(String job, String step, int subtask, int parallelism, long version) {
                FakeErasureList l = named(name);
                synchronized (l) {
                    l.acks.add(job + "|" + step + "|" + subtask + "|" + parallelism + "|" + version);
                }
            }

            @Override
            public void close() {}
        };
    }
}
