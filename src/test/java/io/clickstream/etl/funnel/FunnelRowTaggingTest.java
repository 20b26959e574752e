package io.clickstream.etl.funnel;

import static org.assertj.core.api.Assertions.assertThat;

import io.clickstream.etl.event.Event;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class FunnelRowTaggingTest {
    private static final String STEPS = "[{\"event_type\": \"a\"}, {\"event_type\": \"b\"}, {\"event_type\": \"c\"}]";
    private static final String SEQUENTIAL =
            "{\"id\": \"f\", \"mode\": \"sequential\", \"window\": \"10s\", \"steps\": " + STEPS + "}";
    private static final String STRICT = "{\"id\": \"g\", \"mode\": \"strict\", \"steps\": " + STEPS + "}";

    private final FunnelRowTagging tagging = new FunnelRowTagging();

    /** The step each type matches in both funnels (1-based, 0 none), as the step expression reads it from a row. */
    private static int step(String type) {
        return switch (type) {
            case "a" -> 1;
            case "b" -> 2;
            case "c" -> 3;
            default -> 0;
        };
    }

    private String[] tag(String... events) {
        long[] times = new long[events.length];
        int[][] steps = new int[events.length][2];
        for (int i = 0; i < events.length; i++) {
            String[] p = events[i].split("@");
            times[i] = Long.parseLong(p[1]) * 1000;
            steps[i][0] = step(p[0]);
            steps[i][1] = step(p[0]);
        }
        return tagging.tags(new String[] {SEQUENTIAL, STRICT}, times, steps);
    }

    @Test
    void tagsEachRowWithTheLevelsItRaisesItsSessionToFunnelByFunnel() {
        assertThat(tag("a@1", "x@2", "b@3", "c@4")).containsExactly("f:1,g:1", "", "f:2", "f:3");
        assertThat(tag("a@1", "b@2", "c@30")).as("c beyond f's window").containsExactly("f:1,g:1", "f:2,g:2", "g:3");
    }

    @Test
    void readsEachRowsStepWithTheRetroactiveReportsExpression() {
        assertThat(tagging.stepExpression(STRICT))
                .isEqualTo(FunnelSql.stepExpression(FunnelDefinition.parse(STRICT)))
                .startsWith("multiIf(");
    }

    @Test
    void givesTheRowsOfASessionTheTagsTheTrackerGivesItsEventsInTimeOrder() {
        Random random = new Random(7);
        String[] types = {"a", "b", "c", "x"};
        FunnelVersions versions = new FunnelVersions();
        versions.add(new FunnelUpdate("f", 0, 0, SEQUENTIAL));
        versions.add(new FunnelUpdate("g", 0, 1, STRICT));
        for (int session = 0; session < 500; session++) {
            int n = 1 + random.nextInt(30);
            String[] events = new String[n];
            FunnelTracker tracker = new FunnelTracker();
            SessionFunnels state = new SessionFunnels();
            List<String> expected = new ArrayList<>();
            long t = 0;
            for (int i = 0; i < n; i++) {
                t += random.nextInt(4) * 1000L; // ties of time too: rows come in (time, event id) order
                events[i] = types[random.nextInt(types.length)] + "@" + t / 1000;
                Event e = new Event();
                e.eventType = events[i].substring(0, 1);
                e.eventTime = t;
                e.sessionIndex = i;
                List<SessionFunnels.Tag> tags = new ArrayList<>();
                tracker.process(state, e, versions.activeAt(0), tags);
                expected.add(String.join(
                        ",",
                        tags.stream().map(g -> g.funnelId() + ":" + g.step()).toList()));
            }
            assertThat(tag(events)).as(String.join(" ", events)).containsExactlyElementsOf(expected);
        }
    }
}
