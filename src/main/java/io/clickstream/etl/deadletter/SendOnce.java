package io.clickstream.etl.deadletter;

import io.clickstream.etl.event.DeadLetter;
import java.io.Serializable;

/**
 * Sends a dead letter from outside the job's Kafka transactions (a row ClickHouse refused, found while the sink
 * inserts) once, however often a restart or replay makes the sink refuse the same row again. Before sending, the
 * ledger notes where in the dead-letter topic the letter will land (partition, and that partition's end offset:
 * the letter can only be appended after it); after the broker acknowledged it, the ledger says "sent". Meeting the
 * same input again: "sent" leaves it out; a note without "sent" (the run stopped in between) is settled by reading
 * the dead-letter topic from the noted offset: found, it is not sent again.
 */
public final class SendOnce {
    static final String SENT = "sent";

    /** Per input, where its dead letter went (Redis in production). */
    public interface Ledger extends AutoCloseable {
        String get(String key) throws Exception;

        void put(String key, String value) throws Exception;

        @Override
        void close();

        @FunctionalInterface
        interface Factory extends Serializable {
            Ledger open();
        }
    }

    /** The dead-letter topic. */
    public interface Topic {
        int partitionOf(DeadLetter d) throws Exception;

        /** The offset the next record appended to the partition will get at least. */
        long end(int partition) throws Exception;

        /** Whether a dead letter of this input and reason, with this detail prefix, is in the partition from there on. */
        boolean holds(int partition, long from, DeadLetter d, String detailPrefix) throws Exception;

        /** Sends it to the partition and waits for the acknowledgement. */
        void send(int partition, DeadLetter d) throws Exception;
    }

    private final Ledger ledger;
    private final Topic topic;
    private final TopicIds topicIds;

    public SendOnce(Ledger ledger, Topic topic, TopicIds topicIds) {
        this.ledger = ledger;
        this.topic = topic;
        this.topicIds = topicIds;
    }

    /**
     * Sends the dead letter of a row of {@code table} unless an earlier run did; true when sent now. A letter
     * without a source position (a session row) is always sent.
     */
    public boolean send(DeadLetter d, String table) throws Exception {
        if (d.topic == null || d.topic.isEmpty() || d.offset < 0) {
            topic.send(topic.partitionOf(d), d);
            return true;
        }
        String key = table + ":" + topicIds.id(d.topic) + ":" + d.partition + ":" + d.offset;
        String state = ledger.get(key);
        if (SENT.equals(state)) {
            return false;
        }
        if (state != null) {
            long[] noted = noted(key, state);
            if (topic.holds((int) noted[0], noted[1], d, table + ":")) {
                ledger.put(key, SENT);
                return false;
            }
        }
        int partition = topic.partitionOf(d);
        ledger.put(key, partition + ":" + topic.end(partition));
        topic.send(partition, d);
        ledger.put(key, SENT);
        return true;
    }

    /** "partition:offset"; anything else stops: sending on could write the letter twice. */
    private static long[] noted(String key, String state) {
        String[] f = state.split(":");
        try {
            if (f.length == 2) {
                return new long[] {Integer.parseInt(f[0]), Long.parseLong(f[1])};
            }
        } catch (NumberFormatException ignored) {
            // reported below
        }
        throw new IllegalStateException("The ledger of refused rows' dead letters holds '" + state + "' for " + key
                + ", neither 'sent' nor 'partition:offset'. Repair or delete that entry (deleted, the row's dead "
                + "letter is sent again).");
    }
}
