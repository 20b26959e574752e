package io.clickstream.etl.privacy;

import java.io.Serializable;

/**
 * Where the job's tasks say how far they have applied the erasure list: {@code tools.Erase} deletes what ClickHouse
 * holds of a user only when every task of a running job has acknowledged the erasure, so that nothing of the user
 * can arrive after the delete (a pending session row, a row in a sink's buffer or retry, a value of a join).
 */
public interface ErasureAcks extends AutoCloseable {

    /**
     * Records that subtask {@code subtask} of {@code parallelism} of the step {@code participant} in job {@code job}
     * has applied the list up to {@code version} and nothing it emitted before can still be written.
     */
    void ack(String job, String participant, int subtask, int parallelism, long version) throws Exception;

    @Override
    void close();

    @FunctionalInterface
    interface Factory extends Serializable {
        ErasureAcks open();
    }
}
