package io.clickstream.etl.deadletter;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ReplayedDeadLettersTest {

    @Test
    void aFirstRunAdmitsAllAndRecordsFromItsFirstToItsLastDeadLetterOnceTheCheckpointCompletes() {
        ReplayedDeadLetters r = new ReplayedDeadLetters(Map.of(), List.of());
        assertThat(r.admit("t:0", 5)).isTrue();
        assertThat(r.admit("t:0", 9)).isTrue();
        assertThat(r.admit("t:1", 3)).isTrue();
        r.snapshot(1);
        assertThat(r.admit("t:0", 12)).isTrue();
        r.snapshot(2);
        assertThat(r.completed(1)).isEqualTo(Map.of("t:0", Ranges.of(5, 9), "t:1", Ranges.of(3, 3)));
        assertThat(r.completed(1)).as("told once").isEmpty();
        assertThat(r.completed(2)).isEqualTo(Map.of("t:0", Ranges.of(5, 12), "t:1", Ranges.of(3, 3)));
    }

    @Test
    void deadLettersAfterTheLastCompletedCheckpointAreNotRecorded() {
        ReplayedDeadLetters r = new ReplayedDeadLetters(Map.of(), List.of());
        r.admit("t:0", 5);
        r.snapshot(1);
        r.admit("t:0", 8); // its transaction is aborted if the run stops now
        assertThat(r.completed(1)).isEqualTo(Map.of("t:0", Ranges.of(5, 5)));
    }

    @Test
    void aReplayLeavesOutInputsInsideRecordedRangesAndWritesThoseOutside() {
        ReplayedDeadLetters r = new ReplayedDeadLetters(Map.of("t:0", Ranges.of(100, 200)), List.of());
        assertThat(r.admit("t:0", 50)).as("before the earlier run started").isTrue();
        assertThat(r.admit("t:0", 100)).isFalse();
        assertThat(r.admit("t:0", 200)).isFalse();
        assertThat(r.admit("t:0", 201)).isTrue();
        assertThat(r.admit("t:1", 150)).as("another partition").isTrue();
        assertThat(r.admit("other-id:0", 150))
                .as("a topic created again has another id")
                .isTrue();
        r.snapshot(7);
        assertThat(r.completed(7)).containsEntry("t:0", Ranges.of(50, 201));
    }

    @Test
    void aRestoreRecordsTheCheckpointsRangesAndContinuesThem() {
        ReplayedDeadLetters r = new ReplayedDeadLetters(Map.of(), List.of(new ReplayedDeadLetters.Range("t:0", 5, 9)));
        assertThat(r.restored()).isEqualTo(Map.of("t:0", Ranges.of(5, 9)));
        assertThat(r.admit("t:0", 9))
                .as("committed with the checkpoint restored")
                .isFalse();
        assertThat(r.admit("t:0", 14)).isTrue();
        r.snapshot(3);
        assertThat(r.completed(3)).isEqualTo(Map.of("t:0", Ranges.of(5, 14)));
    }
}
