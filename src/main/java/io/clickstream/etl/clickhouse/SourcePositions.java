package io.clickstream.etl.clickhouse;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The source positions of a batch's rows as columns (a topic number, a partition, an offset per row), not a
 * {@link SourcePosition} per row: a catch-up holds a batch for seconds, and a new object per row stored into the
 * long-lived buffer is work for the collector's remembered sets on every row. A position is made only when asked for.
 */
final class SourcePositions {
    private static final int NONE = -1;
    private final List<String> topics = new ArrayList<>(4);
    private int[] topic;
    private int[] partition;
    private long[] offset;
    private int size;

    SourcePositions(int capacity) {
        topic = new int[capacity];
        partition = new int[capacity];
        offset = new long[capacity];
    }

    private SourcePositions(List<String> topics, int[] topic, int[] partition, long[] offset, int size) {
        this.topics.addAll(topics);
        this.topic = topic;
        this.partition = partition;
        this.offset = offset;
        this.size = size;
    }

    /** Appends a row's position; a null topic: the row has none. */
    void add(String topicName, int partitionNumber, long offsetInPartition) {
        if (size == topic.length) {
            int grown = Math.max(16, size * 2);
            topic = Arrays.copyOf(topic, grown);
            partition = Arrays.copyOf(partition, grown);
            offset = Arrays.copyOf(offset, grown);
        }
        topic[size] = topicName == null ? NONE : topicNumber(topicName);
        partition[size] = partitionNumber;
        offset[size] = offsetInPartition;
        size++;
    }

    private int topicNumber(String name) {
        for (int i = 0; i < topics.size(); i++) {
            String t = topics.get(i);
            if (t == name || t.equals(name)) {
                return i;
            }
        }
        topics.add(name);
        return topics.size() - 1;
    }

    int size() {
        return size;
    }

    /** Row {@code i}'s position, or null when it has none. */
    SourcePosition at(int i) {
        if (i >= size) {
            throw new IndexOutOfBoundsException(i);
        }
        return topic[i] == NONE ? null : new SourcePosition(topics.get(topic[i]), partition[i], offset[i]);
    }

    /** A copy of the first {@code rows} positions, for a batch that leaves while this one fills again. */
    SourcePositions copy(int rows) {
        if (rows != size) { // a row without its position would be judged by a made-up one
            throw new IllegalStateException("positions of " + size + " rows for a batch of " + rows);
        }
        return new SourcePositions(
                topics, Arrays.copyOf(topic, rows), Arrays.copyOf(partition, rows), Arrays.copyOf(offset, rows), rows);
    }

    void clear() {
        size = 0;
    }
}
