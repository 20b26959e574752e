package io.clickstream.etl.clickhouse;

import java.io.Serializable;

/** Sends one batch to ClickHouse, synchronously. The writer owns retries; a fake stands in for unit tests. */
public interface Inserter extends AutoCloseable {

    /** Inserts the batch; its bytes are the caller's again when this returns (later rows are written into them). */
    void insert(Batch batch) throws Exception;

    /** Whether a failure may go away by itself (network, a replica down, ZooKeeper session lost). */
    boolean isRetryable(Throwable error);

    /**
     * Whether a lasting failure may come from some rows of the batch (a value the server cannot take) rather than
     * from the table or the setup (a missing column or table, credentials): then the writer isolates those rows.
     */
    default boolean mayBeRowLevel(Throwable error) {
        return false;
    }

    /**
     * Whether the server may have stored the batch although the call failed: the request went out and no answer
     * said it failed (a timeout, a connection lost midway). Then the writer looks the rows up before sending again.
     */
    default boolean mayHaveStored(Throwable error) {
        return false;
    }

    /** The table inserted into, for messages. */
    default String table() {
        return "?";
    }

    @Override
    void close();

    /** Opens an inserter inside the task; serializable so the sink can ship it to the cluster. */
    @FunctionalInterface
    interface Factory extends Serializable {
        Inserter open();
    }
}
