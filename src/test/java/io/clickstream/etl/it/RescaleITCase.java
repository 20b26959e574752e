package io.clickstream.etl.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.clickstream.etl.config.JobConfig;
import io.clickstream.etl.testing.ClickstreamTruth;
import io.clickstream.etl.testing.ClickstreamTruth.Expected;
import io.clickstream.etl.testing.MalformedInputs;
import io.clickstream.etl.testing.TestStack;
import io.clickstream.etl.testing.TruthJob;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.RestOptions;
import org.apache.flink.configuration.StateRecoveryOptions;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.core.execution.SavepointFormatType;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Users who outgrow a parallelism stop the job with a savepoint and resume it with more (or fewer) slots. Every piece
 * of state must be redistributed, not only restored: the events held for event-time ordering, the per-user step's
 * pending session rows, the broadcast funnel definitions, the sink's batch, the dead-letter ranges, the Kafka splits.
 */
class RescaleITCase {
    @RegisterExtension
    static final MiniClusterExtension FLINK = new MiniClusterExtension(new MiniClusterResourceConfiguration.Builder()
            .setNumberTaskManagers(1)
            .setNumberSlotsPerTaskManager(4)
            .build());

    /**
     * {@code hold}: with clickhouse.sink.catch-up-hold, the sinks keep their partial batches in the savepoints
     * (every row counts as caught up with), and the rows travel to the subtasks of the next parallelism.
     */
    @ParameterizedTest(name = "catch-up-hold {0}")
    @ValueSource(booleans = {false, true})
    void aBacklogStoppedWithSavepointsAndResumedAtFourThenOneGivesTheTruthOnceWithEveryDeadLetterOnce(
            boolean hold, @TempDir Path savepoints) throws Exception {
        TruthJob.Setup setup = TruthJob.setUp(
                hold
                        ? Map.of("clickhouse.sink.catch-up-hold", "true", "clickhouse.sink.catch-up-lag", "1ms")
                        : Map.of());
        ClickstreamTruth truth = ClickstreamTruth.generate(
                11, 300, ClickstreamTruth.Timing.hours(), System.currentTimeMillis() - 17 * 3_600_000L);
        Map<String, Expected> expected = truth.expected(TruthJob.TRUTH_FUNNELS);
        List<ProducerRecord<byte[], byte[]>> records = new ArrayList<>();
        for (String source : ClickstreamTruth.SOURCES) {
            truth.of(source).forEach(e -> records.add(e.record(setup.topics())));
        }
        List<MalformedInputs.Malformed> malformed = MalformedInputs.all("rescale-", System.currentTimeMillis(), false);
        for (int i = 0; i < malformed.size(); i++) {
            // Spread among the valid events.
            records.add(
                    records.size() * (i + 1) / (malformed.size() + 1),
                    new ProducerRecord<>(
                            setup.topics().get("web"),
                            ("bad-" + i).getBytes(StandardCharsets.UTF_8),
                            malformed.get(i).payload()));
        }
        TestStack.produce(records);

        // Slow readers (small fetches, each waiting 100 ms): each run stops in the middle of the catch-up, with
        // events held for ordering, session rows pending and a partial batch in its savepoint.
        JobConfig slow = setup.config()
                .with("kafka.properties.fetch.min.bytes", "10000000")
                .with("kafka.properties.fetch.max.wait.ms", "100")
                .with("kafka.properties.max.partition.fetch.bytes", "1024");
        String node = TestStack.clickHouseUrls().get(0);
        String db = setup.database();
        int n = truth.events.size();

        // A run stops once a tenth (then a twentieth) of the events reached the sinks: stored, or held in a batch.
        String atTwo = runAndStop(slow, 2, null, savepoints, n / 10);
        long storedAtTwo = rows(node, db);
        assertThat(storedAtTwo).as("stopped in the middle of the catch-up").isLessThan(n * 3L / 4);
        String atFour = runAndStop(slow, 4, atTwo, savepoints, storedAtTwo + n / 20);
        // A fast run may have stored everything by this stop: the last run still restores its state at parallelism 1.
        long storedAtFour = rows(node, db);
        System.out.printf(
                "RescaleITCase (hold %s): %d of %d events stored at the stop at 2, %d at the stop at 4%n",
                hold, storedAtTwo, n, storedAtFour);

        JobClient atOne =
                TestStack.job(setup.config(), 500, restoreFrom(atFour), 1).executeAsync("RescaleITCase-1");
        try {
            TestStack.await(n + " rows", Duration.ofSeconds(240), TestStack.unchecked(() -> rows(node, db) >= n));
            TestStack.awaitSessionRowsAndNothingInFlight(setup.config(), n);
        } finally {
            atOne.cancel().get(60, TimeUnit.SECONDS);
        }

        TruthJob.assertStoredRowsMatch(db, expected);
        assertThat(TestStack.query(
                        node,
                        "SELECT session_id, count(), min(session_number) FROM " + db + ".events GROUP BY session_id"
                                + " ORDER BY session_id FORMAT TabSeparated"))
                .as("every session's row counts its events")
                .isEqualTo(TestStack.query(
                        node,
                        "SELECT session_id, argMax(events, version), argMax(session_number, version) FROM " + db
                                + ".sessions GROUP BY session_id ORDER BY session_id FORMAT TabSeparated"));
        TestStack.BalanceRun balance = TestStack.balance(setup.config(), 1000);
        assertThat(balance.code()).as(balance.printed()).isZero();
        assertThat(balance.printed())
                .as("every malformed input one dead letter, every event stored once, nothing in flight")
                .contains("balanced: " + (n + malformed.size()) + " inputs = " + n + " stored + " + malformed.size()
                        + " dead letters + 0 delivered again (their event stored from another record) + 0 in flight");
    }

