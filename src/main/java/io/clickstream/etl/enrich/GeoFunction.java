package io.clickstream.etl.enrich;

import io.clickstream.etl.event.Event;
import io.clickstream.etl.geo.GeoInfo;
import io.clickstream.etl.geo.GeoLookup;
import io.clickstream.etl.geo.MmdbGeoLookup;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.functions.RichMapFunction;
import org.apache.flink.metrics.Counter;

import java.io.Serializable;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/** Adds country, region, city and coordinates from the event's IP address. */
public class GeoFunction extends RichMapFunction<Event, Event> {
    private static final long serialVersionUID = 1L;

    /** Opens the lookup inside the task; serializable so it travels with the job. */
    @FunctionalInterface
    public interface Factory extends Serializable {
        GeoLookup open() throws Exception;
    }

    private final Factory factory;
    private transient GeoLookup geo;
    private transient Counter located;
    private transient Counter notLocated;

    public GeoFunction(Factory factory) {
        this.factory = factory;
    }

    /** Lookups in {@code files}; the files must exist where the tasks run. */
    public static Factory mmdb(List<String> files, Duration checkInterval, int cacheSize) {
        return () -> {
            for (String f : files) {
                if (!Files.isReadable(Path.of(f))) {
                    throw new IllegalArgumentException("geo.databases: cannot read " + Path.of(f).toAbsolutePath());
                }
            }
            return new MmdbGeoLookup(files.stream().map(Path::of).toList(), checkInterval.toMillis(), cacheSize,
                    System::currentTimeMillis);
        };
    }

    @Override
    public void open(OpenContext openContext) throws Exception {
        geo = factory.open();
        located = getRuntimeContext().getMetricGroup().addGroup("geo").counter("located");
        notLocated = getRuntimeContext().getMetricGroup().addGroup("geo").counter("notLocated");
    }

    @Override
    public Event map(Event e) {
        GeoInfo g = geo.lookup(e.ip);
        (g == GeoInfo.EMPTY ? notLocated : located).inc();
        e.countryCode = g.countryCode();
        e.country = g.country();
        e.region = g.region();
        e.city = g.city();
        e.latitude = g.latitude();
        e.longitude = g.longitude();
        return e;
    }

    @Override
    public void close() {
        if (geo != null) {
            geo.close();
        }
    }
}
