package io.clickstream.etl.device;

/** User agent text → client description. Never throws: null, blank or unparseable agents give EMPTY or "Unknown". */
public interface DeviceParser {

    DeviceInfo parse(String userAgent);
}
