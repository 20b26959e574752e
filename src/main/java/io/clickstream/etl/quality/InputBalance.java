package io.clickstream.etl.quality;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.NavigableSet;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Where each input of a source partition ended: every record in an offset range is a stored event, a dead letter, a
 * second delivery of an event stored from another record (the job stores an event id once), or still in flight (at
 * or after the offset the job's group committed, so the job has not finished it); anything else below that offset
 * is lost — or erased by tools.Erase — and an offset both stored and dead-lettered is there twice.
 *
 * <p>Cheap where it adds up: the stored offsets are counted per bucket of offsets, and a bucket whose stored rows and
 * dead letters account for every one of its offsets needs nothing more; only the other buckets (transaction markers,
 * which hold no record, or offsets in neither place) are read from Kafka and compared offset by offset.
 */
public final class InputBalance {
    /** The events table, as far as the balance reads it. */
    public interface Stored {
        /** Distinct stored offsets of the partition in [from, to), per bucket ({@code offset / bucket}). */
        Map<Long, Long> countsPerBucket(String topic, int partition, long from, long to, long bucket) throws Exception;

        /** Which of {@code offsets} of the partition are stored. */
        Set<Long> storedOf(String topic, int partition, Collection<Long> offsets) throws Exception;

        /** The stored offsets of the partition in [from, to). */
        Set<Long> offsets(String topic, int partition, long from, long to) throws Exception;

        /** Which of the event ids are stored (from any record). */
        Set<String> storedEventIds(Collection<String> eventIds) throws Exception;
    }

    /** The source topic, read committed (an aborted transaction's records and the markers are not inputs). */
    public interface Records {
        /** The records of the partition in [from, to): offset to event id (null when the payload has none). */
        Map<Long, String> read(String topic, int partition, long from, long to) throws Exception;

        /** How many records the partition holds in [from, to): what {@link #read} would, without keeping them. */
        default long count(String topic, int partition, long from, long to) throws Exception {
            return read(topic, partition, from, to).size();
        }
    }

    /** One partition's range: [from, to), and the group's committed offset (from when nothing is committed). */
    public record Range(String topic, int partition, long from, long to, long committed) {}

    /** What one partition's range holds. {@code lost} and {@code twice}: the first offsets of each (up to 20). */
    public record Line(
            Range range,
            long inputs,
            long stored,
            long deadLetters,
            long duplicates,
            long inFlight,
            long lostCount,
            List<Long> lost,
            long twiceCount,
            List<Long> twice) {
        public boolean balanced() {
            return lostCount == 0 && twiceCount == 0 && stored + deadLetters + duplicates + inFlight == inputs;
        }
    }

    private static final int SHOWN = 20;

    private final Stored stored;
    private final Records records;
    private final long bucket;

    public InputBalance(Stored stored, Records records, long bucket) {
        if (bucket < 1) {
            throw new IllegalArgumentException("bucket: " + bucket + " is not a positive number of offsets");
        }
        this.stored = stored;
        this.records = records;
        this.bucket = bucket;
    }

    /** The balance of one range, given the source offsets of the partition's dead letters (committed ones). */
    public Line balance(Range r, NavigableSet<Long> deadLetterOffsets) throws Exception {
        long done = Math.max(r.from(), Math.min(r.committed(), r.to()));
        long inFlight = done < r.to() ? records.count(r.topic(), r.partition(), done, r.to()) : 0;
        NavigableSet<Long> dead = deadLetterOffsets.subSet(r.from(), true, done, false);
        Set<Long> twice = new TreeSet<>(dead.isEmpty() ? Set.of() : stored.storedOf(r.topic(), r.partition(), dead));
        Map<Long, Long> counts =
                r.from() < done ? stored.countsPerBucket(r.topic(), r.partition(), r.from(), done, bucket) : Map.of();
        long inputs = inFlight;
        long storedCount = 0;
        long duplicates = 0;
        List<Long> lost = new ArrayList<>();
        long lostCount = 0;
        for (long b = r.from() / bucket; b * bucket < done; b++) {
            long start = Math.max(r.from(), b * bucket);
            long end = Math.min(done, (b + 1) * bucket);
            long s = counts.getOrDefault(b, 0L);
            NavigableSet<Long> d = dead.subSet(start, true, end, false);
            long both = twice.stream().filter(o -> o >= start && o < end).count();
            storedCount += s;
            if (s + d.size() - both == end - start) {
                inputs += end - start; // every offset a row or a dead letter: all of them records
                continue;
            }
            Map<Long, String> read = records.read(r.topic(), r.partition(), start, end);
            inputs += read.size();
            Set<Long> storedHere = stored.offsets(r.topic(), r.partition(), start, end);
            Map<Long, String> missing = new TreeMap<>();
            read.forEach((offset, eventId) -> {
                if (!storedHere.contains(offset) && !d.contains(offset)) {
                    missing.put(offset, eventId);
                }
            });
            Set<String> ids = new TreeSet<>();
            missing.values().forEach(id -> {
                if (id != null) {
                    ids.add(id);
                }
            });
            Set<String> storedIds = ids.isEmpty() ? Set.of() : stored.storedEventIds(ids);
            for (Map.Entry<Long, String> m : missing.entrySet()) {
                if (m.getValue() != null && storedIds.contains(m.getValue())) {
                    duplicates++;
                } else {
                    lostCount++;
                    if (lost.size() < SHOWN) {
                        lost.add(m.getKey());
                    }
                }
            }
        }
        return new Line(
                r,
                inputs,
                storedCount,
                dead.size() - twice.size(),
                duplicates,
                inFlight,
                lostCount,
                lost,
                twice.size(),
                twice.stream().limit(SHOWN).toList());
    }
}
