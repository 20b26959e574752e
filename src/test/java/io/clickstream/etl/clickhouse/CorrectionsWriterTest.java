package io.clickstream.etl.clickhouse;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.clickstream.etl.session.JoinedFix;
import io.clickstream.etl.session.SessionCorrection;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.apache.flink.metrics.groups.UnregisteredMetricsGroup;
import org.apache.flink.streaming.runtime.tasks.TestProcessingTimeService;
import org.junit.jupiter.api.Test;

class CorrectionsWriterTest {
    private final TestProcessingTimeService time = new TestProcessingTimeService();

    CorrectionsWriterTest() throws Exception {
        time.setCurrentTime(0);
    }

    /** A table that holds the rows of the sessions named in {@link #stored}; every call and outcome is kept. */
    private final class FakeTable implements CorrectionsSink.Corrector {
        final Set<String> stored = new HashSet<>();
        final List<String> applied = new ArrayList<>();
        final List<SessionCorrection> given = new ArrayList<>();
        int failuresLeft;

        @Override
        public EventCorrections.Outcome apply(List<SessionCorrection> corrections, boolean evenIfIncomplete)
                throws Exception {
            if (failuresLeft > 0 && !corrections.isEmpty()) {
                failuresLeft--;
                throw new IOException("connection refused");
            }
            List<SessionCorrection> waiting = new ArrayList<>();
            List<SessionCorrection> incomplete = new ArrayList<>();
            given.addAll(corrections);
            for (SessionCorrection c : corrections) {
                boolean all = stored.contains(c.sessionId);
                if (!all) {
                    waiting.add(c);
                    if (evenIfIncomplete) {
                        incomplete.add(c);
                    }
                }
                if (all || evenIfIncomplete) {
                    applied.add(c.sessionId + (all ? "" : " (part)"));
                }
            }
            return new EventCorrections.Outcome(waiting, incomplete, 0);
        }

        @Override
        public void close() {}
    }

    /** Runs each round in the test's thread, so that a flush or a timer has applied what it could when it returns. */
    private static final class InThisThread extends java.util.concurrent.AbstractExecutorService {
        @Override
        public void execute(Runnable command) {
            command.run();
        }

        @Override
        public void shutdown() {}

        @Override
        public List<Runnable> shutdownNow() {
            return List.of();
        }

        @Override
        public boolean isShutdown() {
            return false;
        }

        @Override
        public boolean isTerminated() {
            return false;
        }

        @Override
        public boolean awaitTermination(long timeout, java.util.concurrent.TimeUnit unit) {
            return true;
        }
    }

    /** A writer over the table whose rounds run in the task's thread, at the test's time. */
    private CorrectionsWriter writer(FakeTable table) {
        return new CorrectionsWriter(table, time, new UnregisteredMetricsGroup(), new InThisThread());
    }

    private static SessionCorrection correction(String session, long start, long end) {
        return new SessionCorrection("u1", session, 1, start, end, 3);
    }

    @Test
    void aCorrectionWaitsForItsRowsInTheCheckpointAndIsAppliedOnceTheyAreThere() throws Exception {
        FakeTable table = new FakeTable();
        CorrectionsWriter w = writer(table);
        w.write(correction("s1", 0, 100), null);
        w.flush(false);
        time.setCurrentTime(CorrectionsWriter.TICK_MS);
        assertThat(table.applied).isEmpty();
        assertThat(w.snapshotState(1)).containsExactly(correction("s1", 0, 100));

        table.stored.add("s1");
        time.setCurrentTime(3 * CorrectionsWriter.TICK_MS);
        assertThat(table.applied).as("asked again in the next round").isEmpty();
        time.setCurrentTime(CorrectionsWriter.TICK_MS + CorrectionsWriter.ROUND_MS);

        assertThat(table.applied).containsExactly("s1");
        assertThat(w.snapshotState(2)).isEmpty();
    }

    @Test
    void correctionsOfASessionThatComeBetweenTwoRoundsWriteItsRowsOnce() throws Exception {
        FakeTable table = new FakeTable();
        table.stored.add("s1");
        CorrectionsWriter w = writer(table);
        time.setCurrentTime(CorrectionsWriter.TICK_MS); // a round, with nothing to do
        w.write(correction("s1", 0, 100), null);
        w.write(correction("s1", 0, 150), null);
        time.setCurrentTime(2 * CorrectionsWriter.TICK_MS);
        w.write(correction("s1", 0, 200), null);
        assertThat(table.applied).isEmpty();

        time.setCurrentTime(CorrectionsWriter.TICK_MS + CorrectionsWriter.ROUND_MS);
        assertThat(table.applied).containsExactly("s1");
    }

    @Test
    void atTheEndOfInputTheLastCorrectionsWaitUntilCloseForRowsTheEventsSinkFlushesAfterThisOne() throws Exception {
        FakeTable table = new FakeTable();
        CorrectionsWriter w = writer(table);
        w.write(correction("s1", 0, 100), null);
        w.write(correction("s2", 200, 300), null);
        table.stored.add("s1");

        w.flush(true);
        assertThat(table.applied)
                .as("nothing applied to part of its rows: they may be in the events sink of the same task")
                .isEmpty();

        table.stored.add("s2"); // the events sink flushed at its own end of input
        w.close();
        assertThat(table.applied).containsExactly("s1", "s2");
    }

