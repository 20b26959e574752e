package io.clickstream.collector;

import java.util.function.Consumer;

/** Where accepted events go: Kafka in production, a fake behind this small interface in unit tests. */
public interface EventSink extends AutoCloseable {
    /** Sends one record; {@code done} gets null once it is acknowledged, or the error. Must not block. */
    void send(String topic, byte[] key, byte[] value, Consumer<Exception> done);

    /** Whether sends can succeed now (the brokers answer and the topics exist). */
    boolean ready();

    /** Waits until everything sent so far is acknowledged or failed. */
    void flush();

    @Override
    void close();
}
