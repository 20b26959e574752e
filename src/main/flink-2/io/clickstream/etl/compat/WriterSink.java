package io.clickstream.etl.compat;

import org.apache.flink.api.connector.sink2.Sink;

/**
 * Base for the project's Sink V2 implementations on Flink 2.x, where {@link Sink} has a single abstract
 * {@code createWriter(WriterInitContext)}. The Flink 1.20 variant of this class (src/main/flink-1.20) also
 * fills in the deprecated {@code createWriter(InitContext)} that 1.20 still declares abstract.
 */
public abstract class WriterSink<T> implements Sink<T> {
    private static final long serialVersionUID = 1L;
}
