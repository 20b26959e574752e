package io.clickstream.collector;

import java.util.Map;
import java.util.function.Consumer;

/**
 * A collector whose Kafka never acknowledges, in a JVM of its own (started by {@link CollectorMemoryITCase} with a
 * small heap): prints {@code PORT <n> ADMIN <m>} once it listens.
 */
public final class HeldAcksCollector {
    private HeldAcksCollector() {}

    public static void main(String[] args) throws Exception {
        EventSink holding = new EventSink() {
            @Override
            public void send(String topic, byte[] key, byte[] value, Consumer<Exception> done) {
                // never acknowledged: the events stay in flight
            }

            @Override
            public boolean ready() {
                return true;
            }

            @Override
            public void flush() {}

            @Override
            public void close() {}
        };
        Collector c = Collector.start(
                CollectorSettings.from(
                        Map.of("host", "127.0.0.1", "port", "0", "admin-port", "0", "max-in-flight-bytes", "16777216")),
                holding);
        System.out.println("PORT " + c.port() + " ADMIN " + c.adminPort());
        System.out.flush();
        Thread.sleep(Long.MAX_VALUE);
    }
}
