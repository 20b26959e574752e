package io.clickstream.etl.testing;

import io.clickstream.etl.compat.WriterSink;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.apache.flink.api.connector.sink2.SinkWriter;
import org.apache.flink.api.connector.sink2.WriterInitContext;

/** A Sink V2 that keeps what it receives in memory, by name (a MiniCluster in the test's JVM). */
public final class CollectingSink<T> extends WriterSink<T> {
    private static final long serialVersionUID = 1L;
    private static final Map<String, Queue<Object>> RECEIVED = new ConcurrentHashMap<>();
    private final String name;

    public CollectingSink(String name) {
        this.name = name;
        RECEIVED.put(name, new ConcurrentLinkedQueue<>());
    }

    @SuppressWarnings("unchecked")
    public List<T> received() {
        return (List<T>) List.copyOf(RECEIVED.get(name));
    }

    @Override
    public SinkWriter<T> createWriter(WriterInitContext context) {
        Queue<Object> into = RECEIVED.get(name);
        return new SinkWriter<>() {
            @Override
            public void write(T element, Context ctx) {
                into.add(element);
            }

            @Override
            public void flush(boolean endOfInput) {}

            @Override
            public void close() {}
        };
    }
}
