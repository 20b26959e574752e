package io.clickstream.etl.quality;

import static org.assertj.core.api.Assertions.assertThat;

import io.clickstream.etl.clickhouse.DeclaredColumnsOnCluster;
import io.clickstream.etl.clickhouse.DeclaredRow;
import io.clickstream.etl.clickhouse.EventRowEncoder;
import io.clickstream.etl.clickhouse.TestInserts;
import io.clickstream.etl.event.Event;
import io.clickstream.etl.schema.DeclaredColumns;
import io.clickstream.etl.schema.JsonValue;
import io.clickstream.etl.testing.TestStack;
import io.clickstream.etl.tools.Quality;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The data-quality command on the real stack, fed good and broken days (each against the same weekday a week
 * earlier, in one database): a good day passes every check; a source 2 % down fails that source and the totals, not the other source; rows stored
 * twice fail the duplicate check, rows a late event's correction wrote again do not; lost aggregates fail the
 * aggregates' checks; dead letters over their share fail.
 */
class QualityITCase {
    private static final LocalDate GOOD = LocalDate.of(2026, 11, 19);
    private static final LocalDate SOURCE_DOWN = GOOD.plusDays(1);
    private static final LocalDate TWICE = GOOD.plusDays(2);
    private static final LocalDate NO_AGGREGATES = GOOD.plusDays(3);
    private static final LocalDate DEAD_LETTERS = GOOD.plusDays(4);
    private static final LocalDate CORRECTED = GOOD.plusDays(5);
    /** 5 % of the events with a refused value of a declared column, against 1 % the day before. */
    private static final LocalDate REFUSED = LocalDate.of(2026, 10, 10);

    private static String db;
    private static String deadTopic;

    @BeforeAll
    static void days() throws Exception {
        TestStack.requireRunning();
        db = TestStack.migratedDatabase();
        deadTopic = TestStack.unique("dead");
        TestStack.createTopics(1, deadTopic);
        for (LocalDate day = GOOD; !day.isAfter(DEAD_LETTERS); day = day.plusDays(1)) {
            TestInserts.insert(db, day(day.minusDays(7), e -> true));
            // Three of the app's 150 events missing: 2 %.
            TestInserts.insert(
                    db, day(day, day.equals(SOURCE_DOWN) ? e -> !e.eventId.matches(".*-u(1|3|5)-0") : e -> true));
        }
        TestInserts.insert(db, day(TWICE, e -> true).subList(0, 10));
        TestInserts.insert(db, day(CORRECTED.minusDays(7), e -> true));
        TestInserts.insert(db, day(CORRECTED, e -> true));
        // Ten events written again by a late event's correction: same position, a higher version, another index.
        List<Event> corrections = day(CORRECTED, e -> true).subList(0, 10);
        for (Event e : corrections) {
            e.kafkaTimestamp++;
            e.sessionIndex++;
        }
        TestInserts.insert(db, corrections);
        TestStack.alter(db + ".user_days_local", "DROP PARTITION '" + NO_AGGREGATES + "'");
        DeclaredRow declared = new DeclaredRow(DeclaredColumns.parse(
                "{\"columns\": [{\"name\": \"age\", \"type\": \"UInt8\", \"path\": \"properties.age\"}]}",
                DeclaredRow.reserved()));
        new DeclaredColumnsOnCluster(TestStack.clickHouse(), TestStack.cluster(), db)
                .apply(declared, false, 120_000, System.out);
        TestInserts.insert(db, day(REFUSED.minusDays(7), e -> true));
        for (int d = 0; d < 2; d++) {
            List<Event> events = day(REFUSED.minusDays(d), e -> true);
            int refused = d == 0 ? 15 : 3;
            for (int i = 0; i < events.size(); i++) {
                events.get(i).declared = declared.encode(
                        "click",
                        new JsonValue[] {i < refused ? JsonValue.string("abc") : JsonValue.number("30")},
                        (column, reason) -> {});
            }
            TestInserts.insert(db, events, EventRowEncoder.withDeclared(declared));
        }
        List<ProducerRecord<byte[], byte[]>> letters = new ArrayList<>();
        letters.add(deadLetter(GOOD, "invalid_json"));
        letters.add(deadLetter(GOOD, "invalid_json"));
        for (int i = 0; i < 20; i++) {
            letters.add(deadLetter(DEAD_LETTERS, "missing_field"));
        }
        TestStack.produce(letters);
    }

    /** 60 users, even ones on the web and odd ones in the app, five events each, one session a day. */
    private static List<Event> day(LocalDate day, Predicate<Event> keep) {
        List<Event> out = new ArrayList<>();
        for (int k = 0; k < 60; k++) {
            for (int i = 0; i < 5; i++) {
                Event e = new Event();
                e.userId = "u" + k;
                e.eventId = day + "-" + e.userId + "-" + i;
                e.eventType = i == 0 ? "page_view" : "click";
                e.source = k % 2 == 0 ? "web" : "app";
                e.eventTime = day.atStartOfDay(ZoneOffset.UTC).toInstant().toEpochMilli()
                        + 3_600_000L * (k % 20)
                        + 60_000L * i;
                e.kafkaTimestamp = e.eventTime;
                e.kafkaTopic = "quality";
                e.sessionId = e.userId + "-" + day;
                e.sessionIndex = i;
                if (keep.test(e)) {
                    out.add(e);
                }
            }
        }
        return out;
    }

