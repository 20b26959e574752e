package io.clickstream.etl.clickhouse;

import java.io.Serializable;
import java.util.List;

/**
 * Where rows go that ClickHouse refuses one by one (the dead-letter path of the sink): a refused row must neither
 * stop the job (a crash loop: the same batch fails again after every restart) nor vanish.
 */
public interface RejectedRows<T> extends AutoCloseable {

    /** Stores the rows durably before returning: the batch counts as done afterwards. */
    void reject(List<T> rows, String table, String error) throws Exception;

    @Override
    void close();

    /** Opens the path inside the task. */
    @FunctionalInterface
    interface Factory<T> extends Serializable {
        RejectedRows<T> open();
    }
}
