package io.clickstream.etl.device;

/** What a user agent says about the client. Empty strings where it says nothing. */
public record DeviceInfo(
        String browser, String browserVersion, String os, String osVersion, String deviceType, boolean bot) {

    public static final DeviceInfo EMPTY = new DeviceInfo("", "", "", "", "", false);
}
