package io.clickstream.etl.session;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.clickstream.etl.event.Event;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

class SessionAssignerTest {
    private final SessionAssigner assigner = new SessionAssigner(SessionRules.defaults());

    /** An event at {@code hhmm} UTC on 2026-11-22 (or "+1d 10:00" for the next days). */
    private static Event ev(String id, String when) {
        return ev(id, when, "web");
    }

    private static Event ev(String id, String when, String source) {
        int days = 0;
        if (when.startsWith("+")) {
            days = Integer.parseInt(when.substring(1, when.indexOf('d')));
            when = when.substring(when.indexOf(' ') + 1);
        }
        Event e = new Event();
        e.eventId = id;
        e.userId = "u1";
        e.source = source;
        e.eventTime = Instant.parse("2026-11-22T" + when + ":00Z")
                .plus(Duration.ofDays(days))
                .toEpochMilli();
        return e;
    }

    private Map<String, SessionAssignment> run(SessionAssigner a, UserHistory h, List<Event> events) {
        List<SessionAssignment> out = a.assign("u1", h, events);
        Map<String, SessionAssignment> byId = new HashMap<>();
        for (int i = 0; i < events.size(); i++) {
            byId.put(events.get(i).eventId, out.get(i));
        }
        return byId;
    }

    private Map<String, SessionAssignment> run(UserHistory h, Event... events) {
        return run(assigner, h, List.of(events));
    }

    @Test
    void eventsLessThanTheGapApartShareASession() {
        Map<String, SessionAssignment> r = run(new UserHistory(), ev("a", "10:00"), ev("b", "10:10"), ev("c", "10:39"));

        assertThat(r.values())
                .extracting(SessionAssignment::sessionId)
                .containsOnly(r.get("a").sessionId());
        assertThat(r.get("a").sessionNumber()).isEqualTo(1);
        assertThat(List.of(r.get("a").index(), r.get("b").index(), r.get("c").index()))
                .containsExactly(0, 1, 2);
    }

    @Test
    void aSessionKeepsItsFirstSourcesByTimeUpToTheCapAndTakesEveryEvent() {
        UserHistory h = new UserHistory();
        List<Event> events = new java.util.ArrayList<>();
        for (int i = 0; i < 100; i++) {
            events.add(ev(String.format("e%03d", i), String.format("10:%02d", i % 20), "s" + (i % 20) + "-" + i));
        }
        run(assigner, h, events);

        UserHistory.Session s = UserHistory.fromBytes(h.toBytes()).sessions.get(0);
        assertThat(s.count).isEqualTo(100);
        List<String> firstByTime = events.stream()
                .sorted(java.util.Comparator.comparingLong((Event e) -> e.eventTime)
                        .thenComparing(e -> e.eventId))
                .map(e -> e.source)
                .limit(SessionAssigner.MAX_SOURCES_PER_SESSION)
                .toList();
        assertThat(s.sources).containsExactlyInAnyOrderElementsOf(firstByTime);
    }

    @Test
    void aGapOfThirtyMinutesStartsTheNextSession() {
        Map<String, SessionAssignment> r = run(new UserHistory(), ev("a", "10:00"), ev("b", "10:30"));

        assertThat(r.get("a").sessionId()).isNotEqualTo(r.get("b").sessionId());
        assertThat(r.get("b").sessionNumber()).isEqualTo(2);
        assertThat(r.get("b").index()).isZero();
    }

    @Test
    void sessionIdDependsOnlyOnUserAndStart() {
        Map<String, SessionAssignment> r = run(new UserHistory(), ev("a", "10:00"));

        assertThat(r.get("a").sessionId())
                .isEqualTo(SessionKeys.sessionId("u1", ev("x", "10:00").eventTime))
                .hasSize(16)
                .isNotEqualTo(SessionKeys.sessionId("u2", ev("x", "10:00").eventTime));
    }