    private static ProducerRecord<byte[], byte[]> deadLetter(LocalDate day, String reason) {
        return new ProducerRecord<>(
                deadTopic,
                null,
                day.atStartOfDay(ZoneOffset.UTC).toInstant().toEpochMilli() + 43_200_000L,
                null,
                ("{\"reason\":\"" + reason + "\",\"detail\":\"test\"}").getBytes(StandardCharsets.UTF_8));
    }

    private record Run(int code, String printed, String junit) {}

    private static Run check(LocalDate day) throws Exception {
        Path junit = Files.createTempFile("quality", ".xml");
        PrintStream original = System.out;
        ByteArrayOutputStream printed = new ByteArrayOutputStream();
        System.setOut(new PrintStream(printed, true, StandardCharsets.UTF_8));
        int code;
        try {
            code = Quality.run(
                    "--day",
                    day.toString(),
                    "--junit",
                    junit.toString(),
                    "--set",
                    "clickhouse.urls=" + String.join(",", TestStack.clickHouseUrls()),
                    "--set",
                    "clickhouse.database=" + db,
                    "--set",
                    "kafka.bootstrap-servers=" + TestStack.kafkaBootstrap(),
                    "--set",
                    "kafka.dead-letter-topic=" + deadTopic);
        } finally {
            System.setOut(original);
        }
        return new Run(code, printed.toString(StandardCharsets.UTF_8), Files.readString(junit));
    }

    @Test
    void aDeclaredColumnWhoseRefusedValuesRoseMoreThanAPointFails() throws Exception {
        Run run = check(REFUSED);
        assertThat(failed(run)).containsExactly("age");
        assertThat(run.printed())
                .contains("5.00 % of 300 events on 2026-10-10, 1.00 % of 300 on 2026-10-09 (at most 1.00 points more)");
        assertThat(check(REFUSED.minusDays(1)).printed())
                .as("1 % against none the day before: within the point")
                .contains(", 0 failed")
                .contains("1.00 % of 300 events on 2026-10-09, 0.00 % of 0 on 2026-10-08");
        assertThat(check(GOOD).printed()).contains("none on either day");
    }

    private static List<String> failed(Run run) {
        return run.printed()
                .lines()
                .filter(l -> l.trim().startsWith("FAIL "))
                .map(l -> l.trim().substring(5, l.trim().indexOf(" — ")).trim())
                .toList();
    }

    @Test
    void aGoodDayPassesEveryCheckAndSaysSoInJUnitXml() throws Exception {
        Run run = check(GOOD);
        assertThat(failed(run)).isEmpty();
        assertThat(run.code()).isZero();
        assertThat(run.printed())
                .contains("data quality of " + db + " on " + GOOD + ": ")
                .contains(" 0 failed")
                .contains("events (all)")
                .contains("300 on 2026-11-19, 300 on 2026-11-12 (+0.00 %")
                .contains("invalid_json")
                .contains("2 (0.67 % of 300 events");
        assertThat(run.junit())
                .contains("failures=\"0\"")
                .contains("<testcase classname=\"volume (raw)\" name=\"events web\">");
    }

    @Test
    void aSourceTwoPercentDownFailsThatSourceAndTheTotalsNotTheOtherSource() throws Exception {
        Run run = check(SOURCE_DOWN);
        assertThat(run.code()).isEqualTo(1);
        // In the raw table and in the aggregates: all sources and the app's.
        assertThat(failed(run)).containsExactly("events (all)", "events app", "events (all)", "events app");
        assertThat(run.printed())
                .contains("147 on 2026-11-20, 150 on 2026-11-13 (-2.00 %; at most -0.50 %)")
                .contains("297 on 2026-11-20, 300 on 2026-11-13 (-1.00 %");
        assertThat(run.junit()).contains("failures=\"4\"").contains("<failure message=\"147 on 2026-11-20");
    }

    @Test
    void rowsStoredTwiceFailTheDuplicateCheckWhileTheAggregatesStayExact() throws Exception {
        Run run = check(TWICE);
        assertThat(failed(run)).containsExactly("event ids stored twice (without FINAL)");
        assertThat(run.printed()).contains("10 rows of 310 repeat an event id");
    }

    @Test
    void rowsWrittenAgainAsCorrectionsOfLateEventsAreNotCopies() throws Exception {
        Run run = check(CORRECTED);
        assertThat(failed(run)).isEmpty();
        assertThat(run.printed()).contains("310 rows, no event id copied (10 written again as corrections)");
    }

    @Test
    void lostAggregatesFailTheirVolumeAndTheirAgreementWithTheRawRows() throws Exception {
        Run run = check(NO_AGGREGATES);
        assertThat(failed(run))
                .contains("events (all)", "users (all)", "sessions (all)", "events web", "users web", "sessions web")
                .contains("events app", "users app", "sessions app")
                .hasSize(18);
        assertThat(run.printed())
                .contains(
                        "raw 300, user_days 0: rebuild the day with tools.Aggregates rebuild --from " + NO_AGGREGATES);
    }

    @Test
    void deadLettersOverTheirShareFailByReason() throws Exception {
        Run run = check(DEAD_LETTERS);
        assertThat(failed(run)).containsExactly("missing_field");
        assertThat(run.printed()).contains("20 (6.67 % of 300 events; at most 1.00 %)");
    }
}
