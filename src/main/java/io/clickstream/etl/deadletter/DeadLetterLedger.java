package io.clickstream.etl.deadletter;

import java.io.Serializable;
import java.util.Map;

/**
 * Which inputs have their dead letters committed to the dead-letter topic, as offset ranges per
 * "topic-id:partition". Kept outside the job's checkpoints (Redis in production) because a replay starts afresh
 * from rewound consumer offsets, or restores an older savepoint, and must still know what earlier runs wrote.
 */
public interface DeadLetterLedger extends AutoCloseable {

    Map<String, Ranges> read() throws Exception;

    /** Adds the ranges to those recorded (never removes any). */
    void add(Map<String, Ranges> ranges) throws Exception;

    @Override
    void close();

    @FunctionalInterface
    interface Factory extends Serializable {
        DeadLetterLedger open();
    }
}
