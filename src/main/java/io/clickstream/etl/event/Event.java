package io.clickstream.etl.event;

import java.util.Arrays;
import java.util.Objects;

/**
 * A validated event: the fields of the documented JSON schema (README, "Event schema") plus the Kafka position it
 * was read from. A Flink POJO; properties are two parallel arrays so that Flink serializes them without Kryo.
 */
public class Event {
    public String eventId;
    public String userId;
    public String eventType;
    /** The producing service (web, app, backend, ...): the event's 'source' field, or its topic. */
    public String source;
    /** Event time, epoch milliseconds. */
    public long eventTime;
    public String url;
    public String referrer;
    public String ip;
    public String userAgent;
    public String[] propertyKeys;
    public String[] propertyValues;

    public String kafkaTopic;
    public int kafkaPartition;
    public long kafkaOffset;
    /** The Kafka record timestamp (epoch ms; -1 if none): deterministic across replays, unlike the wall clock. */
    public long kafkaTimestamp;

    public Event() {}

    @Override
    public boolean equals(Object o) {
        if (this == o) {
            return true;
        }
        if (!(o instanceof Event)) {
            return false;
        }
        Event e = (Event) o;
        return eventTime == e.eventTime && kafkaPartition == e.kafkaPartition && kafkaOffset == e.kafkaOffset
                && kafkaTimestamp == e.kafkaTimestamp && Objects.equals(eventId, e.eventId)
                && Objects.equals(userId, e.userId) && Objects.equals(eventType, e.eventType)
                && Objects.equals(source, e.source) && Objects.equals(url, e.url)
                && Objects.equals(referrer, e.referrer) && Objects.equals(ip, e.ip)
                && Objects.equals(userAgent, e.userAgent) && Arrays.equals(propertyKeys, e.propertyKeys)
                && Arrays.equals(propertyValues, e.propertyValues) && Objects.equals(kafkaTopic, e.kafkaTopic);
    }

    @Override
    public int hashCode() {
        return Objects.hash(eventId, userId, eventTime, kafkaTopic, kafkaPartition, kafkaOffset);
    }

    @Override
    public String toString() {
        return "Event{" + eventId + ", user=" + userId + ", type=" + eventType + ", source=" + source
                + ", time=" + eventTime + ", at=" + kafkaTopic + "/" + kafkaPartition + "@" + kafkaOffset + "}";
    }
}
