package io.clickstream.etl.clickhouse;

import static org.assertj.core.api.Assertions.assertThat;

import io.clickstream.etl.aggregate.CurrentUserDays;
import io.clickstream.etl.event.Event;
import io.clickstream.etl.funnel.FunnelRowTagging;
import io.clickstream.etl.session.SessionCorrection;
import io.clickstream.etl.session.SessionRow;
import io.clickstream.etl.testing.TestStack;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Corrections of stored events on the real 2×2 cluster: the rows of a session a late event changed are written again
 * by ClickHouse with the session's id, number and their rank by time, and replace the earlier ones (FINAL); a
 * correction whose rows are not all in the table yet waits; applying one again changes nothing.
 */
class EventCorrectionsITCase {
    private static final long T0 = Instant.parse("2026-11-03T23:50:00Z").toEpochMilli();
    private static final long MINUTE = 60_000;
    private static String db;

    @BeforeAll
    static void setUp() throws Exception {
        TestStack.requireRunning();
        db = TestStack.migratedDatabase();
    }

    private static Event event(String user, String id, long time, String session, int number, int index) {
        Event e = new Event();
        e.eventId = id;
        e.userId = user;
        e.eventType = "page_view";
        e.source = "web";
        e.eventTime = time;
        e.url = "https://shop.example/" + id;
        e.propertyKeys = new String[] {"k"};
        e.propertyValues = new String[] {"v-" + id};
        e.kafkaTopic = "t";
        e.kafkaOffset = time % 1000;
        e.kafkaTimestamp = time + 2 * 60 * MINUTE;
        e.sessionId = session;
        e.sessionNumber = number;
        e.sessionIndex = index;
        e.funnelIds = new String[0];
        e.funnelSteps = new int[0];
        return e;
    }

    private static String current(String user) throws Exception {
        return TestStack.query(
                TestStack.clickHouseUrls().get(0),
                "SELECT event_id, session_id, session_number, session_index, url, props.value FROM " + db
                        + ".events FINAL WHERE user_id = '" + user + "' ORDER BY ts, ts_ms, event_id FORMAT TSV");
    }

