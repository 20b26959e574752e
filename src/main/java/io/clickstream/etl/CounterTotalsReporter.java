package io.clickstream.etl;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.Metric;
import org.apache.flink.metrics.MetricConfig;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.metrics.reporter.MetricReporter;
import org.apache.flink.metrics.reporter.MetricReporterFactory;

/**
 * Writes, as a JSON file, the totals of the counters of one user metric group (e.g. "clickhouse": the sinks' batches
 * and rows) per operator over all subtasks, as each task ends. For scripts that measure a bounded local run
 * (scripts/benchmark.sh through {@code LocalRunner --counter-totals FILE}): a finished task's metrics are gone from
 * the REST API, and its log is no interface.
 */
public final class CounterTotalsReporter implements MetricReporter {
    static final String FILE = "file";
    static final String GROUP = "group";

    private Path file;
    private String group;
    /** operator name -> counter name -> total of the subtasks that have ended. */
    private final Map<String, Map<String, Long>> totals = new TreeMap<>();

    @Override
    public void open(MetricConfig config) {
        file = Path.of(config.getString(FILE, "counter-totals.json"));
        group = config.getString(GROUP, "clickhouse");
    }

    @Override
    public void notifyOfAddedMetric(Metric metric, String name, MetricGroup metricGroup) {}

    @Override
    public synchronized void notifyOfRemovedMetric(Metric metric, String name, MetricGroup metricGroup) {
        String operator = metricGroup.getAllVariables().get("<operator_name>");
        if (!(metric instanceof Counter counter)
                || operator == null
                || !metricGroup.getMetricIdentifier(name).endsWith("." + group + "." + name)) {
            return;
        }
        totals.computeIfAbsent(operator, k -> new TreeMap<>()).merge(name, counter.getCount(), Long::sum);
        write();
    }

    @Override
    public synchronized void close() {
        write();
    }

    private void write() {
        try {
            Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
            new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(tmp.toFile(), totals);
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
