package io.clickstream.etl.user;

import io.clickstream.etl.event.Event;
import io.clickstream.etl.join.JoinRule;
import io.clickstream.etl.session.SessionRules;
import io.clickstream.etl.testing.FakeErasureList;
import io.clickstream.etl.testing.FakeFunnelTopic;
import io.clickstream.etl.testing.FakeHashStore;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.streaming.util.OneInputStreamOperatorTestHarness;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * The per-user step in operator harnesses over a Redis of maps and a funnel topic in memory, both found by a name of
 * this fixture's own (the operator's factories are serializable, so they look them up rather than hold them). A test
 * class registers it as an extension, which closes the harnesses it opened after each test.
 */
final class UserStepFixture implements AutoCloseable, AfterEachCallback {
    private static final Map<String, FakeHashStore> STORES = new ConcurrentHashMap<>();
    private final String name = "user-step-" + System.nanoTime();
    private final List<OneInputStreamOperatorTestHarness<Event, Event>> opened = new ArrayList<>();

    FakeHashStore store() {
        return STORES.computeIfAbsent(name, n -> new FakeHashStore());
    }

    /** A fresh, empty store for a second, independent run inside one test. */
    void freshStore() {
        STORES.put(name, new FakeHashStore());
    }

    FakeErasureList erasures() {
        return FakeErasureList.named(name);
    }

    FakeFunnelTopic topic() {
        return FakeFunnelTopic.named(name);
    }

    /** The settings of these tests: update interval 10 s, TTLs of 90, 7 and 30 days, batch delay 100 ms. */
    static UserStepSettings settings(
            SessionRules rules, String joinRules, int batchSize, int cacheSize, Duration joinTtl, Duration maxBackoff) {
        return settings(rules, joinRules, batchSize, cacheSize, joinTtl, maxBackoff, Duration.ofSeconds(30));
    }

    /** ... and redis.hold-writes-lag (30 s above, as the job's default). */
    private static UserStepSettings settings(
            SessionRules rules,
            String joinRules,
            int batchSize,
            int cacheSize,
            Duration joinTtl,
            Duration maxBackoff,
            Duration holdWritesLag) {
        return new UserStepSettings(
                rules,
                JoinRule.parseAll(joinRules),
                batchSize,
                Duration.ofMillis(100),
                cacheSize,
                Duration.ofSeconds(10),
                Duration.ofDays(90),
                Duration.ofDays(7),
                joinTtl,
                maxBackoff,
                holdWritesLag);
    }

    static UserStepSettings settings(int batchSize) {
        return settings(batchSize, Duration.ofSeconds(30));
    }

    static UserStepSettings settings(int batchSize, Duration holdWritesLag) {
        return settings(
                SessionRules.defaults(),
                null,
                batchSize,
                1000,
                Duration.ofDays(30),
                Duration.ofSeconds(1),
                holdWritesLag);
    }

    /** An opened harness, restored from {@code restore} when it is not null. */
    OneInputStreamOperatorTestHarness<Event, Event> open(UserStepSettings settings, OperatorSubtaskState restore)
            throws Exception {
        store();
        topic();
        String n = name;
        OneInputStreamOperatorTestHarness<Event, Event> h =
                new OneInputStreamOperatorTestHarness<>(new UserStepOperator(
                        settings, () -> STORES.get(n), FakeFunnelTopic.definitions(n), FakeErasureList.feed(n, true)));
        opened.add(h);
        h.setup();
        if (restore != null) {
            h.initializeState(restore);
        }
        h.open();
        return h;
    }

    @Override
    public void afterEach(ExtensionContext context) throws Exception {
        close();
    }

    @Override
    public void close() throws Exception {
        for (OneInputStreamOperatorTestHarness<Event, Event> h : opened) {
            h.close();
        }
        STORES.remove(name);
        FakeFunnelTopic.drop(name);
        FakeErasureList.drop(name);
    }
}
