package io.clickstream.etl.privacy;

import io.clickstream.etl.event.Event;
import org.apache.flink.api.common.functions.RichMapFunction;

/**
 * After geo and device, before anything keyed: pseudonyms for the configured fields (so sessions, joins and funnels
 * work on them) and the IP as {@code privacy.ip} says. The key is read when the task opens, on the TaskManager.
 */
public final class PrivacyFunction extends RichMapFunction<Event, Event> {
    private final PrivacySettings settings;
    private transient Pseudonymizer pseudonymizer;

    public PrivacyFunction(PrivacySettings settings) {
        this.settings = settings;
    }

    @Override
    public void open(org.apache.flink.api.common.functions.OpenContext context) {
        pseudonymizer = settings.pseudonymizer(System.getenv());
    }

    @Override
    public Event map(Event e) {
        if (pseudonymizer != null) {
            pseudonymizer.apply(e);
        }
        e.ip = settings.ip().apply(e.ip);
        return e;
    }
}
