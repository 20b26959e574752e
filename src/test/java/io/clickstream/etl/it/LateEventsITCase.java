package io.clickstream.etl.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.clickstream.etl.testing.ClickstreamTruth;
import io.clickstream.etl.testing.ClickstreamTruth.Generated;
import io.clickstream.etl.testing.TestStack;
import io.clickstream.etl.testing.TruthJob;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.apache.flink.configuration.CheckpointingOptions;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.RestOptions;
import org.apache.flink.configuration.StateRecoveryOptions;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Events late by hours, far beyond the bound (default settings): a whole source (backend) and a tenth of the web
 * events arrive up to 17 hours after their time, after the others. They land inside sessions, before them, between
 * two (which become one) and alone before others; the stored rows are corrected, and once the stream is quiet the
 * current rows (FINAL) of the events and of the sessions table are the event-time truth: every session's grouping,
 * number and index, every funnel tag and joined value (the backend gives the plan the web and app events receive, and
 * a funnel tests it), every session row, and every user-day as the reports read it (events, sessions, page views,
 * funnel steps per day, user and source; never an event twice while the corrections run), every page of the page
 * report, and tools.Quality's day (aggregates equal to the raw rows, no copies, the truth's sessions). Live, in a backlog the job starts on (the late ones written after the others
 * into the same topics), and live with a kill in the middle of the late events and a restore from a checkpoint taken
 * before them (Redis then holds late events the restored job reads again).
 */
class LateEventsITCase {
    @RegisterExtension
    static final MiniClusterExtension FLINK = new MiniClusterExtension(TestStack.miniClusterKeepingCheckpoints());

    /** The truth of one case, its events split into those on time and the late ones (in time order). */
    private record Case(
            TruthJob.Setup setup,
            Map<String, ClickstreamTruth.Expected> expected,
            List<Generated> onTime,
            List<Generated> late) {
        List<Generated> all() {
            return Stream.concat(onTime.stream(), late.stream()).toList();
        }
    }

    private static Case newCase(long seed) throws Exception {
        TruthJob.Setup setup = TruthJob.setUp(Map.of());
        ClickstreamTruth truth = ClickstreamTruth.generate(
                seed, 150, ClickstreamTruth.Timing.hours(), System.currentTimeMillis() - 17 * 3_600_000L);
        Random random = new Random(seed);
        List<Generated> onTime = new ArrayList<>();
        List<Generated> late = new ArrayList<>();
        for (String source : ClickstreamTruth.SOURCES) {
            for (Generated e : truth.of(source)) {
                (source.equals("backend") || (source.equals("web") && random.nextInt(10) == 0) ? late : onTime).add(e);
            }
        }
        late.sort(Comparator.comparingLong(Generated::ts));
        return new Case(setup, truth.expected(TruthJob.TRUTH_FUNNELS), onTime, late);
    }

    @Test
    void eventsLateByHoursLiveEndInTheTruthsSessionsOnceTheCorrectionsLand() throws Exception {
        Case c = newCase(31);
        JobClient job = TestStack.job(c.setup.config(), 1000).executeAsync("LateEventsITCase-live");
        try {
            produce(c, c.onTime);
            awaitCurrentRows(c, c.onTime.size());
            produce(c, c.late);
            awaitTheTruth(c);
            // Flink's REST metrics trail the operators by a few seconds.
            TestStack.await(
                    "the held-back events counted late",
                    Duration.ofSeconds(30),
                    TestStack.unchecked(
                            () -> TestStack.metricSum(restUrl(), job.getJobID().toString(), ".eventTime.lateEvents")
                                    >= c.late.size()));
            assertCorrected(c, job, "live");
        } finally {
            job.cancel().get(60, TimeUnit.SECONDS);
        }
    }

    @Test
    void aBacklogWithEventsHoursOutOfOrderInItsTopicsEndsInTheTruth() throws Exception {
        Case c = newCase(32);
        produce(c, c.onTime);
        Thread.sleep(1000); // a producer that flushed old events late: they follow newer ones in their partitions
        produce(c, c.late);
        // Read slowly (small fetches, each waiting 100 ms), so that the watermark moves on between the newer records
        // and the old ones behind them; rows of a catch-up wait in the events sink across checkpoints, and the
        // corrections wait for them.
        JobClient job = TestStack.job(
                        c.setup
                                .config()
                                .with("kafka.properties.fetch.min.bytes", "10000000")
                                .with("kafka.properties.fetch.max.wait.ms", "100")
                                .with("kafka.properties.max.partition.fetch.bytes", "1024"),
                        1000)
                .executeAsync("LateEventsITCase-backlog");
        try {
            awaitTheTruth(c);
            TestStack.await(
                    "events behind their partition's watermark, counted late",
                    Duration.ofSeconds(30),
                    TestStack.unchecked(() ->
                            TestStack.metricSum(restUrl(), job.getJobID().toString(), ".eventTime.lateEvents") > 0));
            assertCorrected(c, job, "backlog");
        } finally {
            job.cancel().get(60, TimeUnit.SECONDS);
        }
    }

