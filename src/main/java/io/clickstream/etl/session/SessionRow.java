package io.clickstream.etl.session;

import io.clickstream.etl.device.DeviceInfo;
import io.clickstream.etl.enrich.Enrichable;
import io.clickstream.etl.geo.GeoInfo;

/**
 * A session as it stands after a batch: one row per update into the sessions table, where ReplacingMergeTree keeps
 * the one with the most events. Geo and device are those of the session's entry (its earliest event with an IP /
 * user agent). A Flink POJO.
 */
public class SessionRow implements Enrichable {
    public String sessionId;
    public String userId;
    public int sessionNumber;
    /** The time the session id derives from; its UTC day is the row's partition, stable while the session grows. */
    public long origin;

    public long start;
    public long end;
    public int events;
    public int pageViews;
    public String entryUrl = "";
    public String exitUrl = "";
    public String referrer = "";
    public String[] sources = new String[0];
    public String ip = "";
    public String userAgent = "";

    public String countryCode = "";
    public String country = "";
    public String region = "";
    public String city = "";
    public String browser = "";
    public String os = "";
    public String deviceType = "";
    public boolean bot;
    /** Geo / device came with the session's entry event: nothing to look up (a session stored before them: false). */
    public boolean geoGiven;

    public boolean deviceGiven;
    /**
     * The newest record time (Kafka timestamp) of the inputs of the batch that gave this row: a row from before a
     * user's erasure is at or before the erasure's time, one of a session the user started afresh after it.
     */
    public long recordTime;
    /**
     * The session is no more: merged into an earlier one or renamed after an earlier event (a late event). Its
     * version is one above its last row's, so it replaces that row; reports leave such rows out.
     */
    public boolean retired;

    public SessionRow() {}

    @Override
    public String ipAddress() {
        return geoGiven ? null : ip;
    }

    @Override
    public String userAgentText() {
        return deviceGiven ? null : userAgent;
    }

    @Override
    public void applyGeo(GeoInfo g) {
        countryCode = g.countryCode();
        country = g.country();
        region = g.region();
        city = g.city();
    }

    @Override
    public void applyDevice(DeviceInfo d) {
        browser = d.browser();
        os = d.os();
        deviceType = d.deviceType();
        bot = d.bot();
    }
}
