package io.clickstream.etl.join;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.clickstream.etl.event.Event;
import io.clickstream.etl.testing.FakeBlobStore;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.flink.streaming.util.OneInputStreamOperatorTestHarness;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The step of the join rules keyed by a field other than the user (the others run in the per-user step). */
class JoinOperatorTest {
    private static final Map<String, FakeBlobStore> STORES = new ConcurrentHashMap<>();
    private static final String VIDEO =
            "[{\"name\": \"video\", \"from\": \"catalog\", \"key\": \"properties.video_id\","
                    + " \"fields\": [\"properties.title\"], \"into\": [\"player\"], \"prefix\": \"video_\"}]";
    private final String name = "joins-" + System.nanoTime();
    private OneInputStreamOperatorTestHarness<Event, Event> harness;

    @AfterEach
    void close() throws Exception {
        if (harness != null) {
            harness.close();
        }
        STORES.remove(name);
    }

    private OneInputStreamOperatorTestHarness<Event, Event> harness(int batchSize) throws Exception {
        STORES.put(name, new FakeBlobStore());
        String n = name;
        JoinSettings settings = new JoinSettings(
                JoinRule.parseAll(VIDEO),
                batchSize,
                Duration.ofMillis(100),
                Duration.ofDays(1),
                Duration.ofSeconds(1),
                Joiner.DEFAULT_HORIZON);
        harness = new OneInputStreamOperatorTestHarness<>(new JoinOperator(settings, () -> STORES.get(n)));
        harness.open();
        return harness;
    }

    @Test
    void badSettingsNameTheOption() {
        List<JoinRule> rules = JoinRule.parseAll(VIDEO);
        assertThatThrownBy(() -> new JoinSettings(
                                rules,
                                0,
                                Duration.ofMillis(100),
                                Duration.ofDays(1),
                                Duration.ofSeconds(1),
                                Duration.ofHours(48))
                        .sanityCheck())
                .hasMessageContaining("redis.batch-size");
        assertThatThrownBy(() -> new JoinSettings(
                                rules,
                                10,
                                Duration.ofMillis(100),
                                Duration.ZERO,
                                Duration.ofSeconds(1),
                                Duration.ofHours(48))
                        .sanityCheck())
                .hasMessageContaining("join.state-ttl");
        assertThatThrownBy(() -> new JoinSettings(
                                List.of(),
                                10,
                                Duration.ofMillis(100),
                                Duration.ofDays(1),
                                Duration.ofSeconds(1),
                                Duration.ofHours(48))
                        .sanityCheck())
                .hasMessageContaining("join.rules");
    }

    private static Event ev(String id, String source, String user, long time, String video, String title) {
        Event e = new Event();
        e.eventId = id;
        e.source = source;
        e.userId = user;
        e.eventTime = time;
        e.propertyKeys = title == null ? new String[] {"video_id"} : new String[] {"video_id", "title"};
        e.propertyValues = title == null ? new String[] {video} : new String[] {video, title};
        return e;
    }

    @Test
    void aRuleKeyedByAFieldCarriesValuesAcrossUsersWithOneReadAndOneWritePerBatch() throws Exception {
        OneInputStreamOperatorTestHarness<Event, Event> h = harness(3);
        h.processElement(ev("c1", "catalog", "editor", 1, "v1", "Intro"), 0);
        h.processElement(ev("p1", "player", "u1", 2, "v1", null), 0);
        h.processElement(ev("p2", "player", "u2", 3, "v2", null), 0);
        h.processElement(ev("p3", "player", "u3", 4, "v1", null), 0); // next batch: from the store
        h.prepareSnapshotPreBarrier(1);

        List<Event> out = h.extractOutputValues();
        assertThat(out).extracting(e -> e.property("video_title")).containsExactly(null, "Intro", null, "Intro");
        assertThat(STORES.get(name).calls.get())
                .as("batch 1: read + write; batch 2: read")
                .isEqualTo(3);
    }
}
