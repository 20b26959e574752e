package io.clickstream.etl;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.Metric;
import org.apache.flink.metrics.MetricConfig;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.metrics.reporter.MetricReporter;
import org.apache.flink.metrics.reporter.MetricReporterFactory;

/**
 * Writes, as a JSON file, the totals of the counters of user metric groups (by default the sinks' "clickhouse" batches
 * and rows, and the late events and their corrections: "eventTime", "sessions", "corrections") per operator over all
 * subtasks: of the tasks that have ended, and of those whose metrics are still registered. For scripts that measure a
 * bounded local run (scripts/benchmark.sh through {@code LocalRunner
 * --counter-totals FILE}): a finished task's metrics are gone from the REST API, and its log is no interface. A local
 * job's cluster closes its tasks after the job's result is in; {@link #writeAll} writes what every reporter of the JVM
 * knows then, so an exit right after the job does not leave out the subtasks not yet closed.
 */
public final class CounterTotalsReporter implements MetricReporter {
    static final String FILE = "file";
    static final String GROUP = "group";

    private static final Set<CounterTotalsReporter> OPEN = ConcurrentHashMap.newKeySet();

    private Path file;
    private List<String> groups;
    /** operator name -> counter name -> total of the subtasks that have ended. */
    private final Map<String, Map<String, Long>> totals = new TreeMap<>();
    /** The counters of the group still registered, with their operator and name. */
    private final Map<Counter, String[]> live = new IdentityHashMap<>();

    @Override
    public void open(MetricConfig config) {
        file = Path.of(config.getString(FILE, "counter-totals.json"));
        groups = List.of(config.getString(GROUP, "clickhouse,corrections,sessions,eventTime")
                .split(","));
        OPEN.add(this);
    }

    /** Writes the totals of every reporter open in this JVM, as they stand: for a local run, after its job ended. */
    public static void writeAll() {
        OPEN.forEach(CounterTotalsReporter::writeNow);
    }

    @Override
    public synchronized void notifyOfAddedMetric(Metric metric, String name, MetricGroup metricGroup) {
        String operator = operatorOf(metric, name, metricGroup);
        if (operator != null) {
            live.put((Counter) metric, new String[] {operator, name});
        }
    }

    @Override
    public synchronized void notifyOfRemovedMetric(Metric metric, String name, MetricGroup metricGroup) {
        String operator = operatorOf(metric, name, metricGroup);
        if (operator == null) {
            return;
        }
        live.remove(metric);
        totals.computeIfAbsent(operator, k -> new TreeMap<>()).merge(name, ((Counter) metric).getCount(), Long::sum);
        write();
    }

    /** The operator of a counter of the group; null for any other metric. */
    private String operatorOf(Metric metric, String name, MetricGroup metricGroup) {
        String operator = metricGroup.getAllVariables().get("<operator_name>");
        if (!(metric instanceof Counter) || operator == null) {
            return null;
        }
        String identifier = metricGroup.getMetricIdentifier(name);
        if (groups.stream().noneMatch(g -> identifier.endsWith("." + g + "." + name))) {
            return null;
        }
        return operator;
    }

    @Override
    public synchronized void close() {
        write();
        OPEN.remove(this);
    }

    private synchronized void writeNow() {
        write();
    }

    private void write() {
        Map<String, Map<String, Long>> all = new TreeMap<>();
        totals.forEach((operator, counters) -> all.put(operator, new TreeMap<>(counters)));
        live.forEach((counter, at) ->
                all.computeIfAbsent(at[0], k -> new TreeMap<>()).merge(at[1], counter.getCount(), Long::sum));
        try {
            Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
            new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(tmp.toFile(), all);
            Files.move(
                    tmp,
                    file,
                    java.nio.file.StandardCopyOption.REPLACE_EXISTING,
                    java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new UncheckedIOException("could not write counter totals to " + file, e);
        }
    }

    /** Found by Flink through META-INF/services when metrics.reporter.NAME.factory.class names it. */
    public static final class Factory implements MetricReporterFactory {
        @Override
        public MetricReporter createMetricReporter(Properties properties) {
            return new CounterTotalsReporter();
        }
    }
}