    @Test
    void oneSessionSpansAllSourcesOfAUser() {
        Map<String, SessionAssignment> r = run(
                new UserHistory(),
                ev("a", "10:00", "web"),
                ev("b", "10:05", "app"),
                ev("c", "10:06", "billing"),
                ev("d", "10:20", "web"));

        assertThat(r.values())
                .extracting(SessionAssignment::sessionId)
                .containsOnly(r.get("a").sessionId());
    }

    @Test
    void arrivalOrderDoesNotMatter() {
        List<Event> events = new ArrayList<>();
        String[] times = {"09:00", "09:20", "09:55", "10:20", "10:21", "11:30", "11:31", "11:31", "13:00", "13:29"};
        for (int i = 0; i < times.length; i++) {
            events.add(ev("e" + i, times[i], i % 2 == 0 ? "web" : "app"));
        }
        Map<String, SessionAssignment> expected = run(assigner, new UserHistory(), events);
        Random random = new Random(3);
        for (int round = 0; round < 20; round++) {
            List<Event> shuffled = new ArrayList<>(events);
            Collections.shuffle(shuffled, random);
            assertThat(run(assigner, new UserHistory(), shuffled)).isEqualTo(expected);
        }
        assertThat(expected.values())
                .extracting(SessionAssignment::sessionNumber)
                .containsOnly(1, 2, 3, 4);
    }

    @Test
    void replayWithHistoryAheadGivesIdenticalAnswers() {
        List<Event> all = new ArrayList<>();
        for (int i = 0; i < 30; i++) {
            all.add(ev("e" + i, String.format("%02d:%02d", 8 + i / 10 * 2, (i % 10) * 5)));
        }
        UserHistory h = new UserHistory();
        Map<String, SessionAssignment> first = new HashMap<>();
        for (int from = 0; from < 30; from += 7) {
            first.putAll(run(assigner, h, all.subList(from, Math.min(30, from + 7))));
        }
        assertThat(first.values()).extracting(SessionAssignment::sessionNumber).containsOnly(1, 2, 3);

        // Redis is ahead: the whole range again, then a middle part again, in other batches.
        Map<String, SessionAssignment> again = run(assigner, h, all);
        Map<String, SessionAssignment> middle = run(assigner, h, all.subList(12, 19));

        again.forEach((id, a) -> assertThat(a).isEqualTo(withReplayed(first.get(id))));
        middle.forEach((id, a) -> assertThat(a).isEqualTo(withReplayed(first.get(id))));
        assertThat(h.sessionCount()).isEqualTo(3);
    }

    private static SessionAssignment withReplayed(SessionAssignment a) {
        return new SessionAssignment(a.sessionId(), a.sessionNumber(), a.index(), true);
    }

    @Test
    void historySurvivesItsStoredForm() {
        UserHistory h = new UserHistory();
        Map<String, SessionAssignment> first = run(h, ev("a", "10:00"), ev("b", "10:10"), ev("c", "12:00"));

        UserHistory restored = UserHistory.fromBytes(h.toBytes());
        Map<String, SessionAssignment> replay = run(restored, ev("c", "12:00"), ev("a", "10:00"), ev("b", "10:10"));
        Map<String, SessionAssignment> next = run(restored, ev("d", "14:00"));

        replay.forEach((id, a) -> assertThat(a).isEqualTo(withReplayed(first.get(id))));
        assertThat(next.get("d").sessionNumber()).isEqualTo(3);
    }

