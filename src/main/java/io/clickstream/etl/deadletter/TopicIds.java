package io.clickstream.etl.deadletter;

import java.io.Serializable;

/**
 * A topic's identity (Kafka's topic id): a topic deleted and created again under the same name starts its offsets
 * afresh, and what was recorded for the old one must not apply to it.
 */
public interface TopicIds extends AutoCloseable {

    String id(String topic) throws Exception;

    @Override
    void close();

    @FunctionalInterface
    interface Factory extends Serializable {
        TopicIds open();
    }
}