    /**
     * Runs the job at {@code parallelism} (from {@code savepoint} if not null) until more than {@code reached} events
     * are stored or buffered in its sinks, then stops it with a savepoint; returns the savepoint's path.
     */
    private static String runAndStop(JobConfig config, int parallelism, String savepoint, Path savepoints, long reached)
            throws Exception {
        JobClient job = TestStack.job(config, 500, restoreFrom(savepoint), parallelism)
                .executeAsync("RescaleITCase-" + parallelism);
        String node = TestStack.clickHouseUrls().get(0);
        String db = config.get(io.clickstream.etl.config.Options.CLICKHOUSE_DATABASE);
        try {
            TestStack.await(
                    reached + " events at the sinks at parallelism " + parallelism,
                    Duration.ofSeconds(180),
                    TestStack.unchecked(() -> rows(node, db)
                                    + TestStack.metricSum(
                                            restUrl(), job.getJobID().toString(), ".clickhouse.bufferedRows")
                            > reached));
        } catch (Throwable t) {
            job.cancel().get(60, TimeUnit.SECONDS);
            throw t;
        }
        return job.stopWithSavepoint(false, savepoints.toUri().toString(), SavepointFormatType.CANONICAL)
                .get(3, TimeUnit.MINUTES);
    }

    private static String restUrl() {
        return "http://" + FLINK.getClientConfiguration().get(RestOptions.ADDRESS) + ":"
                + FLINK.getClientConfiguration().get(RestOptions.PORT);
    }

    private static Configuration restoreFrom(String savepoint) {
        Configuration c = new Configuration();
        if (savepoint != null) {
            c.set(StateRecoveryOptions.SAVEPOINT_PATH, savepoint);
            c.set(StateRecoveryOptions.SAVEPOINT_IGNORE_UNCLAIMED_STATE, false);
        }
        return c;
    }

    private static long rows(String node, String db) throws Exception {
        return TestStack.count(node, "SELECT count() FROM " + db + ".events");
    }
}