    @Test
    void sessionsABatchDoesNotTouchGoBackByteForByteAndChangedOnesKeepEveryEvent() {
        UserHistory h = new UserHistory();
        Map<String, SessionAssignment> first = run(h, ev("a", "10:00"), ev("b", "10:10"), ev("c", "12:00"));
        byte[] stored = h.toBytes();

        assertThat(UserHistory.fromBytes(stored).toBytes())
                .as("read and written back unchanged")
                .isEqualTo(stored);

        // A new event in the 12:00 session and a replay of one in it: the 10:00 session is neither looked into nor
        // changed.
        UserHistory next = UserHistory.fromBytes(stored);
        run(next, ev("d", "12:05"), ev("c", "12:00"));
        UserHistory again = UserHistory.fromBytes(next.toBytes());
        Map<String, SessionAssignment> replay = run(again, ev("a", "10:00"), ev("b", "10:10"), ev("c", "12:00"));

        replay.forEach((id, a) -> assertThat(a).isEqualTo(withReplayed(first.get(id))));
        assertThat(again.sessions.get(1).remembered()).isEqualTo(2);
        assertThat(again.sessions.get(0).remembered()).isEqualTo(2);
    }

    @Test
    void aLongSessionReplayedWholeGetsEveryAnswerBack() {
        // More look-ups than the scan serves before an index is built: both ways must agree.
        List<Event> events = new java.util.ArrayList<>();
        for (int i = 0; i < 40; i++) {
            events.add(ev("e" + i, String.format("10:%02d", i)));
        }
        UserHistory h = new UserHistory();
        Map<String, SessionAssignment> first = run(h, events.toArray(new Event[0]));
        UserHistory restored = UserHistory.fromBytes(h.toBytes());

        java.util.Collections.reverse(events);
        Map<String, SessionAssignment> replay = run(restored, events.toArray(new Event[0]));

        assertThat(replay).hasSize(40);
        replay.forEach((id, a) -> assertThat(a).isEqualTo(withReplayed(first.get(id))));
        assertThat(restored.sessions.get(0).remembered()).isEqualTo(40);
    }

    @Test
    void aDuplicateDeliveryGetsTheSameAnswer() {
        List<SessionAssignment> r =
                assigner.assign("u1", new UserHistory(), List.of(ev("a", "10:00"), ev("a", "10:00")));

        assertThat(r.get(1)).isEqualTo(withReplayed(r.get(0)));
    }

    @Test
    void aLateEventWithinTheGapBeforeASessionBecomesItsFirstAndNamesIt() {
        UserHistory h = new UserHistory();
        Map<String, SessionAssignment> first = run(h, ev("a", "10:00"), ev("b", "10:10"));
        Map<String, SessionAssignment> late = run(h, ev("z", "09:45"));

        String renamed = SessionKeys.sessionId("u1", ev("z", "09:45").eventTime);
        assertThat(late.get("z")).isEqualTo(new SessionAssignment(renamed, 1, 0, false));
        assertThat(assigner.retired())
                .extracting(r -> r.sessionId)
                .containsExactly(first.get("a").sessionId());
        assertThat(assigner.corrections("u1"))
                .as("the stored events are ranked again under the new id")
                .containsExactly(new SessionCorrection(
                        "u1", renamed, 1, ev("z", "09:45").eventTime, ev("b", "10:10").eventTime, 3));
        assertThat(run(h, ev("y", "09:20")).get("y").sessionId())
                .as("the session now starts 09:45")
                .isEqualTo(SessionKeys.sessionId("u1", ev("y", "09:20").eventTime));
    }

    @Test
    void aLateEventFarFromAnySessionBeforeThemTakesTheFirstNumber() {
        UserHistory h = new UserHistory();
        run(h, ev("a", "10:00"));
        SessionAssignment late = run(h, ev("z", "07:00")).get("z");

        assertThat(late.sessionNumber()).isEqualTo(1);
        assertThat(late.sessionId()).isEqualTo(SessionKeys.sessionId("u1", ev("z", "07:00").eventTime));
        assertThat(assigner.corrections("u1"))
                .extracting(c -> c.sessionNumber)
                .as("its own session and the one after it, now number 2")
                .containsExactlyInAnyOrder(1, 2);
    }

    @Test
    void aLateEventOlderThanTheHistoryTakesTheNextNumberAndChangesNothingStored() {
        UserHistory h = new UserHistory();
        run(h, ev("a", "+3d 10:00"));
        SessionAssignment late = run(h, ev("z", "07:00")).get("z");

        assertThat(late.sessionNumber()).isEqualTo(2);
        assertThat(assigner.corrections("u1")).isEmpty();
    }

