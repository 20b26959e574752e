package io.clickstream.etl.clickhouse;

import java.io.Serializable;
import java.util.List;
import java.util.Set;

/** Which of some rows a table holds already, on any replica. */
public interface StoredRows<T> extends AutoCloseable {

    Set<SourcePosition> find(List<T> rows) throws Exception;

    @Override
    void close();

    @FunctionalInterface
    interface Factory<T> extends Serializable {
        StoredRows<T> open();
    }
}
