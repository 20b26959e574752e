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
    private static final long HOUR = 3_600_000L;

    @Test
    void aPermanentlyLateSourceHoldsLiveEventsBackUnlessItsDelayIsBounded() throws Exception {
        TestStack.requireRunning();
        Result unbounded = run(Map.of());
        Result bounded = run(Map.of("event-time.max-source-delay", "5s"));
        System.out.printf("unbounded: %s%nbounded (5s): %s%n", unbounded, bounded);

        assertThat(unbounded.liveStored)
                .as("without a bound the live events wait for the late source (an hour)")
                .isZero();
        assertThat(bounded.liveStored)
                .as("with a bound of 5 s the live events land while they are sent")
                .isGreaterThan(bounded.liveSent / 2);
        assertThat(bounded.lateStored)
                .as("and the late source's events too, counted as late")
                .isGreaterThan(bounded.lateSent / 2);
    }

    private record Result(int liveSent, long liveStored, int lateSent, long lateStored) {}

    /** 20 s of traffic on a live topic and on a topic whose events are an hour old when they are published. */
    private static Result run(Map<String, String> extra) throws Exception {
        String live = TestStack.unique("live");
        String late = TestStack.unique("late");
        String dead = TestStack.unique("dead");
        TestStack.createTopics(2, live, late, dead);
        String db = TestStack.migratedDatabase();
        Map<String, String> settings = new HashMap<>(Map.of(
                "device.enabled", "false",
                "funnel.definitions-topic", TestStack.unique("funnels"),
                "kafka.start-from", "latest"));
        settings.putAll(extra);
        JobConfig config = TestStack.settings(live + "," + late, dead, db, settings);
        JobClient job = TestStack.job(config, 1000).executeAsync("LateSourceITCase");
        String node = TestStack.clickHouseUrls().get(0);
        int liveSent = 0;
        int lateSent = 0;
        try {
            Thread.sleep(8000); // the job reads from the latest offsets: what is sent from now on
            long until = System.currentTimeMillis() + 20_000;
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
                Thread.sleep(250);
            }
            Thread.sleep(5000);
            long liveStored =
                    TestStack.count(node, "SELECT count() FROM " + db + ".events WHERE kafka_topic = '" + live + "'");
            long lateStored =
                    TestStack.count(node, "SELECT count() FROM " + db + ".events WHERE kafka_topic = '" + late + "'");
            return new Result(liveSent, liveStored, lateSent, lateStored);
        } finally {
            job.cancel().get(60, TimeUnit.SECONDS);
        }
    }

    private static ProducerRecord<byte[], byte[]> record(String topic, String id, String user, long ts) {
        String json = "{\"event_id\":\"" + id + "\",\"user_id\":\"" + user + "\",\"event_type\":\"page_view\",\"ts\":"
                + ts + "}";
        return new ProducerRecord<>(
                topic, user.getBytes(StandardCharsets.UTF_8), json.getBytes(StandardCharsets.UTF_8));
    }
}