    @Test
    void anEventStampedFarAheadDoesNotMakeTheUsersCurrentSessionsLookOld() {
        UserHistory h = new UserHistory();
        Map<String, SessionAssignment> now = run(h, ev("a", "10:00"), ev("b", "10:10"));
        Event ahead = ev("ahead", "+3d 10:00"); // a client clock three days ahead, written to Kafka now
        ahead.kafkaTimestamp = ev("x", "10:11").eventTime;
        run(h, ahead);

        SessionAssignment next = run(h, ev("c", "10:20")).get("c");
        assertThat(next.sessionId())
                .as("the current session is still remembered")
                .isEqualTo(now.get("a").sessionId());
        assertThat(next.index()).isEqualTo(2);
    }

    @Test
    void anEventOlderThanTheHistoryStartsOneSessionThatTheBatchKeeps() {
        UserHistory h = new UserHistory();
        Map<String, SessionAssignment> active = run(h, ev("a", "+3d 10:00"), ev("b", "+3d 10:05"));
        // An upload of two events from three days ago, beyond the 48 h history, while the user is active now.
        Event old1 = ev("old-1", "10:00");
        Event old2 = ev("old-2", "10:05");
        old1.kafkaTimestamp = old2.kafkaTimestamp = ev("x", "+3d 10:06").eventTime;
        Map<String, SessionAssignment> late = run(h, old1, old2);

        assertThat(late.get("old-2").sessionId())
                .as("one session, not one per event")
                .isEqualTo(late.get("old-1").sessionId());
        assertThat(late.get("old-1").sessionNumber()).isEqualTo(2);
        assertThat(List.of(late.get("old-1").index(), late.get("old-2").index()))
                .containsExactly(0, 1);
        assertThat(h.sessions)
                .extracting(s -> s.id)
                .as("kept by the batch that made it")
                .contains(late.get("old-1").sessionId());

        SessionAssignment next = run(h, ev("c", "+3d 10:10")).get("c");
        assertThat(next.sessionId())
                .as("the active session goes on")
                .isEqualTo(active.get("a").sessionId());
        assertThat(next.index()).isEqualTo(2);
    }

    @Test
    void midnightSplitsSessionsInTheConfiguredZone() {
        SessionAssigner berlin = new SessionAssigner(
                new SessionRules(Duration.ofMinutes(30), ZoneId.of("Europe/Berlin"), null, Duration.ofHours(48), 100));
        // 22:50 UTC is 23:50 in Berlin, 23:05 UTC is 00:05 the next day there.
        Map<String, SessionAssignment> split =
                run(berlin, new UserHistory(), List.of(ev("a", "22:50"), ev("b", "23:05")));
        Map<String, SessionAssignment> unsplit =
                run(assigner, new UserHistory(), List.of(ev("a", "22:50"), ev("b", "23:05")));
        // Midnight UTC is 01:00 in Berlin: no split there.
        Map<String, SessionAssignment> utcMidnight =
                run(berlin, new UserHistory(), List.of(ev("a", "23:50"), ev("b", "+1d 00:05")));

        assertThat(split.get("a").sessionId()).isNotEqualTo(split.get("b").sessionId());
        assertThat(unsplit.get("a").sessionId()).isEqualTo(unsplit.get("b").sessionId());
        assertThat(utcMidnight.get("a").sessionId())
                .isEqualTo(utcMidnight.get("b").sessionId());
    }

