package io.clickstream.etl.clickhouse;

import java.io.Serializable;
import java.util.Map;

/**
 * The highest source offset per topic-partition ("topic:partition") whose row any run of the job has sent to one
 * table. Kept outside the job's checkpoints (Redis in production) because it must outlive them: a replay restores
 * an older checkpoint, or starts afresh from rewound consumer offsets.
 */
public interface InsertMarks extends AutoCloseable {

    Map<String, Long> read() throws Exception;

    /** Raises each mark to at least the given offset (never lowers one). */
    void raise(Map<String, Long> highest) throws Exception;

    @Override
    void close();

    @FunctionalInterface
    interface Factory extends Serializable {
        InsertMarks open();
    }
}
