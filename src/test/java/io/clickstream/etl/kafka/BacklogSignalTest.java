package io.clickstream.etl.kafka;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class BacklogSignalTest {
    private static final long LAG = 30_000;
    private static final long NOW = 1_800_000_000_000L;

    /** Reads {@code records} published at {@code publishedAt}, each poll leaving more waiting; returns the changes. */
    private static int read(BacklogSignal signal, int records, long publishedAt, long now) {
        int changes = 0;
        for (int i = 0; i < records; i++) {
            signal.read(publishedAt);
            if (signal.polled(true, () -> now)) {
                changes++;
            }
        }
        return changes;
    }

    @Test
    void oldRecordsWithMoreWaitingAreABacklogOnceAThousandPollsHaveBeenSeen() {
        BacklogSignal signal = new BacklogSignal(LAG);

        assertThat(read(signal, BacklogSignal.POLLS_PER_CHECK - 1, NOW - 3_600_000, NOW))
                .isZero();
        assertThat(signal.backlog()).isFalse();
        assertThat(read(signal, 1, NOW - 3_600_000, NOW)).isEqualTo(1);
        assertThat(signal.backlog()).isTrue();
        assertThat(read(signal, 5 * BacklogSignal.POLLS_PER_CHECK, NOW - 3_600_000, NOW))
                .isZero();
        assertThat(signal.backlog()).isTrue();
    }

    @Test
    void recordsNewerThanTheLagAreLiveEvenWithMoreWaiting() {
        BacklogSignal signal = new BacklogSignal(LAG);

        assertThat(read(signal, 3 * BacklogSignal.POLLS_PER_CHECK, NOW - LAG + 1, NOW))
                .isZero();
        assertThat(signal.backlog()).isFalse();
    }

    @Test
    void theNewestRecordSinceTheLastCheckDecides() {
        BacklogSignal signal = new BacklogSignal(LAG);
        read(signal, BacklogSignal.POLLS_PER_CHECK, NOW - 3_600_000, NOW);

        // One fresh record among old ones (a live partition next to a lagging one) means live: the reader is not
        // held back, and the job keeps the short interval (the safe side).
        for (int i = 0; i < BacklogSignal.POLLS_PER_CHECK; i++) {
            signal.read(i == 10 ? NOW - 5 : NOW - 3_600_000);
            signal.polled(true, () -> NOW);
        }
        assertThat(signal.backlog()).isFalse();
    }

    @Test
    void aReaderThatCaughtUpSaysSoAtThePollThatFoundNothingMore() {
        BacklogSignal signal = new BacklogSignal(LAG);
        read(signal, BacklogSignal.POLLS_PER_CHECK, NOW - 3_600_000, NOW);
        assertThat(signal.backlog()).isTrue();

        // The backlog's last records, then the newest ones, then nothing waiting: checked at once.
        signal.read(NOW - 2_000);
        assertThat(signal.polled(false, () -> NOW)).isTrue();
        assertThat(signal.backlog()).isFalse();
    }

    @Test
    void nothingReadAndNothingWaitingIsCaughtUpButNothingReadWithMoreWaitingChangesNothing() {
        BacklogSignal signal = new BacklogSignal(LAG);
        read(signal, BacklogSignal.POLLS_PER_CHECK, NOW - 3_600_000, NOW);

        // Polls that emitted records without a time (none here: the Kafka source always gives one) say nothing.
        for (int i = 0; i < 3 * BacklogSignal.POLLS_PER_CHECK; i++) {
            signal.polled(true, () -> NOW);
        }
        assertThat(signal.backlog()).isTrue();

        assertThat(signal.polled(false, () -> NOW)).isTrue();
        assertThat(signal.backlog()).isFalse();
    }

    @Test
    void aBacklogCaughtUpWithThatLastsAShortWhileIsStillABacklog() {
        BacklogSignal signal = new BacklogSignal(LAG);
        read(signal, BacklogSignal.POLLS_PER_CHECK, NOW - 3_600_000, NOW);

        // The reader's queue ran empty for a moment (the fetch behind): the records read since the last check were
        // old, so the answer stays.
        read(signal, 100, NOW - 3_500_000, NOW);
        assertThat(signal.polled(false, () -> NOW)).isFalse();
        assertThat(signal.backlog()).isTrue();
    }

    @Test
    void theClockIsReadOnlyAtChecks() {
        BacklogSignal signal = new BacklogSignal(LAG);
        AtomicInteger reads = new AtomicInteger();

        for (int i = 0; i < 10 * BacklogSignal.POLLS_PER_CHECK; i++) {
            signal.read(NOW - 3_600_000);
            signal.polled(true, () -> {
                reads.incrementAndGet();
                return NOW;
            });
        }
        assertThat(reads).hasValue(10);
    }
}
