package io.clickstream.etl.redis;

import io.clickstream.etl.privacy.ErasureAcks;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The erasure acknowledgements in one Redis hash, {@code <prefix>:erasure-acks}: a field per task ({@code
 * job|step|subtask|parallelism}), valued {@code <version> <wall-clock ms>}. Tasks write theirs again every
 * {@code ErasureTracker.ACK_REFRESH_MS}, so that tools.Erase tells the tasks of a running job from those of a job that
 * stopped.
 */
public final class RedisErasureAcks implements ErasureAcks {
    public static final String KEY = "erasure-acks";

    /** One task's acknowledgement as read back. */
    public record Ack(String job, String step, int subtask, int parallelism, long version, long writtenAt) {}

    private final RedisConnection connection;
    private final String key;

    public RedisErasureAcks(RedisSettings settings) {
        this.connection = new RedisConnection(settings);
        this.key = settings.keyPrefix() + ":" + KEY;
    }

    public static ErasureAcks.Factory factory(RedisSettings settings) {
        return () -> new RedisErasureAcks(settings);
    }

    @Override
    public void ack(String job, String step, int subtask, int parallelism, long version) {
        String field = job + "|" + step + "|" + subtask + "|" + parallelism;
        String value = version + " " + System.currentTimeMillis();
        connection.call(j -> j.hset(key, field, value));
    }

    /** Every acknowledgement stored (fields that do not parse are skipped: written by something else). */
    public List<Ack> read() {
        Map<String, String> all = connection.call(j -> j.hgetAll(key));
        List<Ack> out = new ArrayList<>();
        all.forEach((field, value) -> {
            String[] f = field.split("\\|");
            String[] v = value.split(" ");
            if (f.length == 4 && v.length == 2) {
                try {
                    out.add(new Ack(
                            f[0],
                            f[1],
                            Integer.parseInt(f[2]),
                            Integer.parseInt(f[3]),
                            Long.parseLong(v[0]),
                            Long.parseLong(v[1])));
                } catch (NumberFormatException ignored) {
                    // not one of ours
                }
            }
        });
        return out;
    }

    /**
     * What the acknowledgements written since {@code freshSince} say of list position {@code version}: the tasks
     * that have not reached it yet (each step of a running job counts with the parallelism of its newest
     * acknowledgement, and a subtask of that parallelism that has none is behind too); none when all have, or when no
     * job acknowledged anything since (then none is running: a job reads the list before it starts).
     */
    public static Coverage coverage(List<Ack> acks, long version, long freshSince) {
        Map<String, List<Ack>> bySteps = new java.util.TreeMap<>();
        for (Ack a : acks) {
            if (a.writtenAt() >= freshSince) {
                bySteps.computeIfAbsent(a.job() + "|" + a.step(), k -> new ArrayList<>())
                        .add(a);
            }
        }
        List<String> behind = new ArrayList<>();
        bySteps.forEach((step, list) -> {
            Ack newest = list.stream()
                    .max(java.util.Comparator.comparingLong(Ack::writtenAt))
                    .orElseThrow();
            int parallelism = newest.parallelism();
            for (int i = 0; i < parallelism; i++) {
                int subtask = i;
                boolean done = list.stream()
                        .anyMatch(a ->
                                a.parallelism() == parallelism && a.subtask() == subtask && a.version() >= version);
                if (!done) {
                    behind.add(newest.step() + " " + (subtask + 1) + "/" + parallelism + " of job " + newest.job());
                }
            }
        });
        return new Coverage(!bySteps.isEmpty(), behind);
    }

    /** {@code running}: some job acknowledged recently; {@code behind}: its tasks that have not reached the version. */
    public record Coverage(boolean running, List<String> behind) {
        public boolean complete() {
            return behind.isEmpty();
        }
    }

    /** Removes the acknowledgements not written again since {@code before} (tasks of jobs long gone). */
    public void forgetOlderThan(long before) {
        for (Ack a : read()) {
            if (a.writtenAt() < before) {
                String field = a.job() + "|" + a.step() + "|" + a.subtask() + "|" + a.parallelism();
                connection.call(j -> j.hdel(key, field));
            }
        }
    }

    /** Publishes what is passed on (a callback that may fail); then the hash is deleted. */
    @FunctionalInterface
    public interface Publisher {
        void publish(Map<String, Long> erasures) throws Exception;
    }

    /**
     * The erasures an earlier version kept in the hash {@code <prefix>:erased} (user to epoch ms), handed to {@code
     * publish} and then deleted; empty when there is none. Fields that are not a time stop it, naming the hash.
     */
    public static Map<String, Long> takeOlderList(RedisSettings settings, Publisher publish) throws Exception {
        String key = settings.keyPrefix() + ":erased";
        try (RedisConnection c = new RedisConnection(settings)) {
            Map<String, String> fields = c.call(j -> j.hgetAll(key));
            Map<String, Long> out = new java.util.LinkedHashMap<>();
            for (Map.Entry<String, String> f : fields.entrySet()) {
                try {
                    out.put(f.getKey(), Long.parseLong(f.getValue().trim()));
                } catch (NumberFormatException e) {
                    throw new IllegalStateException("the hash " + key + " of an earlier version holds a field that is "
                            + "not an erasure time: fix or remove that field, then start again");
                }
            }
            if (!out.isEmpty()) {
                publish.publish(out);
                c.call(j -> j.del(key));
            }
            return out;
        }
    }

    @Override
    public void close() {
        connection.close();
    }
}
