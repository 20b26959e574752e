package io.clickstream.etl.geo;

/** IP address text → location. Never throws for bad input: unknown, private or garbage addresses give EMPTY. */
public interface GeoLookup extends AutoCloseable {

    GeoInfo lookup(String ip);

    @Override
    void close();
}
