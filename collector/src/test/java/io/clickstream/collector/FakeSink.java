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

    @Override
    public void send(String topic, byte[] key, byte[] value, Consumer<Exception> done) {
        sent.add(new Sent(topic, new String(key), new String(value)));
        if (hold) {
            held.add(done);
        } else {
            done.accept(failWith);
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
