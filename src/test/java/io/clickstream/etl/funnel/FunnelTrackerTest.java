package io.clickstream.etl.funnel;

import static org.assertj.core.api.Assertions.assertThat;

import io.clickstream.etl.event.Event;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class FunnelTrackerTest {
    private static final String STEPS = "[{\"event_type\": \"a\"}, {\"event_type\": \"b\"}, {\"event_type\": \"c\"}]";

    private final FunnelTracker tracker = new FunnelTracker();
    private final FunnelVersions versions = new FunnelVersions();
    private final SessionFunnels state = new SessionFunnels();
    private int index;

    private void define(String id, String mode, String window, long at) {
        versions.add(new FunnelUpdate(
                id,
                at,
                at,
                "{\"id\": \"" + id + "\", \"mode\": \"" + mode + "\""
                        + (window == null ? "" : ", \"window\": \"" + window + "\"") + ", \"steps\": " + STEPS + "}"));
    }

    /** Feeds events "type@second" (published at that second too); returns each event's tags as "funnel:step". */
    private List<String> feed(String... events) {
        List<String> out = new ArrayList<>();
        for (String spec : events) {
            String[] p = spec.split("@");
            Event e = new Event();
            e.eventType = p[0];
            e.eventTime = Long.parseLong(p[1]) * 1000;
            e.kafkaTimestamp = e.eventTime;
            e.sessionIndex = index++;
            out.add(tags(e));
        }
        return out;
    }

    private String tags(Event e) {
        List<SessionFunnels.Tag> tags = new ArrayList<>();
        tracker.process(state, e, versions.activeAt(e.kafkaTimestamp), tags);
        return tags.stream()
                .map(t -> t.funnelId() + ":" + t.step())
                .reduce((a, b) -> a + " " + b)
                .orElse("-");
    }

    @Test
    void sequentialAllowsOtherEventsBetweenSteps() {
        define("f", "sequential", null, 0);
        assertThat(feed("a@1", "x@2", "b@3", "x@4", "a@5", "c@6")).containsExactly("f:1", "-", "f:2", "-", "-", "f:3");
    }

    @Test
    void sequentialNeedsTheStepsInOrder() {
        define("f", "sequential", null, 0);
        assertThat(feed("b@1", "c@2", "a@3", "c@4", "b@5")).containsExactly("-", "-", "f:1", "-", "f:2");
    }

    @Test
    void strictEndsTheChainAtAnyOtherEvent() {
        define("f", "strict", null, 0);
        assertThat(feed("a@1", "x@2", "b@3", "a@4", "b@5", "x@6", "c@7"))
                .containsExactly("f:1", "-", "-", "-", "f:2", "-", "-");
    }

    @Test
    void strictCountsConsecutiveSteps() {
        define("f", "strict", null, 0);
        assertThat(feed("a@1", "b@2", "c@3")).containsExactly("f:1", "f:2", "f:3");
    }

    @Test
    void windowIsMeasuredFromTheChainStartInclusively() {
        define("f", "sequential", "10s", 0);
        assertThat(feed("a@0", "b@5", "c@11")).containsExactly("f:1", "f:2", "-");
    }

    @Test
    void windowBoundaryItselfStillCounts() {
        define("f", "sequential", "10s", 0);
        assertThat(feed("a@0", "b@5", "c@10")).containsExactly("f:1", "f:2", "f:3");
    }

    @Test
    void aLaterStartGivesAChainThatFitsTheWindow() {
        // windowFunnel keeps the latest start per step: the second 'a' opens a chain that 'b' and 'c' complete in time.
        define("f", "sequential", "10s", 0);
        assertThat(feed("a@0", "a@20", "b@25", "c@29")).containsExactly("f:1", "-", "f:2", "f:3");
    }

    @Test
    void strictWindowAlsoCounts() {
        define("f", "strict", "10s", 0);
        assertThat(feed("a@0", "b@5", "c@11", "a@12", "b@13", "c@14"))
                .containsExactly("f:1", "f:2", "-", "-", "-", "f:3");
    }

    @Test
    void levelsOnlyRiseAndEachStepIsTaggedOnce() {
        define("f", "sequential", null, 0);
        assertThat(feed("a@1", "b@2", "a@3", "b@4", "c@5", "c@6")).containsExactly("f:1", "f:2", "-", "-", "f:3", "-");
    }

    @Test
    void severalFunnelsTagTheSameEvent() {
        define("f", "sequential", null, 0);
        define("g", "strict", null, 0);
        assertThat(feed("a@1", "b@2")).containsExactly("f:1 g:1", "f:2 g:2");
    }

    @Test
    void aDefinitionAppliesToEventsPublishedFromItsTimeOn() {
        define("f", "sequential", null, 3_000);
        assertThat(feed("a@1", "b@2", "a@3", "b@4")).containsExactly("-", "-", "f:1", "f:2");
    }

    @Test
    void aChangedDefinitionStartsSessionsInProgressAfresh() {
        define("f", "sequential", null, 0);
        assertThat(feed("a@1", "b@2")).containsExactly("f:1", "f:2");
        define("f", "sequential", null, 3_000); // same steps, new version
        assertThat(feed("c@3", "a@4", "b@5", "c@6")).containsExactly("-", "f:1", "f:2", "f:3");
    }

    @Test
    void aRemovedFunnelTagsNothingMore() {
        define("f", "sequential", null, 0);
        assertThat(feed("a@1")).containsExactly("f:1");
        versions.add(new FunnelUpdate("f", 2_000, 2_000, null));
        assertThat(feed("b@2", "c@3")).containsExactly("-", "-");
        assertThat(state.funnels).isEmpty();
    }

    @Test
    void replayedEventsGetTheirRecordedTagsEvenAfterTheDefinitionChanged() {
        define("f", "sequential", null, 0);
        assertThat(feed("a@1", "x@2", "b@3")).containsExactly("f:1", "-", "f:2");
        versions.add(new FunnelUpdate("f", 500, 500, null)); // even a removal between must not change the past
        index = 0;
        assertThat(feed("a@1", "x@2", "b@3")).containsExactly("f:1", "-", "f:2");
    }

    @Test
    void stateSurvivesItsBinaryForm() {
        define("f", "sequential", "1h", 0);
        define("g", "strict", null, 0);
        feed("a@1", "b@2");
        SessionFunnels copy = SessionFunnels.fromBytes(state.toBytes());
        assertThat(copy.toString()).isEqualTo(state.toString());
        assertThat(copy.toBytes()).isEqualTo(state.toBytes());
        assertThat(copy.tagsAt(1)).containsExactly(new SessionFunnels.Tag("f", 2), new SessionFunnels.Tag("g", 2));
    }

    @Test
    void stateWrittenInTheFixedWidthFormatIsReadAsBefore() throws Exception {
        define("f", "sequential", "1h", 0);
        define("g", "strict", null, 0);
        feed("a@1", "b@2", "x@3", "c@4");
        // Format 1 as the previous version wrote it: fixed-width numbers, each tag naming its funnel.
        org.apache.flink.core.memory.DataOutputSerializer out =
                new org.apache.flink.core.memory.DataOutputSerializer(256);
        out.writeByte(1);
        out.writeInt(state.maxIndex);
        out.writeShort(state.funnels.size());
        for (var e : state.funnels.entrySet()) {
            out.writeUTF(e.getKey());
            out.writeLong(e.getValue().versionTime);
            out.writeLong(e.getValue().versionOffset);
            out.writeByte(e.getValue().level);
            out.writeByte(e.getValue().chain);
            out.writeByte(e.getValue().starts.length);
            for (long start : e.getValue().starts) {
                out.writeLong(start);
            }
        }
        out.writeInt(state.tags.size());
        for (var e : state.tags.entrySet()) {
            out.writeInt(e.getKey());
            out.writeByte(e.getValue().size());
            for (SessionFunnels.Tag t : e.getValue()) {
                out.writeUTF(t.funnelId());
                out.writeByte(t.step());
            }
        }
        byte[] older = out.getCopyOfBuffer();

        SessionFunnels read = SessionFunnels.fromBytes(older);
        assertThat(read.toString()).isEqualTo(state.toString());
        assertThat(read.toBytes()).isEqualTo(state.toBytes());
        assertThat(state.toBytes().length)
                .as("the current format is the smaller")
                .isLessThan(older.length / 2);
    }

    @Test
    void aSessionTaggedFromItsRowsStaysSoAndTheFormatBeforeTheMarkIsStillRead() {
        define("f", "sequential", "1h", 0);
        feed("a@1", "b@2");
        byte[] unmarked = state.toBytes();
        state.markCorrectedByRows();
        SessionFunnels copy = SessionFunnels.fromBytes(state.toBytes());
        assertThat(copy.correctedByRows()).isTrue();
        assertThat(copy.toString()).isEqualTo(state.toString());

        // Format 2, as the previous version wrote it: format 3 without its byte of flags.
        byte[] older = new byte[unmarked.length - 1];
        older[0] = 2;
        System.arraycopy(unmarked, 2, older, 1, unmarked.length - 2);
        SessionFunnels read = SessionFunnels.fromBytes(older);
        assertThat(read.correctedByRows()).isFalse();
        assertThat(read.toBytes()).isEqualTo(unmarked);
    }

    @Test
    void tagsOfAFunnelNoLongerInProgressKeepTheirFunnel() {
        define("f", "sequential", null, 0);
        feed("a@1", "b@2");
        state.funnels.clear(); // progress gone, tags stay (a removed funnel's past)
        SessionFunnels copy = SessionFunnels.fromBytes(state.toBytes());
        assertThat(copy.tagsAt(0)).containsExactly(new SessionFunnels.Tag("f", 1));
        assertThat(copy.tagsAt(1)).containsExactly(new SessionFunnels.Tag("f", 2));
        assertThat(copy.maxIndex()).isEqualTo(1);
    }

    @Test
    void unreadableStateIsReportedNotMisread() {
        assertThat(SessionFunnels.fromBytes(null).maxIndex()).isEqualTo(-1);
        for (byte[] bad : List.of(
                new byte[0],
                new byte[] {9},
                new byte[] {1, 0},
                new byte[] {2, 0},
                new byte[] {2, 0, 1, 0, 1, 'f', 1},
                new byte[] {3, 2, 0, 0, 0, 0},
                "garbage".getBytes())) {
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> SessionFunnels.fromBytes(bad))
                    .isInstanceOf(IllegalArgumentException.class);
        }
    }
}
