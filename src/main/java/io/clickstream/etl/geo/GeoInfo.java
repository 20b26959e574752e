package io.clickstream.etl.geo;

/** Where an IP address is, as far as the database knows; {@link #EMPTY} when it does not. */
public record GeoInfo(
        String countryCode, String country, String region, String city, Double latitude, Double longitude) {

    public static final GeoInfo EMPTY = new GeoInfo("", "", "", "", null, null);

    public GeoInfo {
        countryCode = countryCode == null ? "" : countryCode;
        country = country == null ? "" : country;
        region = region == null ? "" : region;
        city = city == null ? "" : city;
    }
}