    @Test
    void maxLengthCutsLongSessions() {
        SessionAssigner oneHour = new SessionAssigner(
                new SessionRules(Duration.ofMinutes(30), null, Duration.ofHours(1), Duration.ofHours(48), 100));
        List<Event> events = new ArrayList<>();
        for (int m = 0; m <= 90; m += 10) {
            events.add(ev("m" + m, String.format("%02d:%02d", 10 + m / 60, m % 60)));
        }
        Map<String, SessionAssignment> r = run(oneHour, new UserHistory(), events);

        assertThat(r.get("m60").sessionNumber()).isEqualTo(1);
        assertThat(r.get("m70").sessionNumber()).isEqualTo(2);
        assertThat(r.get("m90").sessionId()).isEqualTo(r.get("m70").sessionId());
    }

    @Test
    void historyForgetsOldSessionsButNeverReusesANumber() {
        UserHistory h = new UserHistory();
        run(h, ev("a", "10:00"), ev("b", "12:00"));
        SessionAssignment later = run(h, ev("c", "+3d 10:00")).get("c");

        assertThat(later.sessionNumber()).isEqualTo(3);
        assertThat(h.sessionCount()).isEqualTo(1);
    }

    @Test
    void eventsBeyondTheRememberedCapStillGetIndexes() {
        SessionAssigner capped =
                new SessionAssigner(new SessionRules(Duration.ofMinutes(30), null, null, Duration.ofHours(48), 3));
        UserHistory h = new UserHistory();
        Map<String, SessionAssignment> r = run(
                capped,
                h,
                List.of(ev("a", "10:00"), ev("b", "10:01"), ev("c", "10:02"), ev("d", "10:03"), ev("e", "10:04")));

        assertThat(r.get("e").index()).isEqualTo(4);
        assertThat(h.sessions.get(0).remembered()).isEqualTo(3);
        assertThat(h.sessions.get(0).count).isEqualTo(5);
    }

    @Test
    void storedFormIsCheckedWhenRead() {
        assertThat(UserHistory.fromBytes(null).sessionCount()).isZero();
        assertThat(UserHistory.fromBytes(new byte[0]).sessionCount()).isZero();
        assertThatThrownBy(() -> UserHistory.fromBytes(new byte[] {9, 0, 0}))
                .hasMessageContaining("unknown session history format 9");
        assertThatThrownBy(() -> UserHistory.fromBytes(new byte[] {1, 0, 0, 0, 0, 0, 0, 0, 5}))
                .hasMessageContaining("damaged");
    }

    @Test
    void keepsTheSummaryForTheSessionsTable() {
        UserHistory h = new UserHistory();
        Event a = ev("a", "10:05", "web");
        a.eventType = "page_view";
        a.url = "https://x.test/landing";
        a.referrer = "https://search.test/";
        Event b = ev("b", "10:20", "app");
        b.eventType = "page_view";
        b.url = "https://x.test/cart";
        b.ip = "81.2.69.142";
        b.userAgent = "UA/1";
        // As looked up before the shuffle.
        b.countryCode = "GB";
        b.country = "United Kingdom";
        b.region = "England";
        b.city = "London";
        b.browser = "Firefox";
        b.os = "Linux";
        b.deviceType = "Desktop";
        Event c = ev("c", "10:25", "billing");
        c.eventType = "payment";
        run(h, a, b);
        Event late = ev("late", "10:01", "web");
        late.eventType = "page_view";
        late.url = "https://x.test/ad";
        run(h, c, late);

        UserHistory.Session s = UserHistory.fromBytes(h.toBytes()).sessions.get(0);
        assertThat(s.count).isEqualTo(4);
        assertThat(s.pageViews).isEqualTo(3);
        assertThat(s.entryUrl).isEqualTo("https://x.test/ad");
        assertThat(s.referrer).isEmpty();
        assertThat(s.exitUrl).as("c has no url").isEmpty();
        assertThat(s.sources).containsExactly("app", "billing", "web");
        assertThat(s.entryGeo).as("geo of the earliest event with an IP, b").isTrue();
        assertThat(List.of(s.countryCode, s.country, s.region, s.city))
                .containsExactly("GB", "United Kingdom", "England", "London");
        assertThat(s.entryDevice).isTrue();
        assertThat(List.of(s.browser, s.os, s.deviceType)).containsExactly("Firefox", "Linux", "Desktop");
        assertThat(s.entryIp).as("nothing left to look up").isEmpty();
        assertThat(s.entryUserAgent).isEmpty();
        SessionRow row = SessionRows.row("u1", s);
        assertThat(row.ipAddress())
                .as("the row keeps the entry's geo, no lookup")
                .isNull();
        assertThat(row.userAgentText()).isNull();
        assertThat(List.of(row.countryCode, row.city, row.browser, row.deviceType))
                .containsExactly("GB", "London", "Firefox", "Desktop");
        assertThat(s.origin).as("the id is the earliest event's").isEqualTo(late.eventTime);
        assertThat(s.id).isEqualTo(SessionKeys.sessionId("u1", late.eventTime));
        assertThat(s.start).isEqualTo(late.eventTime);
    }

