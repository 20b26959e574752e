package io.clickstream.etl.session;

import static org.assertj.core.api.Assertions.assertThat;

import io.clickstream.etl.event.Event;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.RepetitionInfo;
import org.junit.jupiter.api.Test;

/**
 * Events that come after others of later times (late by minutes to hours, within the history): the rows the assigner
 * gave, corrected as its corrections say, and the sessions it keeps, end equal to the event-time truth computed here
 * from the events alone — ids, numbers, indexes and the sessions' rows.
 */
class LateEventCorrectionsTest {
    private static final long MINUTE = 60_000;
    private static final long GAP = 30 * MINUTE;
    private static final long T0 = 1_795_000_000_000L;

    private final SessionAssigner assigner = new SessionAssigner(SessionRules.defaults());

    /** The table as the job leaves it: each event's current row, and each session's current row. */
    private final Map<String, long[]> stored = new HashMap<>(); // event id -> {time}

    private final Map<String, String> storedSession = new HashMap<>();
    private final Map<String, Integer> storedNumber = new HashMap<>();
    private final Map<String, Integer> storedIndex = new HashMap<>();
    private final Map<String, Boolean> sessionRetired = new TreeMap<>();
    private int rowsRewritten;

    private static Event ev(String id, long time) {
        Event e = new Event();
        e.eventId = id;
        e.userId = "u1";
        e.source = "web";
        e.eventType = "page_view";
        e.eventTime = time;
        e.kafkaTimestamp = T0 + 100 * 24 * 60 * MINUTE; // read now: never older than the history by record time
        return e;
    }

    /** One batch through the assigner, its rows stored and its corrections applied as the ClickHouse side does. */
    private void batch(UserHistory history, List<Event> events) {
        List<SessionAssignment> out = assigner.assign("u1", history, new ArrayList<>(events));
        for (int i = 0; i < events.size(); i++) {
            Event e = events.get(i);
            SessionAssignment a = out.get(i);
            if (a.duplicate()) {
                continue;
            }
            stored.put(e.eventId, new long[] {e.eventTime});
            storedSession.put(e.eventId, a.sessionId());
            storedNumber.put(e.eventId, a.sessionNumber());
            storedIndex.put(e.eventId, a.index());
        }
        for (SessionRow r : assigner.retired()) {
            sessionRetired.put(r.sessionId, true);
        }
        for (SessionCorrection c : assigner.corrections("u1")) {
            List<String> in = new ArrayList<>();
            stored.forEach((id, t) -> {
                if (t[0] >= c.start && t[0] <= c.end) {
                    in.add(id);
                }
            });
            assertThat(in).as("rows of %s", c).hasSize(c.events);
            in.sort(Comparator.<String>comparingLong(id -> stored.get(id)[0]).thenComparing(id -> id));
            for (int i = 0; i < in.size(); i++) {
                storedSession.put(in.get(i), c.sessionId);
                storedNumber.put(in.get(i), c.sessionNumber);
                storedIndex.put(in.get(i), i);
                rowsRewritten++;
            }
        }
        for (UserHistory.Session s : history.sessions) {
            sessionRetired.put(s.id, false);
        }
    }

    /** The truth: sessions by the gap over the events in (time, id) order. */
    private static Map<String, Object[]> truth(List<Event> events) {
        List<Event> sorted = new ArrayList<>(events);
        sorted.sort(Comparator.<Event>comparingLong(e -> e.eventTime).thenComparing(e -> e.eventId));
        Map<String, Object[]> out = new HashMap<>();
        int number = 0;
        int index = 0;
        String id = null;
        long last = Long.MIN_VALUE;
        for (Event e : sorted) {
            if (id == null || e.eventTime - last >= GAP) {
                number++;
                index = 0;
                id = SessionKeys.sessionId("u1", e.eventTime);
            }
            last = e.eventTime;
            out.put(e.eventId, new Object[] {id, number, index++});
        }
        return out;
    }

    private void assertStoredEqualsTruth(UserHistory history, List<Event> events) {
        Map<String, Object[]> truth = truth(events);
        List<String> wrong = new ArrayList<>();
        truth.forEach((id, want) -> {
            Object[] got = {storedSession.get(id), storedNumber.get(id), storedIndex.get(id)};
            if (!java.util.Arrays.equals(got, want)) {
                wrong.add(id + " " + java.util.Arrays.toString(got) + " truth " + java.util.Arrays.toString(want));
            }
        });
        assertThat(wrong).as("events whose stored row differs from the truth").isEmpty();
        Map<String, Integer> trueCounts = new TreeMap<>();
        truth.values().forEach(t -> trueCounts.merge((String) t[0], 1, Integer::sum));
        Map<String, Integer> current = new TreeMap<>();
        for (UserHistory.Session s : history.sessions) {
            current.put(s.id, s.count);
        }
        assertThat(current).as("the sessions the history holds").isEqualTo(trueCounts);
        sessionRetired.forEach((id, retired) -> assertThat(!retired)
                .as("session %s is current exactly when the truth has it", id)
                .isEqualTo(trueCounts.containsKey(id)));
    }

