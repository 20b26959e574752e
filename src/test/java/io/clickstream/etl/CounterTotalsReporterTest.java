package io.clickstream.etl;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import java.util.Map;
import org.apache.flink.metrics.MetricConfig;
import org.apache.flink.metrics.SimpleCounter;
import org.apache.flink.metrics.groups.UnregisteredMetricsGroup;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CounterTotalsReporterTest {

    /** A subtask's metric group under an operator, as Flink's scope names it. */
    private static UnregisteredMetricsGroup group(String operator, int subtask, String userGroup) {
        return new UnregisteredMetricsGroup() {
            @Override
            public Map<String, String> getAllVariables() {
                return Map.of("<operator_name>", operator, "<subtask_index>", "" + subtask);
            }

            @Override
            public String getMetricIdentifier(String name) {
                return "localhost.taskmanager.tm1.job." + operator + "." + subtask + "." + userGroup + "." + name;
            }
        };
    }

    private static CounterTotalsReporter opened(Path file) {
        CounterTotalsReporter reporter = new CounterTotalsReporter();
        MetricConfig config = new MetricConfig();
        config.setProperty(CounterTotalsReporter.FILE, file.toString());
        reporter.open(config);
        return reporter;
    }

    private static SimpleCounter counter(long n) {
        SimpleCounter c = new SimpleCounter();
        c.inc(n);
        return c;
    }

    @Test
    void theCountersOfTheGroupAreSummedOverSubtasksAsTheyEndAndWritten(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("totals.json");
        CounterTotalsReporter reporter = opened(file);
        reporter.notifyOfRemovedMetric(counter(3), "batches", group("ClickHouse events: Writer", 0, "clickhouse"));
        reporter.notifyOfRemovedMetric(counter(4), "batches", group("ClickHouse events: Writer", 1, "clickhouse"));
        reporter.notifyOfRemovedMetric(counter(9868), "rows", group("ClickHouse events: Writer", 0, "clickhouse"));
        reporter.notifyOfRemovedMetric(counter(50), "numRecordsIn", group("ClickHouse events: Writer", 0, "io"));
        reporter.notifyOfRemovedMetric(counter(2), "batches", group("ClickHouse sessions: Writer", 0, "clickhouse"));
        reporter.close();

        Map<?, ?> totals = new ObjectMapper().readValue(file.toFile(), Map.class);
        assertThat(totals)
                .isEqualTo(Map.of(
                        "ClickHouse events: Writer", Map.of("batches", 7, "rows", 9868),
                        "ClickHouse sessions: Writer", Map.of("batches", 2)));
    }

    @Test
    void countersOfSubtasksNotYetClosedAreWrittenOnRequestAndOnlyOnceWhenTheyEnd(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("totals.json");
        CounterTotalsReporter reporter = opened(file);
        SimpleCounter ended = counter(3);
        SimpleCounter open = counter(5);
        reporter.notifyOfAddedMetric(ended, "rows", group("ClickHouse sessions: Writer", 0, "clickhouse"));
        reporter.notifyOfAddedMetric(open, "rows", group("ClickHouse sessions: Writer", 1, "clickhouse"));
        reporter.notifyOfAddedMetric(counter(7), "numRecordsIn", group("ClickHouse sessions: Writer", 1, "io"));
        reporter.notifyOfRemovedMetric(ended, "rows", group("ClickHouse sessions: Writer", 0, "clickhouse"));
        open.inc(2);

        CounterTotalsReporter.writeAll(); // a local run's job ended, its second subtask not closed yet
        assertThat(new ObjectMapper().readValue(file.toFile(), Map.class))
                .isEqualTo(Map.of("ClickHouse sessions: Writer", Map.of("rows", 10)));

        reporter.notifyOfRemovedMetric(open, "rows", group("ClickHouse sessions: Writer", 1, "clickhouse"));
        reporter.close();
        assertThat(new ObjectMapper().readValue(file.toFile(), Map.class))
                .isEqualTo(Map.of("ClickHouse sessions: Writer", Map.of("rows", 10)));
    }
}
