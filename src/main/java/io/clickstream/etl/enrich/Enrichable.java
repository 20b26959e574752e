package io.clickstream.etl.enrich;

import io.clickstream.etl.device.DeviceInfo;
import io.clickstream.etl.geo.GeoInfo;

/** Something that has an IP address and a user agent and takes geo and device from them: events, session rows. */
public interface Enrichable {

    String ipAddress();

    String userAgentText();

    void applyGeo(GeoInfo geo);

    void applyDevice(DeviceInfo device);
}