    @Test
    void readsHistoriesWrittenInTheFirstFormat() throws Exception {
        java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
        try (java.io.DataOutputStream out = new java.io.DataOutputStream(bytes)) {
            out.writeByte(1);
            out.writeInt(4); // last session number
            out.writeInt(1); // one session
            out.writeUTF("00000000000000ab");
            out.writeInt(4);
            out.writeLong(ev("x", "10:00").eventTime);
            out.writeLong(ev("x", "10:10").eventTime);
            out.writeInt(1);
            out.writeInt(1);
            out.writeLong(SessionKeys.eventKey("old"));
            out.writeInt(0);
        }
        UserHistory h = UserHistory.fromBytes(bytes.toByteArray());

        Map<String, SessionAssignment> r = run(h, ev("old", "10:00"), ev("new", "10:20"), ev("next", "12:00"));

        assertThat(r.get("old")).isEqualTo(new SessionAssignment("00000000000000ab", 4, 0, true));
        assertThat(r.get("new")).isEqualTo(new SessionAssignment("00000000000000ab", 4, 1, false));
        assertThat(r.get("next").sessionNumber()).isEqualTo(5);
    }

    @Test
    void aSessionStoredInTheSecondFormatKeepsItsEntryIpForALookupUntilAnEarlierEventBringsItsGeo() throws Exception {
        java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
        try (java.io.DataOutputStream out = new java.io.DataOutputStream(bytes)) {
            out.writeByte(2);
            out.writeInt(1);
            out.writeInt(1);
            out.writeUTF("00000000000000cd");
            out.writeInt(1);
            out.writeLong(ev("x", "10:05").eventTime);
            out.writeLong(ev("x", "10:10").eventTime);
            out.writeInt(1);
            out.writeInt(1);
            out.writeLong(SessionKeys.eventKey("old"));
            out.writeInt(0);
            out.writeLong(ev("x", "10:05").eventTime); // origin
            out.writeInt(1); // page views
            for (String text : new String[] {"https://x.test/", "https://x.test/", "", "81.2.69.142", "UA/old"}) {
                byte[] b = text.getBytes(java.nio.charset.StandardCharsets.UTF_8);
                out.writeInt(b.length);
                out.write(b);
            }
            out.writeInt(0); // sources
        }
        UserHistory h = UserHistory.fromBytes(bytes.toByteArray());
        Event later = ev("later", "10:15");
        later.ip = "10.0.0.1";
        later.countryCode = "XX";
        run(h, later);
        UserHistory.Session s = UserHistory.fromBytes(h.toBytes()).sessions.get(0);
        SessionRow row = SessionRows.row("u1", s);
        assertThat(row.ipAddress())
                .as("still the stored entry's IP, looked up for the row")
                .isEqualTo("81.2.69.142");
        assertThat(row.userAgentText()).isEqualTo("UA/old");
        assertThat(row.countryCode).isEmpty();

        Event earlier = ev("earlier", "10:01");
        earlier.ip = "81.2.69.160";
        earlier.countryCode = "GB";
        earlier.city = "London";
        run(h, earlier);
        s = UserHistory.fromBytes(h.toBytes()).sessions.get(0);
        row = SessionRows.row("u1", s);
        assertThat(row.ipAddress()).as("the new entry brought its geo").isNull();
        assertThat(row.countryCode).isEqualTo("GB");
        assertThat(row.city).isEqualTo("London");
        assertThat(row.userAgentText())
                .as("no user agent came earlier: the stored one is looked up")
                .isEqualTo("UA/old");
    }

