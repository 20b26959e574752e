package io.clickstream.etl.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.clickstream.etl.testing.ClickstreamTruth;
import io.clickstream.etl.testing.ClickstreamTruth.Generated;
import io.clickstream.etl.testing.TestStack;
import io.clickstream.etl.testing.TruthJob;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.apache.flink.configuration.RestOptions;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Events late by hours, far beyond the bound (default settings): the job running on the other events first, then a
 * whole source (backend) and a tenth of the web events arrive, up to 17 hours after their time. They land inside
 * sessions, before them, between two (which become one) and alone before others; the stored rows are corrected, and
 * once the stream is quiet the current rows (FINAL) of the events and of the sessions table are the event-time
 * truth: every session's grouping, number and index, every session row.
 */
class LateEventsITCase {
    @RegisterExtension
    static final MiniClusterExtension FLINK = new MiniClusterExtension(TestStack.miniClusterKeepingCheckpoints());

    @Test
    void eventsLateByHoursEndInTheTruthsSessionsOnceTheCorrectionsLand() throws Exception {
        TruthJob.Setup setup = TruthJob.setUp(Map.of());
        ClickstreamTruth truth = ClickstreamTruth.generate(
                31, 150, ClickstreamTruth.Timing.hours(), System.currentTimeMillis() - 17 * 3_600_000L);
        Map<String, ClickstreamTruth.Expected> expected = truth.expected(TruthJob.TRUTH_FUNNELS);
        Random random = new Random(31);
        List<Generated> onTime = new ArrayList<>();
        List<Generated> late = new ArrayList<>();
        for (String source : ClickstreamTruth.SOURCES) {
            for (Generated e : truth.of(source)) {
                (source.equals("backend") || (source.equals("web") && random.nextInt(10) == 0) ? late : onTime).add(e);
            }
        }
        String node = TestStack.clickHouseUrls().get(0);
        JobClient job = TestStack.job(setup.config(), 1000).executeAsync("LateEventsITCase");
        try {
            TestStack.produce(onTime.stream().map(e -> e.record(setup.topics())).toList());
            TestStack.await(
                    onTime.size() + " rows on time",
                    Duration.ofSeconds(180),
                    TestStack.unchecked(
                            () -> TestStack.count(node, "SELECT count() FROM " + setup.database() + ".events FINAL")
                                    == onTime.size()));

            // The late ones, in time order per source, hours behind the watermark.
            late.sort(java.util.Comparator.comparingLong(Generated::ts));
            TestStack.produce(late.stream().map(e -> e.record(setup.topics())).toList());
            List<String> report = new ArrayList<>();
            try {
                TestStack.await("current rows equal to the truth", Duration.ofSeconds(240), TestStack.unchecked(() -> {
                    report.clear();
                    return TruthJob.wrongCurrentSessions(setup.database(), expected, report) == 0;
                }));
            } catch (AssertionError e) {
                throw new AssertionError(e.getMessage() + "; first differences: " + report, e);
            }
            assertThat(TestStack.metricSum(restUrl(), job.getJobID().toString(), ".eventTime.lateEvents"))
                    .as("the held-back events came late")
                    .isGreaterThanOrEqualTo(late.size());
            long rewritten =
                    TestStack.count(node, "SELECT count() FROM " + setup.database() + ".events") - expected.size();
            assertThat(rewritten)
                    .as("rows written again by corrections (before merges)")
                    .isPositive();
            System.out.printf(
                    "LateEventsITCase: %d events, %d late, %d rows written again, %d sessions retired%n",
                    expected.size(),
                    late.size(),
                    rewritten,
                    TestStack.count(node, "SELECT count() FROM " + setup.database() + ".sessions FINAL WHERE retired"));
            assertThat(TestStack.count(
                            node, "SELECT count() FROM " + setup.database() + ".sessions FINAL WHERE retired"))
                    .as("sessions merged away or renamed")
                    .isPositive();
        } finally {
            job.cancel().get(60, TimeUnit.SECONDS);
        }
    }

    private static String restUrl() {
        return "http://" + FLINK.getClientConfiguration().get(RestOptions.ADDRESS) + ":"
                + FLINK.getClientConfiguration().get(RestOptions.PORT);
    }
}