    @Test
    void aNewerCorrectionOfTheSameSessionOrOneCoveringAnotherReplacesTheWaitingOne() throws Exception {
        FakeTable table = new FakeTable();
        CorrectionsWriter w = writer(table);
        w.write(correction("s1", 0, 100), null);
        w.write(correction("s2", 200, 300), null);
        w.write(correction("s1", 0, 150), null);
        w.write(correction("merged", 0, 300), null); // s1 and s2 became one session

        assertThat(w.snapshotState(1)).containsExactly(correction("merged", 0, 300));
    }

    @Test
    void aCorrectionWaitingAMinuteCorrectsWhatIsThereAndKeepsWaitingThenIsGivenUpAfterAnHour() throws Exception {
        FakeTable table = new FakeTable();
        CorrectionsWriter w = writer(table);
        w.write(correction("s1", 0, 100), null);

        time.setCurrentTime(CorrectionsWriter.INCOMPLETE_AFTER_MS);
        assertThat(table.applied).containsExactly("s1 (part)");
        assertThat(w.snapshotState(1)).hasSize(1);

        w.flush(false);
        time.setCurrentTime(CorrectionsWriter.GIVE_UP_AFTER_MS + 1);
        assertThat(w.snapshotState(2)).isEmpty();
    }

    @Test
    void clickHouseNotAnsweringIsRetriedAndTenFailuresInARowFailTheJob() throws Exception {
        FakeTable table = new FakeTable();
        table.stored.add("s1");
        table.failuresLeft = 2;
        CorrectionsWriter w = writer(table);
        w.write(correction("s1", 0, 100), null);
        long t = 0;
        time.setCurrentTime(t += CorrectionsWriter.TICK_MS);
        time.setCurrentTime(t += CorrectionsWriter.ROUND_MS);
        assertThat(w.snapshotState(1)).as("kept while failing").hasSize(1);
        time.setCurrentTime(t += CorrectionsWriter.ROUND_MS);
        assertThat(table.applied).containsExactly("s1");

        table.failuresLeft = CorrectionsWriter.MAX_FAILURES;
        w.write(correction("s2", 0, 100), null);
        for (int i = 0; i < CorrectionsWriter.MAX_FAILURES - 1; i++) {
            time.setCurrentTime(t += 31_000); // past the longest backoff
        }
        assertThat(w.snapshotState(2)).hasSize(1);
        time.setCurrentTime(t += 31_000);
        assertThatThrownBy(() -> w.flush(false)).hasMessageContaining("10 attempts in a row");
    }

    @Test
    void restoredCorrectionsAreAppliedLikeNewOnes() throws Exception {
        FakeTable table = new FakeTable();
        table.stored.add("s1");
        CorrectionsSink.StateSerializer serializer = new CorrectionsSink.StateSerializer();
        SessionCorrection back =
                serializer.deserialize(serializer.getVersion(), serializer.serialize(correction("s1", 0, 100)));
        CorrectionsWriter w = writer(table);
        w.restore(back);
        time.setCurrentTime(CorrectionsWriter.TICK_MS);

        assertThat(table.applied).containsExactly("s1");
    }

    @Test
    void aWaitingCorrectionKeepsItsFunnelsAndOneOfTheFormatBeforeThemLeavesTheTagsAsStored() throws Exception {
        CorrectionsSink.StateSerializer serializer = new CorrectionsSink.StateSerializer();
        SessionCorrection c = correction("s1", 0, 100);
        c.funnels = new String[] {"{\"id\": \"f\", \"name\": \"caf\u00e9\"}", "{\"id\": \"g\"}"};
        c.joined = new JoinedFix[] {
            new JoinedFix(1, 2, "backend", new String[0], new String[] {"a.plan", "a.x"}, new String[] {"pro", ""})
        };
        assertThat(serializer.deserialize(serializer.getVersion(), serializer.serialize(c)))
                .isEqualTo(c)
                .satisfies(r -> assertThat(r.funnels).isEqualTo(c.funnels))
                .satisfies(r -> assertThat(r.joined).isEqualTo(c.joined));

        org.apache.flink.core.memory.DataOutputSerializer older =
                new org.apache.flink.core.memory.DataOutputSerializer(64);
        older.writeUTF(c.userId);
        older.writeUTF(c.sessionId);
        older.writeInt(c.sessionNumber);
        older.writeLong(c.start);
        older.writeLong(c.end);
        older.writeInt(c.events);
        SessionCorrection read = serializer.deserialize(1, older.getCopyOfBuffer());
        assertThat(read.funnels).isNull();
        assertThat(read.joined).isNull();
        assertThat(read.sessionId).isEqualTo("s1");
        assertThat(read.events).isEqualTo(c.events);
    }

    @Test
    void aNewerCorrectionOfASessionTakesTheWaitingOnesJoinedFixesBeforeItsOwn() throws Exception {
        FakeTable table = new FakeTable();
        CorrectionsWriter w = writer(table);
        JoinedFix first = new JoinedFix(0, 50, "backend", new String[0], new String[] {"p"}, new String[] {"1"});
        JoinedFix second = new JoinedFix(20, 50, "backend", new String[0], new String[] {"p"}, new String[] {"2"});
        SessionCorrection older = correction("s1", 0, 100);
        older.joined = new JoinedFix[] {first};
        SessionCorrection newer = correction("s1", 0, 120);
        newer.joined = new JoinedFix[] {second};
        w.write(older, null);
        w.write(newer, null);
        w.write(correction("s1", 0, 130), null);
        table.stored.add("s1");
        time.setCurrentTime(CorrectionsWriter.TICK_MS);

        assertThat(table.applied).containsExactly("s1");
        assertThat(table.given.get(table.given.size() - 1).joined)
                .as("in the order they came: the later values last")
                .containsExactly(first, second);
    }
}
