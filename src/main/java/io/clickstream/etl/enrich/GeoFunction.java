package io.clickstream.etl.enrich;

import io.clickstream.etl.geo.GeoInfo;
import io.clickstream.etl.geo.GeoLookup;
import io.clickstream.etl.geo.MmdbGeoLookup;
import java.io.Serializable;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.functions.RichMapFunction;
import org.apache.flink.metrics.Counter;

/** Adds country, region, city and coordinates from the IP address (of events, and of session rows). */
public class GeoFunction<T extends Enrichable> extends RichMapFunction<T, T> {
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
                    throw new IllegalArgumentException(
                            "geo.databases: cannot read " + Path.of(f).toAbsolutePath());
                }
            }
            return new MmdbGeoLookup(
                    files.stream().map(Path::of).toList(),
                    checkInterval.toMillis(),
                    cacheSize,
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
    public T map(T row) {
        String ip = row.ipAddress();
        if (ip == null) {
            return row;
        }
        GeoInfo g = geo.lookup(ip);
        (g == GeoInfo.EMPTY ? notLocated : located).inc();
        row.applyGeo(g);
        return row;
    }

    @Override
    public void close() {
        if (geo != null) {
            geo.close();
        }
    }
}