    @Test
    void aMergedSessionsRowsGetItsIdNumberAndTheirRankAcrossMidnight() throws Exception {
        // "b" came 50 min after "a" (two sessions), then "late" between them (one session), written with index 1.
        List<Event> first = new ArrayList<>(List.of(
                event("u'1", "a", T0, "s-a", 1, 0),
                event("u'1", "b", T0 + 50 * MINUTE + 7, "s-b", 2, 0),
                event("u'1", "c", T0 + 51 * MINUTE, "s-b", 2, 1),
                event("u'1", "next", T0 + 200 * MINUTE, "s-n", 3, 0),
                event("u2", "a", T0 + 30 * MINUTE, "s-other", 1, 0)));
        TestInserts.insert(db, first);
        TestInserts.insert(db, List.of(event("u'1", "late", T0 + 25 * MINUTE, "s-a", 1, 1)));
        insertSessions(List.of(
                session("s-a", 1, T0, T0, 1),
                session("s-b", 2, T0 + 50 * MINUTE + 7, T0 + 51 * MINUTE, 2),
                session("s-n", 3, T0 + 200 * MINUTE, T0 + 200 * MINUTE, 1)));
        SessionCorrection merged = new SessionCorrection("u'1", "s-a", 1, T0, T0 + 51 * MINUTE, 4);
        SessionCorrection renumbered = new SessionCorrection("u'1", "s-n", 2, T0 + 200 * MINUTE, T0 + 200 * MINUTE, 1);
        SessionCorrection notYet = new SessionCorrection("u2", "s-other", 1, T0 + 30 * MINUTE, T0 + 40 * MINUTE, 2);

        try (ClickHouseSql sql = new ClickHouseSql(TestStack.clickHouse())) {
            EventCorrections corrections = withSessions(sql);
            EventCorrections.Outcome outcome = corrections.apply(List.of(merged, renumbered, notYet), false);

            assertThat(outcome.waiting())
                    .as("u2's second event is not in the table")
                    .containsExactly(notYet);
            assertThat(outcome.rowsWritten())
                    .as("b and c into s-a, next renumbered; a and late were stored as the truth has them")
                    .isEqualTo(3);
            String expected = "a\ts-a\t1\t0\thttps://shop.example/a\t['v-a']\n"
                    + "late\ts-a\t1\t1\thttps://shop.example/late\t['v-late']\n"
                    + "b\ts-a\t1\t2\thttps://shop.example/b\t['v-b']\n"
                    + "c\ts-a\t1\t3\thttps://shop.example/c\t['v-c']\n"
                    + "next\ts-n\t2\t0\thttps://shop.example/next\t['v-next']\n";
            assertThat(current("u\\'1")).isEqualTo(expected);
            assertThat(TestStack.query(
                            TestStack.clickHouseUrls().get(0),
                            "SELECT session_id, retired, version FROM " + db
                                    + ".sessions FINAL WHERE user_id = 'u\\'1' ORDER BY session_id FORMAT TSV"))
                    .as("the session merged into s-a retired, one version above its row")
                    .isEqualTo("s-a\t0\t1\ns-b\t1\t3\ns-n\t0\t1\n");

            assertThat(corrections.apply(List.of(merged, renumbered), false).rowsWritten())
                    .as("applied again: nothing changes, nothing written")
                    .isZero();
            assertThat(current("u\\'1")).isEqualTo(expected);
            assertThat(TestStack.count(
                            TestStack.clickHouseUrls().get(0),
                            "SELECT count() FROM " + db + ".events FINAL WHERE user_id = 'u2'"))
                    .as("the waiting correction wrote nothing")
                    .isEqualTo(1);
        }

        // The aggregates: user_days keeps s-b on 2026-11-04, the current read does not; a rebuild makes it plain again.
        String node = TestStack.clickHouseUrls().get(0);
        String listed =
                "SELECT DISTINCT toString(dt) FROM " + db + ".corrected_days WHERE user_id = 'u\\'1' ORDER BY dt";
        assertThat(TestStack.query(node, listed + " FORMAT TSV"))
                .as("the user-days the corrections listed")
                .isEqualTo("2026-11-03\n2026-11-04\n");
        String sessions = "SELECT uniqExactMerge(sessions) FROM %s WHERE user_id = 'u\\'1' AND dt = '2026-11-04'";
        assertThat(TestStack.count(node, String.format(sessions, db + ".user_days")))
                .as("user_days as stored: s-a, s-b and s-n")
                .isEqualTo(3);
        assertThat(TestStack.count(node, String.format(sessions, CurrentUserDays.rows(db, "", "dt = '2026-11-04'"))))
                .as("current: s-a and s-n")
                .isEqualTo(2);
        TestStack.rebuildAggregates(db, "2026-11-03", "2026-11-04");
        assertThat(TestStack.query(node, listed + " FORMAT TSV"))
                .as("the days' lists emptied")
                .isEmpty();
        assertThat(TestStack.count(node, String.format(sessions, db + ".user_days")))
                .as("user_days rebuilt from the current events")
                .isEqualTo(2);
    }

    @Test
    void aRenameWithinOneSecondRetiresTheOldIdAndTheNewerCorrectionUndoesAStaleOne() throws Exception {
        // "late" came 500 ms before "x" (the same second): the session is renamed s-new after it. The step's row that
        // retires s-old was lost, and the older correction (s-old, as it was) is applied after the newer one.
        long t1 = T0 + 3 * 60 * MINUTE;
        TestInserts.insert(
                db,
                List.of(
                        event("u3", "x", t1 + 700, "s-new", 1, 1),
                        event("u3", "y", t1 + 10 * MINUTE, "s-new", 1, 2),
                        event("u3", "late", t1 + 200, "s-new", 1, 0)));
        insertSessions(List.of(
                session("u3", "s-old", 1, t1 + 700, t1 + 10 * MINUTE, 2),
                session("u3", "s-new", 1, t1 + 200, t1 + 10 * MINUTE, 3)));
        SessionCorrection stale = new SessionCorrection("u3", "s-old", 1, t1 + 700, t1 + 10 * MINUTE, 2);
        SessionCorrection newer = new SessionCorrection("u3", "s-new", 1, t1 + 200, t1 + 10 * MINUTE, 3);
        String sessions = "SELECT session_id, retired FROM " + db
                + ".sessions FINAL WHERE user_id = 'u3' ORDER BY session_id FORMAT TSV";

        try (ClickHouseSql sql = new ClickHouseSql(TestStack.clickHouse())) {
            EventCorrections corrections = withSessions(sql);
            corrections.apply(List.of(newer), false);
            assertThat(TestStack.query(TestStack.clickHouseUrls().get(0), sessions))
                    .as("the old id, starting in the same second, retired")
                    .isEqualTo("s-new\t0\ns-old\t1\n");

            corrections.apply(List.of(stale), false);
            corrections.apply(List.of(newer), false);
        }
        assertThat(current("u3"))
                .isEqualTo("late\ts-new\t1\t0\thttps://shop.example/late\t['v-late']\n"
                        + "x\ts-new\t1\t1\thttps://shop.example/x\t['v-x']\n"
                        + "y\ts-new\t1\t2\thttps://shop.example/y\t['v-y']\n");
        assertThat(TestStack.query(TestStack.clickHouseUrls().get(0), sessions))
                .as("the session the stale correction retired revived by the newer")
                .isEqualTo("s-new\t0\ns-old\t1\n");
    }