    /** An event with the fields a session's entry and exit take from it. */
    private static Event visit(String id, String when, String url, String country, String browser) {
        Event e = ev(id, when);
        e.eventType = "page_view";
        e.url = url;
        e.referrer = "https://search.example/" + id;
        e.ip = "192.0.2.1";
        e.countryCode = country;
        e.country = country + " land";
        e.region = "r";
        e.city = "c";
        e.userAgent = "UA/" + browser;
        e.browser = browser;
        e.os = "os";
        e.deviceType = "desktop";
        return e;
    }

    /** The user's hash as the written fields leave it. */
    private static Map<String, byte[]> write(UserHistory h, Map<String, byte[]> hash, boolean all) {
        Map<String, byte[]> changed = h.changedSessionFields(all);
        hash.putAll(changed);
        hash.put("h", h.headerField());
        h.stored();
        return changed;
    }

    @Test
    void aSessionsNextEventsRewriteWhatTheyChangeAndItsEntryOnlyWhenAnEarlierEventBecomesIt() {
        UserHistory h = new UserHistory();
        Map<String, byte[]> hash = new HashMap<>();
        run(h, visit("b", "10:10", "/b", "FR", "Firefox"));
        String id = h.sessionIds().get(0);
        assertThat(write(h, hash, false)).containsOnlyKeys("s:" + id, "i:" + id);

        run(h, visit("c", "10:20", "/c", "DE", "Chrome"));
        Map<String, byte[]> next = write(h, hash, false);
        assertThat(next).as("a later event changes the exit, not the entry").containsOnlyKeys("s:" + id);
        assertThat(next.get("s:" + id).length)
                .as("the field a later event rewrites is smaller than the entry it leaves alone")
                .isLessThan(hash.get("i:" + id).length);

        run(h, visit("a", "10:05", "/a", "GB", "Safari"));
        String renamed = h.sessionIds().get(0);
        assertThat(renamed).as("named after its earliest event").isNotEqualTo(id);
        assertThat(write(h, hash, false))
                .as("an earlier event is the new entry, and names the session")
                .containsOnlyKeys("s:" + renamed, "i:" + renamed);
        hash.remove("s:" + id);
        hash.remove("i:" + id);

        UserHistory read = UserHistory.fromFields(hash.get("h"), hash);
        assertThat(read.toBytes()).as("read back whole").isEqualTo(h.toBytes());
        SessionRow row = SessionRows.row("u1", read.sessions.get(0));
        assertThat(List.of(row.entryUrl, row.exitUrl, row.countryCode, row.browser, row.pageViews))
                .containsExactly("/a", "/c", "GB", "Safari", 3);
        assertThat(write(read, new HashMap<>(), false))
                .as("nothing changed since it was read")
                .isEmpty();
    }

    @Test
    void aSessionStoredWithItsEntryInItsFieldIsReadAndGetsAnEntryFieldWhenItChanges() {
        UserHistory h = new UserHistory();
        run(h, visit("a", "10:00", "/a", "FR", "Firefox"), visit("b", "10:10", "/b", "FR", "Firefox"));
        String id = h.sessionIds().get(0);
        // Session field format 3, as the previous version wrote it: a format byte and the whole record, entry
        // included (the one-value layout's record after its 9-byte head; no chunk yet).
        byte[] whole = h.toBytes();
        byte[] older = new byte[whole.length - 8];
        older[0] = 3;
        System.arraycopy(whole, 9, older, 1, whole.length - 9);
        Map<String, byte[]> hash = new HashMap<>(Map.of("h", h.headerField(), "s:" + id, older));

        UserHistory read = UserHistory.fromFields(hash.get("h"), hash);
        assertThat(read.toBytes()).isEqualTo(h.toBytes());
        run(read, visit("c", "10:20", "/c", "DE", "Chrome"));
        Map<String, byte[]> changed = write(read, hash, false);
        assertThat(changed).containsOnlyKeys("s:" + id, "i:" + id);
        assertThat(changed.get("s:" + id)[0]).isEqualTo(UserHistory.SESSION_FIELD_FORMAT);
        assertThat(UserHistory.fromFields(hash.get("h"), hash).toBytes()).isEqualTo(read.toBytes());
    }

