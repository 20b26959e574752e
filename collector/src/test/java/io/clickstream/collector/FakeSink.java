package io.clickstream.collector;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

/** Records what is sent; acknowledges at once, fails, or holds the acknowledgements until {@link #release()}. */
final class FakeSink implements EventSink {
    record Sent(String topic, String key, String value) {}

    final List<Sent> sent = new CopyOnWriteArrayList<>();
    private final List<Consumer<Exception>> held = new CopyOnWriteArrayList<>();
    volatile boolean ready = true;
    volatile boolean hold;
    volatile Exception failWith;
    volatile boolean flushed;
    /** Per event (by its JSON), the error to answer with; null: none. */
    volatile java.util.function.Function<String, Exception> failFor = v -> null;
    /** Thrown by send itself (a bug), not answered through the callback. */
    volatile RuntimeException throwOnSend;

    @Override
    public void send(String topic, byte[] key, byte[] value, Consumer<Exception> done) {
        if (throwOnSend != null) {
            throw throwOnSend;
        }
        sent.add(new Sent(topic, new String(key), new String(value)));
        if (hold) {
            held.add(done);
        } else {
            Exception own = failFor.apply(new String(value));
            done.accept(own != null ? own : failWith);
        }
    }

    void release() {
        hold = false;
        held.forEach(d -> d.accept(failWith));
        held.clear();
    }

    int heldCount() {
        return held.size();
    }

    @Override
    public boolean ready() {
        return ready;
    }

    @Override
    public void flush() {
        flushed = true;
    }

    @Override
    public void close() {}
}
