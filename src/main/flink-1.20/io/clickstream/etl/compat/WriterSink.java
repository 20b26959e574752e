package io.clickstream.etl.compat;

import org.apache.flink.api.connector.sink2.Sink;
import org.apache.flink.api.connector.sink2.SinkWriter;

/**
 * Base for the project's Sink V2 implementations on Flink 1.20, which still declares the deprecated
 * {@code createWriter(InitContext)} abstract. Its runtime calls {@code createWriter(WriterInitContext)},
 * the only method the subclasses implement (as on Flink 2.x).
 */
public abstract class WriterSink<T> implements Sink<T> {
    private static final long serialVersionUID = 1L;

    @Override
    @Deprecated
    public SinkWriter<T> createWriter(InitContext context) {
        throw new UnsupportedOperationException("Flink 1.20 creates writers through createWriter(WriterInitContext)");
    }
}
