package io.clickstream.etl.join;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.clickstream.etl.event.Event;
import io.clickstream.etl.testing.FakeErasureList;
import io.clickstream.etl.testing.FakeHashStore;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.flink.streaming.util.OneInputStreamOperatorTestHarness;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The step of the join rules keyed by a field other than the user (the others run in the per-user step). */
class JoinOperatorTest {
    private static final Map<String, FakeHashStore> STORES = new ConcurrentHashMap<>();
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
        FakeErasureList.drop(name);
    }

    private OneInputStreamOperatorTestHarness<Event, Event> harness(int batchSize) throws Exception {
        STORES.put(name, new FakeHashStore());
        String n = name;
        JoinSettings settings = new JoinSettings(
                JoinRule.parseAll(VIDEO),
                batchSize,
                Duration.ofMillis(100),
                Duration.ofDays(1),
                Duration.ofSeconds(1),
                Joiner.DEFAULT_HORIZON);
        harness = new OneInputStreamOperatorTestHarness<>(new JoinOperator(
                settings, () -> STORES.get(n), FakeErasureList.feed(n, true), "joins-by-properties.video_id"));
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
        assertThat(STORES.get(name).hashes.get("joinv:video:v1"))
                .as("one field per version")
                .containsOnlyKeys("1:c1");
        assertThat(new String(
                        STORES.get(name).hashes.get("join-given:editor").get("video:v1"),
                        java.nio.charset.StandardCharsets.US_ASCII))
                .as("the index of what the giver gave, for erasures")
                .isEqualTo("0");
    }

    @Test
    void anErasedGiversValuesAreLeftOutAndItAcknowledgesAfterACompletedCheckpoint() throws Exception {
        OneInputStreamOperatorTestHarness<Event, Event> h = harness(1);
        Event given = ev("c1", "catalog", "editor", 1, "v1", "Intro");
        given.kafkaTimestamp = 1_000;
        h.processElement(given, 0);
        long version = FakeErasureList.named(name).publish("editor", 1_000);
        h.processElement(ev("p1", "player", "u1", 2, "v1", null), 0);
        assertThat(h.extractOutputValues().get(1).property("video_title"))
                .as("the erased giver's value is passed over before tools.Erase deletes it")
                .isNull();
        assertThat(FakeErasureList.named(name).acked("joins-by-properties.video_id"))
                .isLessThan(version);
        h.snapshot(1, 0);
        assertThat(FakeErasureList.named(name).acked("joins-by-properties.video_id"))
                .as("not before the checkpoint completed: rows emitted before may still be on their way")
                .isLessThan(version);
        h.notifyOfCompletedCheckpoint(1);
        assertThat(FakeErasureList.named(name).acked("joins-by-properties.video_id"))
                .isEqualTo(version);
    }

    @Test
    void aValueOfTheOneValueLayoutIsReadAndMovesIntoTheHash() throws Exception {
        OneInputStreamOperatorTestHarness<Event, Event> h = harness(1);
        FakeHashStore store = STORES.get(name);
        store.values.put("join:video:v1", new byte[] {
            1, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0, 2, 'c', '1', 0, 1, 0, 11, 'v', 'i', 'd', 'e', 'o', '_', 't', 'i', 't', 'l',
            'e', 0, 0, 0, 5, 'I', 'n', 't', 'r', 'o'
        });
        h.processElement(ev("p1", "player", "u1", 2, "v1", null), 0);
        assertThat(h.extractOutputValues().get(0).property("video_title")).isEqualTo("Intro");
        h.processElement(ev("c2", "catalog", "editor", 3, "v1", "Next"), 0);
        assertThat(store.hashes.get("joinv:video:v1")).containsOnlyKeys("1:c1", "3:c2");
    }
}
