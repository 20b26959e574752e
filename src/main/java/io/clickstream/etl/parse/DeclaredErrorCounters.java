package io.clickstream.etl.parse;

import io.clickstream.etl.clickhouse.DeclaredRow;
import io.clickstream.etl.event.Event;
import java.util.HashMap;
import java.util.Map;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.MetricGroup;

/**
 * Counts the values that did not fit their declared column (issue 29), as metrics {@code
 * declaredColumnErrors.<field>.<reason>}: read from each event's error_log, so the parser in the source needs no
 * metrics of its own. At most one counter per declared column and reason.
 */
final class DeclaredErrorCounters {
    private final MetricGroup group;
    /** By "field\0reason". */
    private final Map<String, Counter> counters = new HashMap<>();

    DeclaredErrorCounters(MetricGroup metrics) {
        this.group = metrics.addGroup("declaredColumnErrors");
    }

    void count(Event e) {
        DeclaredRow.errors(e.declared, this::inc);
    }

    private void inc(String field, String reason) {
        counters.computeIfAbsent(
                        field + '\0' + reason, k -> group.addGroup(field).counter(reason))
                .inc();
    }
}
