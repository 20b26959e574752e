package io.clickstream.etl.deadletter;

import static org.assertj.core.api.Assertions.assertThat;

import io.clickstream.etl.event.DeadLetter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.streaming.api.operators.ProcessOperator;
import org.apache.flink.streaming.util.OneInputStreamOperatorTestHarness;
import org.junit.jupiter.api.Test;

class DeadLettersOnceFunctionTest {
    /** Shared by the harnesses of a test, as Redis is by the runs of a job. */
    static final Map<String, Map<String, Ranges>> LEDGERS = new ConcurrentHashMap<>();

    private final String ledgerName = "ledger-" + System.nanoTime();

    private static DeadLetter letter(String topic, int partition, long offset) {
        DeadLetter d = new DeadLetter();
        d.reason = "malformed_json";
        d.topic = topic;
        d.partition = partition;
        d.offset = offset;
        return d;
    }

    private OneInputStreamOperatorTestHarness<DeadLetter, DeadLetter> harness(
            OperatorSubtaskState restored, String topicId) throws Exception {
        String name = ledgerName;
        DeadLetterLedger.Factory ledger = () -> new DeadLetterLedger() {
            @Override
            public Map<String, Ranges> read() {
                return Map.copyOf(LEDGERS.computeIfAbsent(name, k -> new ConcurrentHashMap<>()));
            }

            @Override
            public void add(Map<String, Ranges> ranges) {
                ranges.forEach((p, r) -> LEDGERS.get(name).merge(p, r, Ranges::union));
            }

            @Override
            public void close() {}
        };
        TopicIds.Factory ids = () -> new TopicIds() {
            @Override
            public String id(String topic) {
                return topicId;
            }

            @Override
            public void close() {}
        };
        var h = new OneInputStreamOperatorTestHarness<>(
                new ProcessOperator<>(new DeadLettersOnceFunction(ledger, ids)));
        if (restored != null) {
            h.initializeState(restored);
        }
        h.open();
        return h;
    }

    private static List<Long> offsets(OneInputStreamOperatorTestHarness<DeadLetter, DeadLetter> h) {
        List<Long> out = new ArrayList<>();
        h.extractOutputValues().forEach(d -> out.add(d.offset));
        return out;
    }

    @Test
    void aReplayFromRewoundOffsetsWritesOnlyTheDeadLettersNoRunCommitted() throws Exception {
        var first = harness(null, "id1");
        for (long o : new long[] {10, 20, 30}) {
            first.processElement(letter("web", 0, o), o);
        }
        first.snapshot(1, 1);
        first.notifyOfCompletedCheckpoint(1);
        first.processElement(letter("web", 0, 40), 40); // not committed: the run is cancelled before checkpoint 2
        first.close();

        var replay = harness(null, "id1"); // offsets rewound to 0, no checkpoint
        for (long o : new long[] {5, 10, 20, 30, 40, 50}) {
            replay.processElement(letter("web", 0, o), o);
        }
        replay.processElement(letter("web", 1, 20), 20);
        assertThat(offsets(replay)).containsExactly(5L, 40L, 50L, 20L);
        replay.close();
    }

    @Test
    void aTopicCreatedAgainUnderTheSameNameIsNotTakenForTheOld() throws Exception {
        var first = harness(null, "old-id");
        first.processElement(letter("web", 0, 10), 10);
        first.snapshot(1, 1);
        first.notifyOfCompletedCheckpoint(1);
        first.close();

        var recreated = harness(null, "new-id");
        recreated.processElement(letter("web", 0, 10), 10);
        assertThat(offsets(recreated)).containsExactly(10L);
        recreated.close();
    }

    @Test
    void aRunStoppedBeforeItRecordedItsRangesHasThemRecordedByTheRestore() throws Exception {
        var first = harness(null, "id1");
        first.processElement(letter("web", 0, 10), 10);
        first.processElement(letter("web", 0, 20), 20);
        OperatorSubtaskState checkpoint = first.snapshot(1, 1);
        first.close(); // the checkpoint completed, but this run never heard of it

        var restored = harness(checkpoint, "id1");
        restored.processElement(letter("web", 0, 25), 25);
        assertThat(LEDGERS.get(ledgerName)).containsEntry("id1:0", Ranges.of(10, 20));
        assertThat(offsets(restored)).containsExactly(25L);
        restored.close();

        var replay = harness(null, "id1");
        replay.processElement(letter("web", 0, 20), 20);
        replay.processElement(letter("web", 0, 25), 25);
        assertThat(offsets(replay)).as("25 was never committed").containsExactly(25L);
        replay.close();
    }

    @Test
    void deadLettersWithoutASourcePositionAlwaysPass() throws Exception {
        var h = harness(null, "id1");
        h.processElement(letter("", -1, -1), 1);
        h.processElement(letter("", -1, -1), 2);
        assertThat(h.extractOutputValues()).hasSize(2);
        h.close();
    }
}