    @Test
    void aSessionTooLongForOneStatementIsCorrectedOverSeveral() throws Exception {
        // 6,000 rows stored with their indexes reversed: their keys do not fit one statement's lists (here 100,000
        // characters).
        List<Event> rows = new ArrayList<>();
        int n = 6_000;
        for (int i = 0; i < n; i++) {
            rows.add(event("long", "e-" + i, T0 + i * 100L, "s-long", 1, n - 1 - i));
        }
        TestInserts.insert(db, rows);

        try (ClickHouseSql sql = new ClickHouseSql(TestStack.clickHouse())) {
            EventCorrections corrections = new EventCorrections(
                    sql::execute, db + ".events", EventRowEncoder.INSTANCE.columns(), null, List.of(), null, 100_000);
            EventCorrections.Outcome outcome = corrections.apply(
                    List.of(new SessionCorrection("long", "s-long", 1, T0, T0 + (n - 1) * 100L, n)), false);

            assertThat(outcome.rowsWritten()).isEqualTo(n);
        }
        assertThat(TestStack.count(
                        TestStack.clickHouseUrls().get(0),
                        "SELECT countIf(session_index = toUInt32(substring(event_id, 3))) FROM " + db
                                + ".events FINAL WHERE user_id = 'long'"))
                .as("every row's index is its rank by time")
                .isEqualTo(n);
    }

    private static final String CHECKOUT = "{\"id\": \"checkout\", \"window\": \"1h\", \"steps\": ["
            + "{\"event_type\": \"page_view\"}, {\"event_type\": \"add_to_cart\"}, {\"event_type\": \"purchase\"}]}";
    private static final String PRO = "{\"id\": \"pro\", \"steps\": [{\"event_type\": \"page_view\", "
            + "\"where\": {\"properties.plan\": \"pro\"}}, {\"event_type\": \"purchase\"}]}";

    private static Event tagged(String id, String type, long time, int index, String... tags) {
        Event e = event("u-f", id, time, "s-f", 1, index);
        e.eventType = type;
        e.funnelIds = new String[tags.length];
        e.funnelSteps = new int[tags.length];
        for (int i = 0; i < tags.length; i++) {
            e.funnelIds[i] = tags[i].split(":")[0];
            e.funnelSteps[i] = Integer.parseInt(tags[i].split(":")[1]);
        }
        return e;
    }

    private static String currentTags() throws Exception {
        return TestStack.query(
                TestStack.clickHouseUrls().get(0),
                "SELECT event_id, session_index, arrayStringConcat(arrayMap((i, s) -> concat(i, ':', toString(s)), "
                        + "funnels.id, funnels.step), ',') FROM " + db
                        + ".events FINAL WHERE user_id = 'u-f' ORDER BY ts, ts_ms, event_id FORMAT TSV");
    }