    @Test
    void aSessionWhoseEntryFieldIsMissingOrNewerIsRefused() {
        UserHistory h = new UserHistory();
        run(h, visit("a", "10:00", "/a", "FR", "Firefox"));
        String id = h.sessionIds().get(0);
        Map<String, byte[]> hash = new HashMap<>();
        write(h, hash, false);
        byte[] entry = hash.remove("i:" + id);
        assertThatThrownBy(() -> UserHistory.fromFields(hash.get("h"), hash))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("session " + id + " has no entry field");
        entry[0] = 9;
        hash.put("i:" + id, entry);
        assertThatThrownBy(() -> UserHistory.fromFields(hash.get("h"), hash))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("unknown session entry field format 9");
    }

    @Test
    void aHistoryInANewerFormatIsRefused() {
        assertThatThrownBy(() -> UserHistory.fromBytes(new byte[] {(byte) (UserHistory.FORMAT + 1), 0, 0}))
                .hasMessageContaining("unknown session history format " + (UserHistory.FORMAT + 1));
    }

    private static Event at(Event e, String topic, long offset) {
        e.kafkaTopic = topic;
        e.kafkaPartition = 0;
        e.kafkaOffset = offset;
        return e;
    }

    @Test
    void theSameEventFromTheSamePositionIsAReplayAndFromAnotherOneADuplicate() {
        SessionAssigner assigner = new SessionAssigner(SessionRules.defaults());
        UserHistory history = new UserHistory();
        SessionAssignment first = assigner.assign("u1", history, List.of(at(ev("e1", "10:00"), "web", 7)))
                .get(0);
        SessionAssignment replay = assigner.assign("u1", history, List.of(at(ev("e1", "10:00"), "web", 7)))
                .get(0);
        SessionAssignment resent = assigner.assign("u1", history, List.of(at(ev("e1", "10:00"), "web", 9)))
                .get(0);
        SessionAssignment imported = assigner.assign("u1", history, List.of(at(ev("e1", "10:00"), "backfill", 7)))
                .get(0);
        assertThat(first.replayed()).isFalse();
        assertThat(replay.replayed()).isTrue();
        assertThat(replay.duplicate())
                .as("read again where it was: its row is written again")
                .isFalse();
        assertThat(resent.duplicate())
                .as("sent again by a client: a new offset")
                .isTrue();
        assertThat(imported.duplicate()).as("imported from history again").isTrue();
        assertThat(resent.sessionId() + resent.index()).isEqualTo(first.sessionId() + first.index());
    }

    @Test
    void anEventRememberedWithoutItsPositionByAnEarlierVersionIsTakenForAReplay() {
        SessionAssigner assigner = new SessionAssigner(SessionRules.defaults());
        UserHistory history = new UserHistory();
        assigner.assign("u1", history, List.of(at(ev("e1", "10:00"), "web", 7)));
        // The single-value layout of an earlier version: keys without a position tag.
        UserHistory older = UserHistory.fromBytes(history.toBytes());
        SessionAssignment again = assigner.assign("u1", older, List.of(at(ev("e1", "10:00"), "web", 9)))
                .get(0);
        assertThat(again.replayed()).isTrue();
        assertThat(again.duplicate()).isFalse();
    }
}
