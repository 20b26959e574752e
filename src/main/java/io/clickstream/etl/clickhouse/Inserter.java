package io.clickstream.etl.clickhouse;

import java.io.Serializable;

/** Sends one batch to ClickHouse, synchronously. The writer owns retries; a fake stands in for unit tests. */
public interface Inserter extends AutoCloseable {

    void insert(Batch batch) throws Exception;

    /** Whether a failure may go away by itself (network, a replica down, ZooKeeper session lost). */
    boolean isRetryable(Throwable error);

    @Override
    void close();

    /** Opens an inserter inside the task; serializable so the sink can ship it to the cluster. */
    @FunctionalInterface
    interface Factory extends Serializable {
        Inserter open();
    }
}
