package io.clickstream.etl.enrich;

import io.clickstream.etl.device.DeviceInfo;
import io.clickstream.etl.event.Event;
import io.clickstream.etl.device.DeviceParser;
import io.clickstream.etl.device.YauaaDeviceParser;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.functions.RichMapFunction;
import org.apache.flink.metrics.Counter;

import java.io.Serializable;

/** Adds browser, OS, device type and the bot flag from the event's user agent. */
public class DeviceFunction extends RichMapFunction<Event, Event> {
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
        return () -> new YauaaDeviceParser(cacheSize);
    }

    @Override
    public void open(OpenContext openContext) {
        parser = factory.open();
        bots = getRuntimeContext().getMetricGroup().addGroup("device").counter("bots");
    }

    @Override
    public Event map(Event e) {
        DeviceInfo d = parser.parse(e.userAgent);
        e.browser = d.browser();
        e.browserVersion = d.browserVersion();
        e.os = d.os();
        e.osVersion = d.osVersion();
        e.deviceType = d.deviceType();
        e.bot = d.bot();
        if (d.bot()) {
            bots.inc();
        }
        return e;
    }
}
