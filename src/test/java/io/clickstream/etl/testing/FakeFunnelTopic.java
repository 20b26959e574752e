package io.clickstream.etl.testing;

import io.clickstream.etl.funnel.FunnelDefinitions;
import io.clickstream.etl.funnel.FunnelUpdate;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/** A funnel definitions topic in memory, by name (so that an operator's serializable factory finds it). */
public final class FakeFunnelTopic {
    private static final Map<String, FakeFunnelTopic> TOPICS = new ConcurrentHashMap<>();
    private final List<FunnelUpdate> records = new ArrayList<>();
    private int reads;

    public static FakeFunnelTopic named(String name) {
        return TOPICS.computeIfAbsent(name, n -> new FakeFunnelTopic());
    }

    public static void drop(String name) {
        TOPICS.remove(name);
    }

    /** Forgets every record (a topic emptied), keeping the name. */
    public synchronized void drop() {
        records.clear();
    }

    /** Publishes a record; readers see it on their next read. */
    public synchronized void publish(FunnelUpdate u) {
        records.add(u);
    }

    /** How many times readers read the topic. */
    public synchronized int reads() {
        return reads;
    }

    /** A factory of readers of the named topic, each from its start. */
    public static FunnelDefinitions.Factory definitions(String name) {
        return () -> new FunnelDefinitions() {
            private int next;

            @Override
            public List<FunnelUpdate> readNew() {
                FakeFunnelTopic topic = named(name);
                synchronized (topic) {
                    topic.reads++;
                    next = Math.min(next, topic.records.size()); // the topic was emptied
                    List<FunnelUpdate> out = new ArrayList<>(topic.records.subList(next, topic.records.size()));
                    next = topic.records.size();
                    return out;
                }
            }

            @Override
            public void close() {}
        };
    }
}
