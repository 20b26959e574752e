package io.clickstream.etl.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.clickstream.etl.config.JobConfig;
import io.clickstream.etl.testing.TestStack;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.flink.core.execution.JobClient;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;

/**
 * What a source whose events always arrive an hour late does to the live topics read with it: without a bound
 * (event-time.max-source-delay 0, the default) it holds the watermark, and so every live event, back by its
 * lateness; with a bound, the live events land within it and the late source's events are processed as late.
 */
class LateSourceITCase {
    @org.junit.jupiter.api.extension.RegisterExtension
    static final org.apache.flink.test.junit5.MiniClusterExtension FLINK =
            new org.apache.flink.test.junit5.MiniClusterExtension(
                    new org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration.Builder()
                            .setNumberTaskManagers(1)
                            .setNumberSlotsPerTaskManager(2)
                            .build());

    private static final long HOUR = 3_600_000L;

    @Test
    void aPermanentlyLateSourceHoldsLiveEventsBackUnlessItsDelayIsBounded() throws Exception {
        TestStack.requireRunning();
        Result unbounded = run(Map.of());
        Result bounded = run(Map.of("event-time.max-source-delay", "5s"));
        System.out.printf("unbounded: %s%nbounded (5s): %s%n", unbounded, bounded);

        assertThat(unbounded.watermarkLagMs)
                .as("without a bound the live events wait for the late source: an hour")
                .isGreaterThan(HOUR - 60_000);
        assertThat(bounded.watermarkLagMs)
                .as("with a bound of 5 s they wait about that long")
                .isLessThan(15_000);
        assertThat(bounded.liveStored).isEqualTo(bounded.liveSent);
        assertThat(bounded.lateStored)
                .as("and the late source's events are stored too (those that came after the bound had moved the"
                        + " watermark on are processed as late)")
                .isEqualTo(bounded.lateSent);
        assertThat(unbounded.liveStored + unbounded.lateStored)
                .as("without a bound nothing is lost either: held, then released")
                .isEqualTo(unbounded.liveSent + unbounded.lateSent);
    }

    /**
     * What was sent, how far the event-time order's watermark was behind the wall clock while the traffic went on
     * (what live events wait for), what was stored when it ended, and the events processed late.
     */
    private record Result(
            int liveSent, long watermarkLagMs, long liveStored, int lateSent, long lateStored, long lateEvents) {}

    /** 12 s of traffic on a live topic and on a topic whose events are an hour old when they are published. */
    private static Result run(Map<String, String> extra) throws Exception {
        String live = TestStack.unique("live");
        String late = TestStack.unique("late");
        String dead = TestStack.unique("dead");
        TestStack.createTopics(2, live, late, dead);
        String db = TestStack.migratedDatabase();
        Map<String, String> settings = new HashMap<>(Map.of(
                "device.enabled", "false",
                "funnel.definitions-topic", TestStack.unique("funnels"),
                "kafka.start-from", "earliest"));
        settings.putAll(extra);
        JobConfig config = TestStack.settings(live + "," + late, dead, db, settings);
        JobClient job = TestStack.job(config, 1000).executeAsync("LateSourceITCase");
        org.apache.flink.configuration.Configuration client = FLINK.getClientConfiguration();
        String rest = "http://" + client.get(org.apache.flink.configuration.RestOptions.ADDRESS) + ":"
                + client.get(org.apache.flink.configuration.RestOptions.PORT);
        String node = TestStack.clickHouseUrls().get(0);
        int liveSent = 0;
        int lateSent = 0;
        long lag = Long.MIN_VALUE;
        try {
            Thread.sleep(3000); // the job starts (it reads the new topics from their start)
            long until = System.currentTimeMillis() + 12_000;
            for (int i = 0; System.currentTimeMillis() < until; i++) {
                long now = System.currentTimeMillis();
                List<ProducerRecord<byte[], byte[]>> batch = new ArrayList<>();
                for (int u = 0; u < 4; u++) {
                    batch.add(record(live, "live-" + i + "-" + u, "lu" + u, now));
                    batch.add(record(late, "late-" + i + "-" + u, "mu" + u, now - HOUR));
                }
                TestStack.produce(batch);
                liveSent += 4;
                lateSent += 4;
                if (until - System.currentTimeMillis() < 4_000) {
                    lag = Math.max(lag, System.currentTimeMillis() - orderWatermark(rest, job));
                }
                Thread.sleep(250);
            }
            Thread.sleep(6000); // the late source goes idle, the live events held for it are released
            long liveStored =
                    TestStack.count(node, "SELECT count() FROM " + db + ".events WHERE kafka_topic = '" + live + "'");
            long lateStored =
                    TestStack.count(node, "SELECT count() FROM " + db + ".events WHERE kafka_topic = '" + late + "'");
            long lateEvents = TestStack.metricSum(rest, job.getJobID().toString(), ".eventTime.lateEvents");
            return new Result(liveSent, lag, liveStored, lateSent, lateStored, lateEvents);
        } finally {
            job.cancel().get(60, TimeUnit.SECONDS);
        }
    }

    /** The watermark the event-time order works with (the least of its inputs'), from the REST API. */
    private static long orderWatermark(String rest, JobClient job) throws Exception {
        java.net.http.HttpClient http = java.net.http.HttpClient.newHttpClient();
        com.fasterxml.jackson.databind.ObjectMapper json = new com.fasterxml.jackson.databind.ObjectMapper();
        String base = rest + "/jobs/" + job.getJobID();
        for (var v : json.readTree(http.send(
                                java.net.http.HttpRequest.newBuilder(java.net.URI.create(base))
                                        .build(),
                                java.net.http.HttpResponse.BodyHandlers.ofString())
                        .body())
                .path("vertices")) {
            if (v.path("name").asText().startsWith("Order by event time")) {
                long least = Long.MAX_VALUE;
                for (var m : json.readTree(http.send(
                                java.net.http.HttpRequest.newBuilder(java.net.URI.create(base + "/vertices/"
                                                + v.path("id").asText() + "/watermarks"))
                                        .build(),
                                java.net.http.HttpResponse.BodyHandlers.ofString())
                        .body())) {
                    least = Math.min(least, m.path("value").asLong());
                }
                return least;
            }
        }
        throw new IllegalStateException("no event-time order in the job");
    }

    private static ProducerRecord<byte[], byte[]> record(String topic, String id, String user, long ts) {
        String json = "{\"event_id\":\"" + id + "\",\"user_id\":\"" + user + "\",\"event_type\":\"page_view\",\"ts\":"
                + ts + "}";
        return new ProducerRecord<>(
                topic, user.getBytes(StandardCharsets.UTF_8), json.getBytes(StandardCharsets.UTF_8));
    }
}
