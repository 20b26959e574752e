package io.clickstream.etl.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.clickstream.etl.clickhouse.ClickHouseSql;
import io.clickstream.etl.funnel.FunnelDefinition;
import io.clickstream.etl.funnel.FunnelSql;
import io.clickstream.etl.testing.TestStack;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The retroactive funnel report over a long range, on the real ClickHouse: a session on the range's first day and
 * sessions weeks later get the same levels. windowFunnel on 18.16 keeps its times in 32 bits, so milliseconds
 * counted from the range's start wrapped after 24.8 days and put later sessions at level 0 (days 26 and 49 of a
 * 49-day range, before the times were counted per session).
 */
class FunnelReportRangeITCase {
    private static final long HOUR = 3_600_000L;
    private static final LocalDate FIRST = LocalDate.of(2026, 1, 1);

    private static final FunnelDefinition SEQUENTIAL = FunnelDefinition.parse("{\"id\": \"r\", \"name\": \"r\", "
            + "\"mode\": \"sequential\", \"window\": \"1h\", \"steps\": [{\"name\": \"a\", \"event_type\": \"a\"}, "
            + "{\"name\": \"b\", \"event_type\": \"b\"}, {\"name\": \"c\", \"event_type\": \"c\"}]}");
    private static final FunnelDefinition STRICT = FunnelDefinition.parse("{\"id\": \"s\", \"name\": \"s\", "
            + "\"mode\": \"strict\", \"window\": \"1h\", \"steps\": [{\"name\": \"a\", \"event_type\": \"a\"}, "
            + "{\"name\": \"b\", \"event_type\": \"b\"}, {\"name\": \"c\", \"event_type\": \"c\"}]}");

    private record Row(String session, int index, long time, String type) {}

    /** The same three sessions on each given day: all steps in the hour; a, b, then c after the hour; a only. */
    private static List<Row> sessionsOn(int... days) {
        List<Row> rows = new ArrayList<>();
        for (int day : days) {
            long start = FIRST.plusDays(day - 1)
                            .atStartOfDay(ZoneOffset.UTC)
                            .toInstant()
                            .toEpochMilli()
                    + 10 * HOUR;
            String d = "d" + day;
            rows.add(new Row(d + "-full", 0, start, "a"));
            rows.add(new Row(d + "-full", 1, start + 10 * 60_000 + 7, "b"));
            rows.add(new Row(d + "-full", 2, start + HOUR, "c")); // the window's last millisecond counts
            rows.add(new Row(d + "-late", 0, start, "a"));
            rows.add(new Row(d + "-late", 1, start + 60_000, "b"));
            rows.add(new Row(d + "-late", 2, start + HOUR + 1, "c"));
            rows.add(new Row(d + "-one", 0, start, "a"));
        }
        return rows;
    }

    private static String insert(String database, List<Row> rows) {
        return insert(database, rows, 0);
    }

    /** The rows, their event ids numbered from {@code firstId}. */
    private static String insert(String database, List<Row> rows, int firstId) {
        StringBuilder sql = new StringBuilder("INSERT INTO " + database + ".events_local "
                + "(dt, ts, ts_ms, event_id, user_id, event_type, session_id, session_index) VALUES ");
        for (int i = 0; i < rows.size(); i++) {
            Row r = rows.get(i);
            sql.append(i == 0 ? "" : ", ")
                    .append("('")
                    .append(java.time.Instant.ofEpochMilli(r.time())
                            .atZone(ZoneOffset.UTC)
                            .toLocalDate())
                    .append("', ")
                    .append(r.time() / 1000)
                    .append(", ")
                    .append(r.time() % 1000)
                    .append(", 'e")
                    .append(firstId + i)
                    .append("', 'u', '")
                    .append(r.type())
                    .append("', '")
                    .append(r.session())
                    .append("', ")
                    .append(r.index())
                    .append(")");
        }
        return sql.toString();
    }

    @Test
    void sessionsOnTheFirstDayAndWeeksLaterGetTheLevelsTheirTimesGive() throws Exception {
        TestStack.requireRunning();
        String database = TestStack.migratedDatabase();
        String node = TestStack.clickHouseUrls().get(0);
        TestStack.query(node, insert(database, sessionsOn(1, 26, 60)));
        LocalDate last = FIRST.plusDays(59);

        for (FunnelDefinition d : List.of(SEQUENTIAL, STRICT)) {
            String levels = TestStack.query(node, FunnelSql.retroactive(d, database + ".events", FIRST, last));
            // Per day: one session at level 3, one at 2 (c came a millisecond after the window), one at 1.
            assertThat(levels).as(d.mode() + " over " + FIRST + ".." + last).isEqualTo("1\t3\n2\t3\n3\t3\n");
        }
    }

    @Test
    void aSessionOfTensOfThousandsOfEventsGetsItsStrictLevelInLittleMemory() throws Exception {
        TestStack.requireRunning();
        String database = TestStack.migratedDatabase();
        String node = TestStack.clickHouseUrls().get(0);
        // A robot's session: a, x, b, c over and over, a second apart: the strict run a-b-c never happens (x breaks
        // it) until the last four events, which are a, b, c, and the session reaches step 3 only there.
        long start = FIRST.atStartOfDay(ZoneOffset.UTC).toInstant().toEpochMilli();
        List<Row> rows = new ArrayList<>();
        String[] cycle = {"a", "x", "b", "c"};
        int n = 40_000;
        for (int i = 0; i < n; i++) {
            rows.add(new Row("robot", i, start + i * 1000L, cycle[i % 4]));
        }
        rows.add(new Row("robot", n, start + n * 1000L, "a"));
        rows.add(new Row("robot", n + 1, start + (n + 1) * 1000L, "b"));
        rows.add(new Row("robot", n + 2, start + (n + 2) * 1000L, "c"));
        for (int from = 0; from < rows.size(); from += 10_000) {
            TestStack.query(node, insert(database, rows.subList(from, Math.min(rows.size(), from + 10_000)), from));
        }
        try (ClickHouseSql sql = new ClickHouseSql(TestStack.clickHouse(), node)) {
            // Copying the session's arrays for each of its events would take 40,003^2 values: gigabytes.
            String levels = sql.execute(
                    FunnelSql.retroactive(STRICT, database + ".events", FIRST, FIRST.plusDays(1)),
                    java.util.Map.of("max_memory_usage", "500000000"));
            assertThat(levels).isEqualTo("3\t1\n");
        }
    }
}