    @Test
    void aCorrectionNamingFunnelsTagsTheSessionsRowsAgainInTimeOrderByTheirStoredValues() throws Exception {
        // As the step tagged them in the order they came: the late page view (with the property the second funnel
        // tests) after the others, at the end of the session's progress.
        TestInserts.insert(
                db,
                List.of(
                        tagged("a", "page_view", T0, 0, "checkout:1"),
                        tagged("b", "add_to_cart", T0 + 2 * MINUTE, 1, "checkout:2"),
                        tagged("c", "purchase", T0 + 4 * MINUTE, 2, "checkout:3")));
        Event late = tagged("late", "page_view", T0 + MINUTE, 3);
        late.propertyKeys = new String[] {"plan"};
        late.propertyValues = new String[] {"pro"};
        TestInserts.insert(db, List.of(late));
        SessionCorrection c = new SessionCorrection("u-f", "s-f", 1, T0, T0 + 4 * MINUTE, 4);
        c.funnels = new String[] {CHECKOUT, PRO};

        try (ClickHouseSql sql = new ClickHouseSql(TestStack.clickHouse())) {
            EventCorrections corrections = withSessions(sql);
            assertThat(corrections.apply(List.of(c), false).rowsWritten())
                    .as("the first row keeps its index and tags: not written again")
                    .isEqualTo(3);
            assertThat(currentTags())
                    .as("the late view moved the chain's start, b and c follow it; the pro funnel from the late view")
                    .isEqualTo("a\t0\tcheckout:1\nlate\t1\tpro:1\nb\t2\tcheckout:2\nc\t3\tcheckout:3,pro:2\n");

            assertThat(corrections.apply(List.of(c), false).rowsWritten())
                    .as("applied again")
                    .isZero();
            SessionCorrection withoutFunnels = new SessionCorrection("u-f", "s-f", 1, T0, T0 + 4 * MINUTE, 4);
            assertThat(corrections.apply(List.of(withoutFunnels), false).rowsWritten())
                    .as("without funnels the tags stay as stored")
                    .isZero();
        }
        assertThat(currentTags()).contains("c\t3\tcheckout:3,pro:2");
    }

    @Test
    void aLateGiversJoinedValuesReachTheRowsReceivedBeforeItAndTheirTagsFollow() throws Exception {
        // The backend event came last (index 2): the web events before it in the stream received no plan.
        Event giver = event("u-j", "g", T0, "s-j", 1, 2);
        giver.source = "backend";
        giver.eventType = "plan_changed";
        Event view = event("u-j", "a", T0 + MINUTE, "s-j", 1, 0);
        Event buy = event("u-j", "b", T0 + 2 * MINUTE, "s-j", 1, 1);
        buy.eventType = "purchase";
        TestInserts.insert(db, List.of(view, buy));
        TestInserts.insert(db, List.of(giver));
        String pro = "{\"id\": \"pro\", \"steps\": [{\"event_type\": \"page_view\", "
                + "\"where\": {\"properties.acct.plan\": \"pro\"}}, {\"event_type\": \"purchase\"}]}";
        SessionCorrection c = new SessionCorrection("u-j", "s-j", 1, T0, T0 + 2 * MINUTE, 3);
        c.funnels = new String[] {pro};
        c.joined = new io.clickstream.etl.session.JoinedFix[] {
            new io.clickstream.etl.session.JoinedFix(
                    T0,
                    T0 + 2 * MINUTE,
                    "backend",
                    new String[] {"web", "app"},
                    new String[] {"acct.plan"},
                    new String[] {"pro"})
        };

        try (ClickHouseSql sql = new ClickHouseSql(TestStack.clickHouse())) {
            assertThat(withSessions(sql).apply(List.of(c), false).rowsWritten())
                    .as("the two web rows for their plan, then the three for their index or tags")
                    .isEqualTo(5);
            assertThat(withSessions(sql).apply(List.of(c), false).rowsWritten())
                    .as("applied again")
                    .isZero();
        }
        assertThat(TestStack.query(
                        TestStack.clickHouseUrls().get(0),
                        "SELECT event_id, session_index, props.key, props.value, funnels.id, funnels.step FROM " + db
                                + ".events FINAL WHERE user_id = 'u-j' ORDER BY ts FORMAT TSV"))
                .as("the web rows keep their own property and hold the plan; the pro funnel sees it")
                .isEqualTo("g\t0\t['k']\t['v-g']\t[]\t[]\n"
                        + "a\t1\t['k','acct.plan']\t['v-a','pro']\t['pro']\t[1]\n"
                        + "b\t2\t['k','acct.plan']\t['v-b','pro']\t['pro']\t[2]\n");
    }

