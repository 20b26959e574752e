package io.clickstream.etl.enrich;

import io.clickstream.etl.device.DeviceInfo;
import io.clickstream.etl.device.DeviceParser;
import io.clickstream.etl.device.YauaaDeviceParser;
import java.io.Serializable;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.functions.RichMapFunction;
import org.apache.flink.metrics.Counter;

/** Adds browser, OS, device type and the bot flag from the user agent (of events, and of session rows). */
public class DeviceFunction<T extends Enrichable> extends RichMapFunction<T, T> {
    private static final long serialVersionUID = 1L;

    @FunctionalInterface
    public interface Factory extends Serializable {
        DeviceParser open();
    }

    private final Factory factory;
    private transient DeviceParser parser;
    private transient Counter bots;

    public DeviceFunction(Factory factory) {
        this.factory = factory;
    }

    public static Factory yauaa(int cacheSize) {
        return () -> YauaaDeviceParser.shared(cacheSize);
    }

    @Override
    public void open(OpenContext openContext) {
        parser = factory.open();
        bots = getRuntimeContext().getMetricGroup().addGroup("device").counter("bots");
    }

    @Override
    public T map(T row) {
        String userAgent = row.userAgentText();
        if (userAgent == null) {
            return row;
        }
        DeviceInfo d = parser.parse(userAgent);
        row.applyDevice(d);
        if (d.bot()) {
            bots.inc();
        }
        return row;
    }
}
