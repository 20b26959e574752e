package io.clickstream.etl.join;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.clickstream.etl.event.Event;
import io.clickstream.etl.privacy.Erasures;
import io.clickstream.etl.session.JoinedFix;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class JoinerTest {
    private static final String PROFILE =
            "[{\"from\": \"profile\", \"fields\": [\"properties.age\", \"properties.country\"]}]";
    private static final String VIDEO =
            "[{\"name\": \"video\", \"from\": \"catalog\", \"key\": \"properties.video_id\","
                    + " \"fields\": [\"properties.title\"], \"into\": [\"player\"], \"prefix\": \"video_\"}]";

    /** Redis hashes in maps: what a batch writes (the versions it added and dropped) is read by the next one. */
    private final Map<String, Map<String, byte[]>> redis = new HashMap<>();
    /** Fields written per batch. */
    private final List<Integer> written = new ArrayList<>();

    private void run(String rules, Event... batch) {
        run(rules, Erasures.NONE, batch);
    }

    private void run(String rules, Erasures erased, Event... batch) {
        Joiner j = new Joiner(JoinRule.parseAll(rules));
        List<Event> events = List.of(batch);
        Map<String, JoinedValues> stored = new HashMap<>();
        for (String k : j.keys(events)) {
            stored.put(k, stored(k));
        }
        int fields = 0;
        for (String k : j.apply(events, stored, erased)) {
            JoinedValues jv = stored.get(k);
            Map<String, byte[]> hash = redis.computeIfAbsent(k, x -> new HashMap<>());
            hash.putAll(jv.addedFields());
            jv.removedFields().forEach(hash::remove);
            fields += jv.addedFields().size() + jv.removedFields().size();
            jv.written();
        }
        written.add(fields);
    }

    private JoinedValues stored(String key) {
        return JoinedValues.fromFields(redis.getOrDefault(key, Map.of()));
    }

    private static Event ev(String id, String source, String user, long time, String... props) {
        Event e = new Event();
        e.eventId = id;
        e.source = source;
        e.userId = user;
        e.eventTime = time;
        e.propertyKeys = new String[props.length / 2];
        e.propertyValues = new String[props.length / 2];
        for (int i = 0; i < props.length / 2; i++) {
            e.propertyKeys[i] = props[2 * i];
            e.propertyValues[i] = props[2 * i + 1];
        }
        return e;
    }

    private static Map<String, String> props(Event e) {
        Map<String, String> m = new java.util.LinkedHashMap<>();
        for (int i = 0; i < e.propertyKeys.length; i++) {
            m.put(e.propertyKeys[i], e.propertyValues[i]);
        }
        return m;
    }

    @Test
    void laterEventsOfTheUserGetTheProfileFields() {
        run(PROFILE, ev("p1", "profile", "u1", 100, "age", "31", "country", "NO"));
        Event web = ev("w1", "web", "u1", 200, "page", "home");
        Event other = ev("w2", "web", "u2", 200);
        run(PROFILE, web, other);
        assertThat(props(web))
                .containsExactly(
                        Map.entry("page", "home"), Map.entry("profile.age", "31"), Map.entry("profile.country", "NO"));
        assertThat(props(other)).isEmpty();
    }

    /** The profile rule's fix of events received in [start, end]: that age, and no country. */
    private static JoinedFix fix(long start, long end, String age) {
        return new JoinedFix(
                start, end, "profile", new String[0], new String[] {"profile.age", "profile.country"}, new String[] {
                    age, ""
                });
    }

    @Test
    void aGiverBehindEventsReceivedBeforeItFixesTheirValuesUpToTheNextVersionOrTheNewestReceived() {
        Joiner j = new Joiner(JoinRule.parseAll(PROFILE));
        Map<String, JoinedValues> user = new HashMap<>();
        j.applyToUser(List.of(ev("p2", "profile", "u1", 300, "age", "32")), user);
        j.applyToUser(List.of(ev("w1", "web", "u1", 150), ev("w2", "web", "u1", 400)), user);

        List<Event> late = List.of(ev("p1", "profile", "u1", 100, "age", "31"));
        j.applyToUser(late, user);
        assertThat(j.lateFixes(late, user, 400))
                .as("events received from its time until the next version's took nothing")
                .containsExactly(fix(100, 299, "31"));

        List<Event> newest = List.of(ev("p3", "profile", "u1", 500, "age", "33"));
        j.applyToUser(newest, user);
        assertThat(j.lateFixes(newest, user, 400))
                .as("after every event received: nothing to fix")
                .isEmpty();
        assertThat(j.lateFixes(late, user, 600))
                .as("read again: the same fix, as the values stand now")
                .containsExactly(fix(100, 299, "31"));
        List<Event> beforeNewest = List.of(ev("p4", "profile", "u1", 450));
        j.applyToUser(beforeNewest, user);
        assertThat(j.lateFixes(beforeNewest, user, 600))
                .as("a giver without values: those received after it hold none, as the joins give them")
                .containsExactly(fix(450, 499, ""));
    }

    @Test
    void withinOneBatchOrderCounts() {
        Event before = ev("w0", "web", "u1", 50);
        Event after = ev("w1", "web", "u1", 150);
        run(PROFILE, before, ev("p1", "profile", "u1", 100, "age", "31"), after);
        assertThat(props(before)).isEmpty();
        assertThat(props(after)).containsExactly(Map.entry("profile.age", "31"));
    }

    @Test
    void anEventGetsTheValuesValidAtItsTimeSoReplaysAgree() {
        run(PROFILE, ev("p1", "profile", "u1", 100, "age", "31"));
        Event first = ev("w1", "web", "u1", 150);
        run(PROFILE, first);
        run(PROFILE, ev("p2", "profile", "u1", 300, "age", "32"));
        Event replayed = ev("w1", "web", "u1", 150);
        Event later = ev("w2", "web", "u1", 400);
        run(PROFILE, replayed, later);
        assertThat(props(first)).containsExactly(Map.entry("profile.age", "31"));
        assertThat(props(replayed)).isEqualTo(props(first));
        assertThat(props(later)).containsExactly(Map.entry("profile.age", "32"));
    }

    @Test
    void missingValuesStayEmptyAndOwnPropertiesWin() {
        run(PROFILE, ev("p1", "profile", "u1", 100, "age", "31")); // no country
        Event e = ev("w1", "web", "u1", 200, "profile.age", "mine");
        run(PROFILE, e);
        assertThat(props(e)).containsExactly(Map.entry("profile.age", "mine"));
    }

    @Test
    void receivedValuesFollowTheEventsOwnInTheRulesOrderAndAnOwnOneIsKept() {
        run(PROFILE, ev("p1", "profile", "u1", 100, "age", "31", "country", "NO"));
        Event some = ev("w1", "web", "u1", 200, "x", "1", "profile.age", "mine");
        Event none = ev("w2", "web", "u1", 300);
        Event all = ev("w3", "web", "u1", 400, "profile.country", "SE", "profile.age", "40");
        run(PROFILE, some, none, all);
        assertThat(props(some))
                .containsExactly(
                        Map.entry("x", "1"), Map.entry("profile.age", "mine"), Map.entry("profile.country", "NO"));
        assertThat(some.propertyValues).hasSameSizeAs(some.propertyKeys);
        assertThat(props(none)).containsExactly(Map.entry("profile.age", "31"), Map.entry("profile.country", "NO"));
        assertThat(props(all)).containsExactly(Map.entry("profile.country", "SE"), Map.entry("profile.age", "40"));
    }

    @Test
    void aFieldKeyJoinsAcrossUsersAndOnlyIntoTheNamedSources() {
        run(VIDEO, ev("c1", "catalog", "editor", 100, "video_id", "v9", "title", "Fjords"));
        Event play = ev("x1", "player", "u7", 200, "video_id", "v9");
        Event web = ev("x2", "web", "u7", 200, "video_id", "v9");
        Event noKey = ev("x3", "player", "u7", 200);
        run(VIDEO, play, web, noKey);
        assertThat(props(play)).containsEntry("video_title", "Fjords");
        assertThat(props(web)).doesNotContainKey("video_title");
        assertThat(props(noKey)).isEmpty();
    }

    @Test
    void keepsEveryVersionAReprocessedEventWithinTheHorizonMayNeedAndWritesOnlyWhatChanged() {
        long hour = 3_600_000L;
        for (int i = 0; i < 100; i++) {
            run(PROFILE, ev("p" + i, "profile", "u1", i * hour, "age", String.valueOf(i)));
        }
        JoinedValues stored = stored("profile:u1");
        // Newest at hour 99, the default horizon 48 h: the version in effect at hour 51 and every later one.
        assertThat(stored.versions()).hasSize(49);
        assertThat(stored.versions().get(0).values()).containsExactly("51");
        // Each batch wrote its new version, and from hour 49 on deleted the one the horizon passed: never the list.
        assertThat(written.subList(0, 49)).containsOnly(1);
        assertThat(written.subList(50, 100)).containsOnly(2);
        // An event of hour 60 reprocessed (a restore, a replay) after 40 newer versions: the value it had at first.
        Event reprocessed = ev("v60", "web", "u1", 60 * hour + 1);
        run(PROFILE, reprocessed);
        assertThat(props(reprocessed)).containsEntry("profile.age", "60");
        Joiner j = new Joiner(JoinRule.parseAll(PROFILE));
        Map<String, JoinedValues> again = new HashMap<>(Map.of("profile:u1", stored));
        assertThat(j.apply(List.of(ev("p99", "profile", "u1", 99 * hour, "age", "99")), again, Erasures.NONE))
                .as("the same giving event again changes nothing")
                .isEmpty();
    }

    @Test
    void aKeyChangedHundredsOfTimesWithinTheHorizonKeepsThemAllSoThatAReplayGivesTheSameValues() {
        Event[] firstTime = new Event[300];
        for (int i = 0; i < 300; i++) {
            run(PROFILE, ev("p" + i, "profile", "u1", 10 * i, "age", String.valueOf(i)));
            firstTime[i] = ev("w" + i, "web", "u1", 10 * i + 5);
            run(PROFILE, firstTime[i]);
        }
        assertThat(stored("profile:u1").versions()).hasSize(300);
        assertThat(written).as("one field per version, never the whole list").containsOnly(1, 0);
        for (int i = 0; i < 300; i += 37) {
            Event replayed = ev("w" + i, "web", "u1", 10 * i + 5);
            run(PROFILE, replayed);
            assertThat(props(replayed)).isEqualTo(props(firstTime[i]));
        }
    }

    @Test
    void aVersionThatRepeatsItsGiversValuesIsNotStored() {
        run(PROFILE, ev("p1", "profile", "u1", 100, "age", "31"));
        run(PROFILE, ev("p2", "profile", "u1", 200, "age", "31"));
        run(PROFILE, ev("p3", "profile", "u1", 300, "age", "32"));
        assertThat(stored("profile:u1").versions())
                .extracting(JoinedValues.Version::eventId)
                .containsExactly("p1", "p3");
    }

    @Test
    void valuesOfAnErasedGiverAreNotRecordedNorGivenUntilTheyAreDeleted() {
        Event given = ev("c1", "catalog", "editor", 100, "video_id", "v9", "title", "Fjords");
        given.kafkaTimestamp = 1_000;
        run(VIDEO, given);
        Erasures erased = Erasures.NONE.toBuilder().record(0, "editor", 1_000L).build();
        Event replayed = ev("c2", "catalog", "editor", 150, "video_id", "v9", "title", "Again");
        replayed.kafkaTimestamp = 900;
        Event play = ev("x1", "player", "u7", 200, "video_id", "v9");
        run(VIDEO, erased, replayed, play);
        assertThat(props(play)).doesNotContainKey("video_title");
        assertThat(stored("video:v9").versions())
                .as("the erased giver's replayed event gave nothing")
                .extracting(JoinedValues.Version::eventId)
                .containsExactly("c1");
        Event after = ev("c3", "catalog", "editor", 300, "video_id", "v9", "title", "New start");
        after.kafkaTimestamp = 2_000;
        Event later = ev("x2", "player", "u7", 400, "video_id", "v9");
        run(VIDEO, erased, after, later);
        assertThat(props(later)).containsEntry("video_title", "New start");
        assertThat(stored("video:v9").versions())
                .extracting(v -> v.giver() + "@" + v.recordTime())
                .containsExactly("editor@1000", "editor@2000");
    }

    @Test
    void valuesOfTheOneValueLayoutAreReadAndWrittenAgainOnePerField() {
        JoinedValues older = JoinedValues.fromOlderBytes(new byte[] {
            1, 1, 0, 0, 0, 0, 0, 0, 0, 100, 0, 2, 'p', '1', 0, 1, 0, 11, 'p', 'r', 'o', 'f', 'i', 'l', 'e', '.', 'a',
            'g', 'e', 0, 0, 0, 2, '3', '1'
        });
        assertThat(older.versions())
                .extracting(v -> v.eventId() + "=" + v.values())
                .containsExactly("p1=[31]");
        assertThat(older.fromOlderLayout()).isTrue();
        assertThat(older.addedFields()).containsOnlyKeys("100:p1");
    }

    static Stream<Arguments> badRules() {
        return Stream.of(
                Arguments.of("{}", "expected a list of rules"),
                Arguments.of("[1]", "rule 1: a rule is an object"),
                Arguments.of("[{}]", "rule 1.from: expected a non-empty string"),
                Arguments.of("[{\"from\": \"p\"}]", "rule 1.fields: missing"),
                Arguments.of("[{\"from\": \"p\", \"fields\": []}]", "rule 1.fields: expected a non-empty list"),
                Arguments.of("[{\"from\": \"p\", \"fields\": [\"age\"]}]", "rule 1.fields: 'age' is not a field"),
                Arguments.of(
                        "[{\"from\": \"p\", \"key\": \"video\", \"fields\": [\"url\"]}]",
                        "rule 1.key: 'video' is not a field"),
                Arguments.of("[{\"from\": \"p\", \"fields\": [\"url\"], \"to\": [\"web\"]}]", "rule 1.to: unknown key"),
                Arguments.of("[{\"from\": \"P Q\", \"fields\": [\"url\"]}]", "rule 1.name 'P Q'"),
                Arguments.of(
                        "[{\"from\": \"p\", \"fields\": [\"url\"]}, {\"from\": \"p\", \"fields\": [\"os\"]}]",
                        "rule 2: name 'p' is used twice"),
                Arguments.of("[{\"from\": \"p\", \"fields\": [\"url\"]", "not valid JSON"));
    }

    @ParameterizedTest(name = "[{index}] {1}")
    @MethodSource("badRules")
    void badRulesAreRejectedNamingTheRuleAndKey(String json, String message) {
        assertThatThrownBy(() -> JoinRule.parseAll(json))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(message);
    }

    @Test
    void noRulesMeansNoJoins() {
        assertThat(JoinRule.parseAll(null)).isEmpty();
        assertThat(JoinRule.parseAll("  ")).isEmpty();
        assertThat(JoinRule.parseAll("[]")).isEmpty();
        assertThat(new Joiner(new ArrayList<>()).isEmpty()).isTrue();
    }

    @Test
    void damagedStoredValuesAreReported() {
        assertThatThrownBy(() -> JoinedValues.fromOlderBytes(new byte[] {1, 1, 0}))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> JoinedValues.fromOlderBytes(new byte[] {7}))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> JoinedValues.fromFields(Map.of("100:p1", new byte[] {9})))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> JoinedValues.fromFields(Map.of("p1", new byte[] {2})))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
