package io.clickstream.etl.event;

/**
 * One Kafka record as read, before parsing: the payload and where it came from. A Flink POJO (public fields,
 * no-arg constructor), so no Kryo.
 */
public class RawEvent {
    public String topic;
    public int partition;
    public long offset;
    /** The record's timestamp (epoch ms), or -1 when the record has none. */
    public long timestamp;

    public byte[] key;
    public byte[] value;

    public RawEvent() {}

    public RawEvent(String topic, int partition, long offset, long timestamp, byte[] key, byte[] value) {
        this.topic = topic;
        this.partition = partition;
        this.offset = offset;
        this.timestamp = timestamp;
        this.key = key;
        this.value = value;
    }
}
