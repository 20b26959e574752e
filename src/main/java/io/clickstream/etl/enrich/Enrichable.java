package io.clickstream.etl.enrich;

import io.clickstream.etl.device.DeviceInfo;
import io.clickstream.etl.geo.GeoInfo;

/** Something that has an IP address and a user agent and takes geo and device from them: events, session rows. */
public interface Enrichable {

    /** The IP to locate; null when the row has its geo already (and must keep it). */
    String ipAddress();

    /** The user agent to parse; null when the row has its device already (and must keep it). */
    String userAgentText();

    void applyGeo(GeoInfo geo);

    void applyDevice(DeviceInfo device);
}
