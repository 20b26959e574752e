package io.clickstream.etl.event;

import io.clickstream.etl.device.DeviceInfo;
import io.clickstream.etl.enrich.Enrichable;
import io.clickstream.etl.geo.GeoInfo;
import org.apache.flink.api.common.typeinfo.TypeInfo;

/**
 * A validated event: the fields of the documented JSON schema (docs/ingest.md, "Event schema") plus the Kafka position it
 * was read from. Properties are two parallel arrays. Crosses the network through {@link EventSerializer}.
 */
@TypeInfo(EventTypeInfo.Factory.class)
public class Event implements Enrichable {
    /** Shared: an empty array cannot be changed, and a new pair per event was only garbage. */
    private static final String[] NO_FUNNELS = new String[0];

    private static final int[] NO_STEPS = new int[0];

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

    // Session (UserStepOperator): id from user and session start, the user's session number, index in the session.
    public String sessionId = "";
    public int sessionNumber;
    public int sessionIndex;

    // Funnels (UserStepOperator): the funnels this event advanced, and the step (1-based) it reached in each.
    public String[] funnelIds = NO_FUNNELS;
    public int[] funnelSteps = NO_STEPS;

    // Geo (from ip): empty strings and null coordinates when the address is unknown, private or missing.
    public String countryCode = "";
    public String country = "";
    public String region = "";
    public String city = "";
    public Double latitude;
    public Double longitude;

    // Device (from user_agent)
    public String browser = "";
    public String browserVersion = "";
    public String os = "";
    public String osVersion = "";
    public String deviceType = "";
    public boolean bot;

    /**
     * The row's part for the columns a schema file declares, then error_log (RowBinary, encoded where the event is
     * parsed: nothing later changes it); null without a schema file.
     */
    public byte[] declared;

    public String kafkaTopic;
    public int kafkaPartition;
    public long kafkaOffset;
    /** The Kafka record timestamp (epoch ms; -1 if none): deterministic across replays, unlike the wall clock. */
    public long kafkaTimestamp;

    public Event() {}

    /**
     * The event's time as evidence of how far event time has come: its own time, but never beyond the time its
     * record was written, so that a client clock running ahead cannot make other events look late or old.
     */
    public long vouchedTime() {
        return kafkaTimestamp <= 0 ? eventTime : Math.min(eventTime, kafkaTimestamp);
    }

    /** The value of property {@code name}; null when the event has no such property. */
    public String property(String name) {
        if (propertyKeys != null) {
            for (int i = 0; i < propertyKeys.length; i++) {
                if (name.equals(propertyKeys[i])) {
                    return propertyValues[i] == null ? "" : propertyValues[i];
                }
            }
        }
        return null;
    }

    @Override
    public String ipAddress() {
        return ip == null ? "" : ip;
    }

    @Override
    public String userAgentText() {
        return userAgent == null ? "" : userAgent;
    }

    @Override
    public void applyGeo(GeoInfo g) {
        countryCode = g.countryCode();
        country = g.country();
        region = g.region();
        city = g.city();
        latitude = g.latitude();
        longitude = g.longitude();
    }

    @Override
    public void applyDevice(DeviceInfo d) {
        browser = d.browser();
        browserVersion = d.browserVersion();
        os = d.os();
        osVersion = d.osVersion();
        deviceType = d.deviceType();
        bot = d.bot();
    }

    @Override
    public String toString() {
        return "Event{" + eventId + ", user=" + userId + ", type=" + eventType + ", source=" + source + ", time="
                + eventTime + ", at=" + kafkaTopic + "/" + kafkaPartition + "@" + kafkaOffset + "}";
    }
}