    @Test
    void aLateEventInsideASessionMovesTheLaterEventsIndexes() {
        UserHistory h = new UserHistory();
        List<Event> all = List.of(ev("a", T0), ev("b", T0 + 10 * MINUTE), ev("c", T0 + 20 * MINUTE));
        batch(h, List.of(all.get(0), all.get(2)));
        batch(h, List.of(all.get(1)));

        assertStoredEqualsTruth(h, all);
        assertThat(rowsRewritten).isEqualTo(3);
    }

    @Test
    void aLateEventBetweenTwoSessionsMergesThemAndRenumbersTheOnesAfter() {
        UserHistory h = new UserHistory();
        List<Event> all = List.of(
                ev("a", T0), ev("b", T0 + 40 * MINUTE), ev("c", T0 + 200 * MINUTE), ev("late", T0 + 20 * MINUTE));
        batch(h, all.subList(0, 3));
        assertThat(h.lastNumber).isEqualTo(3);
        batch(h, List.of(all.get(3)));

        assertStoredEqualsTruth(h, all);
        assertThat(h.lastNumber).isEqualTo(2);
        assertThat(sessionRetired.get(SessionKeys.sessionId("u1", T0 + 40 * MINUTE)))
                .isTrue();
    }

    @Test
    void anEarlierEventRenamesTheSessionAfterIt() {
        UserHistory h = new UserHistory();
        List<Event> all = List.of(ev("a", T0), ev("b", T0 + 5 * MINUTE), ev("late", T0 - 10 * MINUTE));
        batch(h, all.subList(0, 2));
        batch(h, List.of(all.get(2)));

        assertStoredEqualsTruth(h, all);
        assertThat(sessionRetired.get(SessionKeys.sessionId("u1", T0))).isTrue();
    }

    @Test
    void aLateSessionBeforeOthersTakesItsNumberAndMovesTheirs() {
        UserHistory h = new UserHistory();
        List<Event> all = List.of(ev("a", T0), ev("b", T0 + 120 * MINUTE), ev("late", T0 - 60 * MINUTE));
        batch(h, all.subList(0, 2));
        batch(h, List.of(all.get(2)));

        assertStoredEqualsTruth(h, all);
        assertThat(h.lastNumber).isEqualTo(3);
    }

    @Test
    void aReplayedLateEventAsksForItsCorrectionsAgain() {
        UserHistory h = new UserHistory();
        List<Event> all = List.of(ev("a", T0), ev("b", T0 + 40 * MINUTE), ev("late", T0 + 20 * MINUTE));
        batch(h, all.subList(0, 2));
        batch(h, List.of(all.get(2)));
        UserHistory restored = UserHistory.fromFields(h.headerField(), h.changedSessionFields(true));

        assigner.assign("u1", restored, new ArrayList<>(List.of(all.get(2))));

        assertThat(assigner.corrections("u1"))
                .as("the same correction as the first time")
                .containsExactly(
                        new SessionCorrection("u1", SessionKeys.sessionId("u1", T0), 1, T0, T0 + 40 * MINUTE, 3));
    }

    @Test
    void aSessionFieldOfTheFormatBeforeTheLateMarkIsReadAsItWas() {
        UserHistory h = new UserHistory();
        batch(h, List.of(ev("a", T0), ev("b", T0 + 5 * MINUTE)));
        Map<String, byte[]> fields = new HashMap<>(h.changedSessionFields(true));
        String field = "s:" + h.sessionIds().get(0);
        assertThat(fields.get(field)[0]).isEqualTo(UserHistory.SESSION_FIELD_FORMAT);
        fields.get(field)[0] = UserHistory.SESSION_FIELD_FORMAT_UNMARKED;

        UserHistory read = UserHistory.fromFields(h.headerField(), fields);

        assertThat(read.toBytes()).isEqualTo(h.toBytes());
    }

    @RepeatedTest(40)
    void randomStreamsLateByUpToTwoHoursEndAsTheTruth(RepetitionInfo info) {
        Random random = new Random(info.getCurrentRepetition());
        List<Event> events = new ArrayList<>();
        long t = T0;
        int n = 0;
        for (int s = 0; s < 2 + random.nextInt(6); s++) {
            t += GAP + random.nextInt((int) (3 * GAP)) - (random.nextInt(4) == 0 ? GAP / 2 : 0);
            for (int i = 0; i < 1 + random.nextInt(8); i++) {
                t += random.nextInt((int) (GAP * 3 / 4));
                events.add(ev("e" + n++, t));
            }
        }
        // Arrival: in time order, but a quarter of the events up to two hours late; a few delivered twice.
        List<long[]> arrival = new ArrayList<>();
        for (int i = 0; i < events.size(); i++) {
            long late = random.nextInt(4) == 0 ? random.nextInt((int) (120 * MINUTE)) : 0;
            arrival.add(new long[] {events.get(i).eventTime + late, i});
        }
        arrival.sort(Comparator.comparingLong(a -> a[0]));
        UserHistory h = new UserHistory();
        for (int i = 0; i < arrival.size(); ) {
            int size = 1 + random.nextInt(3);
            List<Event> batch = new ArrayList<>();
            for (int k = i; k < Math.min(arrival.size(), i + size); k++) {
                batch.add(events.get((int) arrival.get(k)[1]));
            }
            i += size;
            batch(h, batch);
            if (random.nextInt(5) == 0) { // the state read back from its fields, as after a restart
                h = UserHistory.fromFields(h.headerField(), h.changedSessionFields(true));
            }
        }

        assertStoredEqualsTruth(h, events);
    }
}