    @Test
    void aRowWrittenAgainKeepsItsDeclaredColumnsAndErrorLog() throws Exception {
        String own = TestStack.migratedDatabase();
        DeclaredRow declared = new DeclaredRow(io.clickstream.etl.schema.DeclaredColumns.parse(
                "{\"columns\": [{\"name\": \"age\", \"type\": \"UInt8\", \"path\": \"properties.age\"},"
                        + "{\"name\": \"tags\", \"type\": \"Array(String)\", \"path\": \"properties.tags\"}]}",
                DeclaredRow.reserved()));
        new DeclaredColumnsOnCluster(TestStack.clickHouse(), TestStack.cluster(), own)
                .apply(declared, false, 120_000, System.out);
        EventRowEncoder encoder = EventRowEncoder.withDeclared(declared);
        Event a = event("u-d", "a", T0, "s-a", 1, 0);
        Event b = event("u-d", "b", T0 + 50 * MINUTE, "s-b", 2, 0);
        Event late = event("u-d", "late", T0 + 25 * MINUTE, "s-a", 1, 1);
        a.declared = declared.encode(
                "page_view",
                new io.clickstream.etl.schema.JsonValue[] {
                    io.clickstream.etl.schema.JsonValue.number("30"),
                    io.clickstream.etl.schema.JsonValue.array(List.of(io.clickstream.etl.schema.JsonValue.string("x")))
                },
                (column, reason) -> {});
        b.declared = declared.encode(
                "page_view",
                new io.clickstream.etl.schema.JsonValue[] {io.clickstream.etl.schema.JsonValue.string("abc"), null},
                (column, reason) -> {});
        TestInserts.insert(own, List.of(a, b, late), encoder);
        try (ClickHouseSql sql = new ClickHouseSql(TestStack.clickHouse())) {
            EventCorrections corrections = new EventCorrections(sql::execute, own + ".events", encoder.columns());
            assertThat(corrections
                            .apply(List.of(new SessionCorrection("u-d", "s-a", 1, T0, T0 + 50 * MINUTE, 3)), false)
                            .rowsWritten())
                    .as("b joins s-a")
                    .isEqualTo(1);
        }
        assertThat(TestStack.query(
                        TestStack.clickHouseUrls().get(0),
                        "SELECT event_id, session_id, session_index, age, tags, error_log.field, error_log.value,"
                                + " error_log.reason FROM " + own + ".events FINAL WHERE user_id = 'u-d'"
                                + " ORDER BY ts, ts_ms, event_id FORMAT TSV"))
                .as("written again with its session, its declared values and error_log as they were")
                .isEqualTo("a\ts-a\t0\t30\t['x']\t[]\t[]\t[]\n"
                        + "late\ts-a\t1\t0\t[]\t[]\t[]\t[]\n"
                        + "b\ts-a\t2\t0\t[]\t['age']\t['abc']\t['not_a_number']\n");
    }

    /** Corrections of the test database's events that also retire its sessions. */
    private static EventCorrections withSessions(ClickHouseSql sql) {
        return new EventCorrections(
                sql::execute,
                db + ".events",
                EventRowEncoder.INSTANCE.columns(),
                db + ".sessions",
                SessionRowEncoder.INSTANCE.columns(),
                new FunnelRowTagging());
    }

    private static SessionRow session(String id, int number, long start, long end, int events) {
        return session("u'1", id, number, start, end, events);
    }

    private static SessionRow session(String user, String id, int number, long start, long end, int events) {
        SessionRow r = new SessionRow();
        r.sessionId = id;
        r.userId = user;
        r.sessionNumber = number;
        r.origin = start;
        r.start = start;
        r.end = end;
        r.events = events;
        r.geoGiven = true;
        r.deviceGiven = true;
        return r;
    }

    private static void insertSessions(List<SessionRow> rows) throws Exception {
        RowBinaryBuffer out = new RowBinaryBuffer(1024);
        rows.forEach(r -> SessionRowEncoder.INSTANCE.encode(r, out));
        try (Inserter inserter = ClickHouseInserter.factory(
                        TestStack.clickHouse(), db + ".sessions", SessionRowEncoder.INSTANCE.columns(), true, 60_000)
                .open()) {
            inserter.insert(new Batch(java.util.Arrays.copyOf(out.array(), out.size()), rows.size(), -1, null));
        }
    }
}