    @Test
    void aKillInTheMiddleOfTheLateEventsAndARestoreFromBeforeThemEndInTheTruth(@TempDir Path checkpoints)
            throws Exception {
        Case c = newCase(33);
        Configuration retain = new Configuration();
        retain.set(
                CheckpointingOptions.CHECKPOINTS_DIRECTORY, checkpoints.toUri().toString());
        retain.setString("execution.checkpointing.externalized-checkpoint-retention", "RETAIN_ON_CANCELLATION");
        JobClient first = TestStack.job(c.setup.config(), 500, retain).executeAsync("LateEventsITCase-killed");
        Path beforeLate;
        try {
            produce(c, c.onTime);
            awaitCurrentRows(c, c.onTime.size());
            Thread.sleep(1500); // a checkpoint past every event on time
            TestStack.await("a checkpoint", Duration.ofSeconds(30), TestStack.unchecked(() -> {
                try (Stream<Path> all = Files.walk(checkpoints, 2)) {
                    return all.anyMatch(p -> Files.exists(p.resolve("_metadata")));
                }
            }));
            beforeLate = TestStack.latestCheckpoint(checkpoints);
            // The late events over about six seconds; the job is killed after half of them.
            long now = System.currentTimeMillis();
            long[] sendAt = new long[c.late.size()];
            for (int i = 0; i < sendAt.length; i++) {
                sendAt[i] = now + 6_000L * i / sendAt.length;
            }
            Thread producing = new Thread(() -> {
                try {
                    TestStack.produce(
                            c.late.stream().map(e -> e.record(c.setup.topics())).toList(), sendAt);
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            producing.start();
            Thread.sleep(3_000);
            first.cancel().get(60, TimeUnit.SECONDS);
            producing.join();
        } catch (Exception e) {
            first.cancel();
            throw e;
        }
        long storedAtKill = TestStack.count(
                TestStack.clickHouseUrls().get(0), "SELECT count() FROM " + c.setup.database() + ".events FINAL");
        assertThat(storedAtKill).as("killed in the middle").isLessThan(c.expected.size());

        Configuration restore = new Configuration(retain);
        restore.set(StateRecoveryOptions.SAVEPOINT_PATH, beforeLate.toString());
        JobClient second = TestStack.job(c.setup.config(), 500, restore).executeAsync("LateEventsITCase-restored");
        try {
            awaitTheTruth(c);
            assertCorrected(c, second, "killed and restored");
        } finally {
            second.cancel().get(60, TimeUnit.SECONDS);
        }
    }

    private static void produce(Case c, List<Generated> events) throws Exception {
        TestStack.produce(events.stream().map(e -> e.record(c.setup.topics())).toList());
    }

    private static void awaitCurrentRows(Case c, long rows) throws InterruptedException {
        TestStack.await(
                rows + " current rows",
                Duration.ofSeconds(180),
                TestStack.unchecked(() -> TestStack.count(
                                TestStack.clickHouseUrls().get(0),
                                "SELECT count() FROM " + c.setup.database() + ".events FINAL")
                        == rows));
    }

    private static void awaitTheTruth(Case c) throws Exception {
        List<String> report = new ArrayList<>();
        try {
            TestStack.await("current rows equal to the truth", Duration.ofSeconds(240), TestStack.unchecked(() -> {
                report.clear();
                TruthJob.UserDays days = TruthJob.userDays(c.setup.database(), c.all(), c.expected, report);
                // While corrections run, a user-day may lack events that are on their way, never count one twice.
                assertThat(days.countedTwice())
                        .as("user-days counting an event twice: %s", report)
                        .isZero();
                return TruthJob.wrongCurrentRows(c.setup.database(), c.expected, report) == 0 && days.wrong() == 0;
            }));
        } catch (AssertionError e) {
            throw new AssertionError(e.getMessage() + "; first differences: " + report, e);
        }
        // Pages' sessions and entries: objects_daily keeps those a correction changed, so the report reads the events.
        assertThat(TruthJob.pagesAgainstTheTruth(c.setup.database(), c.all(), c.expected))
                .singleElement()
                .asString()
                .startsWith("from the current events");
        assertThat(TruthJob.qualityAgainstTheTruth(c.setup.database(), c.all(), c.expected))
                .as("tools.Quality: aggregates against the raw rows, copies, the day's sessions")
                .isEmpty();
    }

    /** Rows were written again and sessions retired, by the running job: the truth came by corrections. */
    private static void assertCorrected(Case c, JobClient job, String what) throws Exception {
        String node = TestStack.clickHouseUrls().get(0);
        String id = job.getJobID().toString();
        // The web UI's metrics are fetched every few seconds.
        TestStack.await(
                "rows written again by corrections",
                Duration.ofSeconds(30),
                TestStack.unchecked(() -> TestStack.metricSum(restUrl(), id, ".corrections.rowsWritten") > 0));
        long corrections = TestStack.metricSum(restUrl(), id, ".sessions.corrections");
        long rewritten = TestStack.metricSum(restUrl(), id, ".corrections.rowsWritten");
        long retired =
                TestStack.count(node, "SELECT count() FROM " + c.setup.database() + ".sessions FINAL WHERE retired");
        System.out.printf(
                "LateEventsITCase (%s): %d events, %d late, %d corrections, %d rows written again, %d sessions retired%n",
                what, c.expected.size(), c.late.size(), corrections, rewritten, retired);
        assertThat(rewritten).as("rows written again by corrections").isPositive();
        assertThat(retired).as("sessions merged away or renamed").isPositive();
    }

    private static String restUrl() {
        return "http://" + FLINK.getClientConfiguration().get(RestOptions.ADDRESS) + ":"
                + FLINK.getClientConfiguration().get(RestOptions.PORT);
    }
}
