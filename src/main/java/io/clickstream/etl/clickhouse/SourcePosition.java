package io.clickstream.etl.clickhouse;

/** The Kafka record a row came from: the identity by which a replayed row is recognised as stored already. */
public record SourcePosition(String topic, int partition, long offset) {

    /** "topic:partition" (':' cannot occur in a topic name). */
    public String partitionKey() {
        return topic + ":" + partition;
    }
}
