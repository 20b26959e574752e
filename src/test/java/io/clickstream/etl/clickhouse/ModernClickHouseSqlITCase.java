package io.clickstream.etl.clickhouse;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import io.clickstream.etl.event.Event;
import io.clickstream.etl.funnel.FunnelDefinition;
import io.clickstream.etl.funnel.FunnelSql;
import io.clickstream.etl.session.SessionRow;
import io.clickstream.etl.testing.ModernClickHouse;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.w3c.dom.Element;
import org.w3c.dom.Node;

/**
 * Every statement of the project on a current ClickHouse (26.x, embedded: {@link ModernClickHouse}), next to the
 * 18.16 cluster the other integration tests use: the settings profile, the migrations through the real
 * {@link Migrator}, rows from the sink's own encoders (every column type) through the Distributed tables, the
 * queries the code generates, and the SQL examples of the README and docs/, read from the files.
 */
class ModernClickHouseSqlITCase {
    private static final Path PROFILE = Path.of("scripts/conf/clickhouse/profile.xml");
    private static final Path PROFILE_18_16 = Path.of("scripts/conf/clickhouse/profile-18.16.xml");
    /** The database the docs' examples name. */
    private static final String DB = "clickstream";

    private static final long T0 = Instant.parse("2026-11-20T09:00:00.250Z").toEpochMilli();

    private static ModernClickHouse ch;
    private static final List<Event> EVENTS = new ArrayList<>();

    @BeforeAll
    static void startMigrateAndInsert() throws Exception {
        ch = ModernClickHouse.start(List.of(PROFILE));
        new Migrator(ch, DB, ModernClickHouse.CLUSTER, new PrintStream(new ByteArrayOutputStream()))
                .migrate(Migrator.load(Path.of("sql")), false);
        for (int i = 0; i < 6; i++) {
            EVENTS.add(event(i));
        }
        ch.insertRowBinary(
                DB + ".events",
                EventRowEncoder.INSTANCE.columns(),
                encode(EventRowEncoder.INSTANCE, EVENTS),
                "insert_distributed_sync = 1");
    }

    @AfterAll
    static void stop() throws Exception {
        if (ch != null) {
            ch.close();
        }
    }

    /** An event with every column set, some to the edges of their types. */
    private static Event event(int i) {
        Event e = new Event();
        e.eventId = "ev-" + i;
        e.userId = "user-" + (i % 2) + " ü'\\\t";
        e.eventType = i == 0 ? "page_view" : i % 3 == 0 ? "purchase" : i % 2 == 0 ? "add_to_cart" : "page_view";
        e.source = "web";
        e.eventTime = T0 + i * 60_000L;
        e.url = "https://shop.example.com/product/" + i;
        e.referrer = "https://search.example.com/?q=a%20b";
        e.ip = "2001:db8::" + i;
        e.userAgent = "Mozilla/5.0 (X11; Linux x86_64)";
        e.propertyKeys = new String[] {"price", "currency", "query"};
        e.propertyValues = new String[] {"12.5", "EUR", "shoes"};
        e.kafkaTopic = "clickstream-web";
        e.kafkaPartition = 3;
        e.kafkaOffset = (1L << 40) + i;
        e.kafkaTimestamp = e.eventTime + 5;
        e.countryCode = "DE";
        e.country = "Germany";
        e.region = "Berlin";
        e.city = "Berlin";
        e.latitude = i % 2 == 0 ? 52.52 : null;
        e.longitude = i % 2 == 0 ? -13.405 : null;
        e.browser = "Firefox";
        e.browserVersion = "133.0";
        e.os = "Linux";
        e.osVersion = "??";
        e.deviceType = "Desktop";
        e.bot = i == 5;
        e.sessionId = "s-" + (i % 2);
        e.sessionNumber = 1;
        e.sessionIndex = i / 2 + 1;
        e.funnelIds = i == 0 ? new String[] {"checkout", "search-to-cart"} : new String[0];
        e.funnelSteps = i == 0 ? new int[] {1, 255} : new int[0];
        return e;
    }

    private static <T> byte[] encode(RowEncoder<T> encoder, List<T> rows) {
        RowBinaryBuffer b = new RowBinaryBuffer(1024);
        rows.forEach(r -> encoder.encode(r, b));
        return Arrays.copyOf(b.array(), b.size());
    }

    private static String tsv(String s) {
        return s.replace("\\", "\\\\").replace("\t", "\\t").replace("'", "\\'");
    }

    @Test
    void theSharedSettingsProfileLoadsAndEachOfItsSettingsTakesEffect() throws Exception {
        Map<String, String> settings = profileSettings(PROFILE);
        assertThat(settings).containsKeys("load_balancing", "max_memory_usage");
        for (Map.Entry<String, String> s : settings.entrySet()) {
            String value = ch.raw("SELECT toString(getSetting(" + ModernClickHouse.literal(s.getKey()) + "))")
                    .trim();
            assertThat(value.replace("true", "1").replace("false", "0"))
                    .as(s.getKey())
                    .isEqualTo(s.getValue());
        }
    }

    @Test
    void theSettingOnly1816NeedsIsRefusedByCurrentVersionsSoItLivesInAFileOfItsOwn() throws Exception {
        assertThat(profileSettings(PROFILE_18_16)).containsOnlyKeys("allow_experimental_low_cardinality_type");
        assertThatThrownBy(() ->
                        ModernClickHouse.start(List.of(PROFILE, PROFILE_18_16)).close())
                .hasMessageContaining("Unknown setting 'allow_experimental_low_cardinality_type'");
    }

    @Test
    void theClickHouseFilesDockerComposeMountsAreAcceptedAsItsContainersLoadThem() throws Exception {
        JsonNode compose =
                new YAMLMapper().readTree(Path.of("docker-compose.yml").toFile());
        JsonNode s1r1 = compose.get("services").get("clickhouse-s1r1");
        List<Path> usersD = new ArrayList<>();
        List<Path> configD = new ArrayList<>();
        for (JsonNode volume : compose.get("x-clickhouse").get("volumes")) {
            String[] v = volume.asText().split(":");
            (v[1].startsWith("/etc/clickhouse-server/users.d/") ? usersD : configD).add(Path.of(v[0]));
            assertThat(v[1]).as(volume.asText()).matches("/etc/clickhouse-server/(users|config)\\.d/.*\\.xml");
        }
        assertThat(usersD)
                .containsExactly(
                        Path.of("./scripts/conf/clickhouse/profile.xml"),
                        Path.of("./scripts/conf/clickhouse/analyst.xml"),
                        Path.of("./scripts/conf/clickhouse/job.xml"),
                        Path.of("./scripts/conf/clickhouse/constraints.xml"));
        Map<String, String> env = new LinkedHashMap<>();
        s1r1.get("environment")
                .fields()
                .forEachRemaining(f -> env.put(f.getKey(), f.getValue().asText()));
        env.put("CLICKHOUSE_PASSWORD", "from-the-env-file");
        env.put("CLICKHOUSE_ANALYST_PASSWORD", "the-analysts-from-the-env-file");
        env.put("CLICKHOUSE_JOB_PASSWORD", "the-jobs-from-the-env-file");
        try (ModernClickHouse docker = ModernClickHouse.startWith(usersD, configD, env)) {
            assertThat(docker.raw(
                            "SELECT shard_num, host_name FROM system.clusters WHERE cluster = 'clickstream_cluster'"))
                    .isEqualTo("1\tclickhouse-s1r1\n1\tclickhouse-s1r2\n2\tclickhouse-s2r1\n2\tclickhouse-s2r2\n");
            assertThat(docker.raw("SELECT macro, substitution FROM system.macros ORDER BY macro"))
                    .isEqualTo("replica\ts1r1\nshard\t01\n");
            assertThat(docker.raw("SELECT getSetting('load_balancing')")).isEqualTo("in_order\n");
            // The analysts' login as the current version reads it: read-only, the clickstream database only.
            assertThat(docker.raw("SELECT setting_name, value FROM system.settings_profile_elements"
                            + " WHERE profile_name = 'analyst' AND setting_name IN ('readonly', 'max_execution_time')"
                            + " AND value IS NOT NULL ORDER BY 1"))
                    .isEqualTo("max_execution_time\t300\nreadonly\t1\n");
            assertThat(docker.raw("SELECT default_roles_all, name FROM system.users WHERE name = 'analyst'"))
                    .isEqualTo("1\tanalyst\n");
            assertThat(docker.raw("SELECT setting_name, value FROM system.settings_profile_elements"
                            + " WHERE profile_name = 'job' AND setting_name IN ('readonly', 'allow_ddl')"
                            + " AND value IS NOT NULL ORDER BY 1"))
                    .isEqualTo("allow_ddl\t0\nreadonly\t0\n");
            assertThat(docker.raw("SHOW GRANTS FOR clickstream_job")).contains(" ON clickstream.* TO clickstream_job");
            // Per-user limits, the analysts' quota, and the constraints that keep the job from setting past them.
            assertThat(docker.raw("SELECT profile_name, setting_name, value FROM system.settings_profile_elements"
                            + " WHERE setting_name IN ('max_concurrent_queries_for_user', 'max_memory_usage_for_user')"
                            + " AND value IS NOT NULL ORDER BY 1, 2"))
                    .isEqualTo(
                            "analyst\tmax_concurrent_queries_for_user\t8\nanalyst\tmax_memory_usage_for_user\t4000000000\n"
                                    + "job\tmax_concurrent_queries_for_user\t200\njob\tmax_memory_usage_for_user\t8000000000\n");
            assertThat(docker.raw(
                            "SELECT profile_name, setting_name, max, writability FROM system.settings_profile_elements"
                                    + " WHERE profile_name = 'job' AND setting_name IN ('max_memory_usage', 'allow_ddl', 'readonly')"
                                    + " AND (max IS NOT NULL OR writability IS NOT NULL) ORDER BY 2"))
                    .isEqualTo(
                            "job\tallow_ddl\t\\N\tCONST\njob\tmax_memory_usage\t4000000000\t\\N\njob\treadonly\t\\N\tCONST\n");
            assertThat(docker.raw("SELECT name, durations FROM system.quotas WHERE name = 'analyst'"))
                    .isEqualTo("analyst\t[3600]\n");
            String grants = docker.raw("SHOW GRANTS FOR analyst");
            assertThat(grants).containsPattern("(?m)^GRANT .*\\bSELECT\\b.* ON clickstream\\.\\* TO analyst$");
            assertThat(grants)
                    .as("databases named in grants")
                    .doesNotContainPattern(" ON (?!clickstream[ .])[a-z_]+\\.");
        }
    }

    @Test
    void everyMigrationIsAppliedOnceAndRecorded() throws Exception {
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        List<Migration> again = new Migrator(
                        ch, DB, ModernClickHouse.CLUSTER, new PrintStream(log, true, StandardCharsets.UTF_8))
                .migrate(Migrator.load(Path.of("sql")), false);
        assertThat(again).as("all applied at start").isEmpty();
        assertThat(log.toString(StandardCharsets.UTF_8)).contains("is up to date");
        assertThat(ch.raw("SELECT count() FROM " + DB + ".schema_migrations").trim())
                .isEqualTo(String.valueOf(Migrator.load(Path.of("sql")).size()));
        assertThat(ch.raw("SELECT name, engine FROM system.tables WHERE database = '" + DB + "' ORDER BY name"))
                .isEqualTo("corrected_days\tDistributed\ncorrected_days_local\tReplacingMergeTree\n"
                        + "events\tDistributed\nevents_local\tReplacingMergeTree\nobject_keys\tReplacingMergeTree\n"
                        + "objects_daily\tDistributed\nobjects_daily_keys_mv\tMaterializedView\n"
                        + "objects_daily_local\tAggregatingMergeTree\nobjects_daily_url_mv\tMaterializedView\n"
                        + "schema_migrations\tMergeTree\n"
                        + "sessions\tDistributed\nsessions_local\tReplacingMergeTree\n"
                        + "user_days\tDistributed\nuser_days_local\tAggregatingMergeTree\nuser_days_mv\tMaterializedView\n"
                        + "users_daily\tDistributed\nusers_daily_local\tAggregatingMergeTree\n");
    }

    @Test
    void everyReportsQueryRunsOnTheCurrentVersionAndCountsTheEvents() throws Exception {
        java.time.LocalDate day =
                Instant.ofEpochMilli(T0).atZone(ZoneOffset.UTC).toLocalDate();
        for (io.clickstream.etl.report.ReportRequest.Split split :
                io.clickstream.etl.report.ReportRequest.Split.values()) {
            io.clickstream.etl.report.ReportRequest request = new io.clickstream.etl.report.ReportRequest(
                    DB,
                    day,
                    day,
                    List.of(io.clickstream.etl.report.ReportRequest.Kind.values()),
                    split,
                    split.ordinal() % 2 + 1,
                    7,
                    1,
                    20);
            for (io.clickstream.etl.report.ReportRequest.Kind kind : request.kinds()) {
                String answer = ch.raw(io.clickstream.etl.report.ReportQueries.of(request, kind)
                        .sql());
                if (kind == io.clickstream.etl.report.ReportRequest.Kind.TRAFFIC && split.ordinal() == 0) {
                    long pageViews = EVENTS.stream()
                            .filter(e -> e.eventType.equals("page_view"))
                            .count();
                    assertThat(answer).isEqualTo(day + "\t\t" + pageViews + "\t2\t2\n");
                }
            }
        }
    }

    @Test
    void theDailyUserAggregatesFollowTheInsertedEvents() throws Exception {
        Map<String, long[]> byUser = new java.util.TreeMap<>();
        for (Event e : EVENTS) {
            long[] c = byUser.computeIfAbsent(tsv(e.userId), u -> new long[2]);
            c[0]++;
            c[1] += e.eventType.equals("page_view") ? 1 : 0;
        }
        StringBuilder expected = new StringBuilder();
        byUser.forEach((user, c) -> expected.append(user)
                .append('\t')
                .append(c[0])
                .append('\t')
                .append(c[1])
                .append('\n'));
        assertThat(ch.raw("SELECT user_id, uniqExactMerge(events), uniqExactIfMerge(page_views) FROM " + DB
                        + ".user_days GROUP BY user_id ORDER BY user_id"))
                .isEqualTo(expected.toString());
        assertThat(ch.raw("SELECT arraySort(groupUniqArrayArrayMerge(funnel_steps)) FROM " + DB + ".user_days"))
                .isEqualTo("['checkout:1','search-to-cart:255']\n");
    }

    @Test
    void eventRowsFromTheSinksEncoderComeBackWithEveryColumnIntact() throws Exception {
        String stored =
                ch.raw("SELECT dt, ts, ts_ms, event_id, user_id, uh = cityHash64(user_id), event_type, source, url,"
                        + " referrer, ip, user_agent, props.key, props.value, kafka_topic, kafka_partition, kafka_offset, version,"
                        + " country_code, country, region, city, latitude, longitude, browser, browser_version, os, os_version,"
                        + " device_type, is_bot, session_id, session_number, session_index, funnels.id, funnels.step"
                        + " FROM " + DB + ".events ORDER BY event_id SETTINGS session_timezone = 'UTC'");
        StringBuilder expected = new StringBuilder();
        for (Event e : EVENTS) {
            Instant t = Instant.ofEpochMilli(e.eventTime);
            expected.append(String.join(
                            "\t",
                            List.of(
                                    t.atZone(ZoneOffset.UTC).toLocalDate().toString(),
                                    java.time.format.DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss")
                                            .withZone(ZoneOffset.UTC)
                                            .format(t),
                                    String.valueOf(e.eventTime % 1000),
                                    e.eventId,
                                    tsv(e.userId),
                                    "1",
                                    e.eventType,
                                    e.source,
                                    e.url,
                                    e.referrer,
                                    e.ip,
                                    e.userAgent,
                                    "['price','currency','query']",
                                    "['12.5','EUR','shoes']",
                                    e.kafkaTopic,
                                    String.valueOf(e.kafkaPartition),
                                    String.valueOf(e.kafkaOffset),
                                    String.valueOf(e.kafkaTimestamp),
                                    e.countryCode,
                                    e.country,
                                    e.region,
                                    e.city,
                                    e.latitude == null ? "\\N" : "52.52",
                                    e.longitude == null ? "\\N" : "-13.405",
                                    e.browser,
                                    e.browserVersion,
                                    e.os,
                                    e.osVersion,
                                    e.deviceType,
                                    e.bot ? "1" : "0",
                                    e.sessionId,
                                    String.valueOf(e.sessionNumber),
                                    String.valueOf(e.sessionIndex),
                                    e.funnelIds.length == 0 ? "[]" : "['checkout','search-to-cart']",
                                    e.funnelSteps.length == 0 ? "[]" : "[1,255]")))
                    .append('\n');
        }
        assertThat(stored).isEqualTo(expected.toString());
    }

    @Test
    void sessionRowsFromTheSinksEncoderComeBackWithEveryColumnIntact() throws Exception {
        SessionRow s = new SessionRow();
        s.sessionId = "s-9";
        s.userId = "user-9";
        s.sessionNumber = 4;
        s.origin = T0;
        s.start = T0;
        s.end = T0 + 1_799_749; // 09:29:59.999
        s.events = 7;
        s.pageViews = 3;
        s.entryUrl = "https://a.example/";
        s.exitUrl = "https://a.example/bye";
        s.referrer = "";
        s.sources = new String[] {"web", "app"};
        s.countryCode = "FR";
        s.country = "France";
        s.region = "Île-de-France";
        s.city = "Paris";
        s.browser = "Chrome";
        s.os = "Android";
        s.deviceType = "Phone";
        s.bot = false;
        ch.insertRowBinary(
                DB + ".sessions",
                SessionRowEncoder.INSTANCE.columns(),
                encode(SessionRowEncoder.INSTANCE, List.of(s)),
                "insert_distributed_sync = 1");
        assertThat(ch.raw("SELECT dt, session_id, user_id, uh = cityHash64(user_id), session_number, start, end,"
                        + " duration_s, events, page_views, entry_url, exit_url, referrer, sources, country_code, country, region,"
                        + " city, browser, os, device_type, is_bot, version FROM " + DB
                        + ".sessions FINAL WHERE session_id = 's-9'"
                        + " SETTINGS session_timezone = 'UTC'"))
                .isEqualTo("2026-11-20\ts-9\tuser-9\t1\t4\t2026-11-20 09:00:00\t2026-11-20 09:29:59\t1799\t7\t3\t"
                        + "https://a.example/\thttps://a.example/bye\t\t['web','app']\tFR\tFrance\tÎle-de-France\tParis\t"
                        + "Chrome\tAndroid\tPhone\t0\t7\n");
    }

    @Test
    void theCorrectionsOfLateEventsRewriteTheRowsOnTheCurrentVersion() throws Exception {
        // A database of its own: the other cases count every row of theirs.
        String db = "corrections";
        new Migrator(ch, db, ModernClickHouse.CLUSTER, new PrintStream(new ByteArrayOutputStream()))
                .migrate(Migrator.load(Path.of("sql")), false);
        List<Event> rows = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            Event e = event(i);
            e.userId = "late ü'\\";
            e.eventTime = T0 + (i == 2 ? 10 : 20 + i) * 60_000L; // the third came late, between the first two
            e.sessionId = "s-first";
            e.sessionIndex = i;
            // As the step tagged them in the order they came: the late page view at the end of the progress.
            e.eventType = i == 1 ? "add_to_cart" : "page_view";
            e.funnelIds = i == 2 ? new String[0] : new String[] {"f"};
            e.funnelSteps = i == 2 ? new int[0] : new int[] {i + 1};
            rows.add(e);
        }
        ch.insertRowBinary(
                db + ".events",
                EventRowEncoder.INSTANCE.columns(),
                encode(EventRowEncoder.INSTANCE, rows),
                "insert_distributed_sync = 1");
        ch.raw("SET insert_distributed_sync = 1");
        EventCorrections corrections = new EventCorrections(
                (sql, settings) -> ch.execute(sql),
                db + ".events",
                EventRowEncoder.INSTANCE.columns(),
                null,
                List.of(),
                new io.clickstream.etl.funnel.FunnelRowTagging());
        io.clickstream.etl.session.SessionCorrection correction = new io.clickstream.etl.session.SessionCorrection(
                rows.get(0).userId, "s-late", 1, T0 + 10 * 60_000L, T0 + 21 * 60_000L, 3);
        correction.funnels = new String[] {
            "{\"id\": \"f\", \"steps\": [{\"event_type\": \"page_view\", \"where\": {\"url\": {\"prefix\": \"http\"}}},"
                    + " {\"event_type\": \"add_to_cart\"}]}"
        };

        // A late backend event gave a plan from minute 21 on: the row there holds it, the others keep their own.
        correction.joined = new io.clickstream.etl.session.JoinedFix[] {
            new io.clickstream.etl.session.JoinedFix(
                    T0 + 21 * 60_000L,
                    T0 + 30 * 60_000L,
                    "backend",
                    new String[0],
                    new String[] {"acct.plan", "currency"},
                    new String[] {"pro", ""})
        };

        EventCorrections.Outcome outcome = corrections.apply(List.of(correction), false);

        assertThat(outcome.waiting()).isEmpty();
        assertThat(outcome.rowsWritten())
                .as("the row the fix covers, then all three for their index")
                .isEqualTo(4);
        assertThat(ch.raw(
                        "SELECT event_id, props.key, props.value FROM " + db + ".events FINAL ORDER BY session_index"))
                .as("the joined plan in, the joined currency out, the own properties kept")
                .isEqualTo("ev-2\t['price','currency','query']\t['12.5','EUR','shoes']\n"
                        + "ev-0\t['price','currency','query']\t['12.5','EUR','shoes']\n"
                        + "ev-1\t['price','query','acct.plan']\t['12.5','shoes','pro']\n");
        assertThat(ch.raw("SELECT event_id, session_id, session_index FROM " + db
                        + ".events FINAL ORDER BY session_index"))
                .as("ranked by time, under the correction's id")
                .isEqualTo("ev-2\ts-late\t0\nev-0\ts-late\t1\nev-1\ts-late\t2\n");
        assertThat(ch.raw("SELECT event_id, funnels.id, funnels.step FROM " + db
                        + ".events FINAL ORDER BY session_index"))
                .as("tagged again in time order: the late view starts the funnel")
                .isEqualTo("ev-2\t['f']\t[1]\nev-0\t[]\t[]\nev-1\t['f']\t[2]\n");
        assertThat(ch.raw("SELECT count() FROM " + db + ".events FINAL")).isEqualTo("3\n");
        assertThat(ch.raw("SELECT dt, user_id = " + ClickHouseSql.literal(rows.get(0).userId) + " FROM " + db
                        + ".corrected_days"))
                .as("the user-day listed as corrected")
                .isEqualTo(Instant.ofEpochMilli(T0).atZone(ZoneOffset.UTC).toLocalDate() + "\t1\n");
        assertThat(ch.raw("SELECT uniqExactMerge(events), uniqExactMerge(sessions),"
                        + " arraySort(groupUniqArrayArrayMerge(funnel_steps)) FROM "
                        + io.clickstream.etl.aggregate.CurrentUserDays.rows(db, "", "dt > toDate('1970-01-02')")))
                .as("its current figures from the current rows (user_days still counts s-first)")
                .isEqualTo("3\t1\t['f:1','f:2']\n");
        assertThat(ch.raw("SELECT uniqExactMerge(sessions) FROM " + db + ".user_days"))
                .isEqualTo("2\n");
    }

    @Test
    void declaredColumnsAtTheirTypesEdgesComeBackAsConvertedAndEncoded() throws Exception {
        ch.raw("CREATE DATABASE IF NOT EXISTS declared");
        ch.raw(DeclaredColumnsRoundTrip.createTable("declared.t", false, "MergeTree ORDER BY tuple()"));
        ch.insertRowBinary("declared.t", DeclaredColumnsRoundTrip.names(), DeclaredColumnsRoundTrip.row(), "");
        assertThat(ch.raw(DeclaredColumnsRoundTrip.select("declared.t")))
                .isEqualTo(DeclaredColumnsRoundTrip.expected());
    }

    @Test
    void theStatementsOfASchemaFileAddItsColumnsWithTheirDefaults() throws Exception {
        ch.raw("CREATE DATABASE IF NOT EXISTS declared_ddl");
        assertThat(DeclaredColumnsRoundTrip.addedColumnsDefaults("declared_ddl", false, ch::execute))
                .isEqualTo(DeclaredColumnsRoundTrip.DEFAULTS + DeclaredColumnsRoundTrip.DEFAULTS);
    }

    @Test
    void eventsWithDeclaredColumnsAndErrorLogAreStoredAndACorrectionCarriesThemOver() throws Exception {
        String db = "declared_events";
        new Migrator(ch, db, ModernClickHouse.CLUSTER, new PrintStream(new ByteArrayOutputStream()))
                .migrate(Migrator.load(Path.of("sql")), false);
        DeclaredRow declared = new DeclaredRow(io.clickstream.etl.schema.DeclaredColumns.parse(
                "{\"columns\": [{\"name\": \"age\", \"type\": \"UInt8\", \"path\": \"properties.age\"},"
                        + "{\"name\": \"plan\", \"type\": \"LowCardinality(String)\", \"path\": \"properties.plan\"}]}",
                DeclaredRow.reserved()));
        for (String statement : DeclaredColumnsDdl.statements(
                db, ModernClickHouse.CLUSTER, declared.columns(), Map.of(), Map.of(), false)) {
            ch.execute(statement);
        }
        EventRowEncoder encoder = EventRowEncoder.withDeclared(declared);
        List<Event> rows = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            Event e = event(i);
            e.userId = "declared";
            e.sessionId = i == 2 ? "s-b" : "s-a";
            e.sessionIndex = i == 2 ? 0 : i;
            e.eventTime = T0 + (i == 2 ? 50 : i) * 60_000L;
            e.declared = declared.encode(
                    e.eventType,
                    new io.clickstream.etl.schema.JsonValue[] {
                        io.clickstream.etl.schema.JsonValue.number(i == 1 ? "300" : "3" + i),
                        io.clickstream.etl.schema.JsonValue.string("pro")
                    },
                    (column, reason) -> {});
            rows.add(e);
        }
        ch.insertRowBinary(db + ".events", encoder.columns(), encode(encoder, rows), "insert_distributed_sync = 1");
        ch.raw("SET insert_distributed_sync = 1");
        EventCorrections corrections =
                new EventCorrections((sql, settings) -> ch.execute(sql), db + ".events", encoder.columns());
        assertThat(corrections
                        .apply(
                                List.of(new io.clickstream.etl.session.SessionCorrection(
                                        "declared", "s-a", 1, T0, T0 + 50 * 60_000L, 3)),
                                false)
                        .rowsWritten())
                .isEqualTo(1);
        assertThat(ch.raw("SELECT event_id, session_id, age, plan, error_log.field, error_log.value, error_log.reason"
                        + " FROM " + db + ".events FINAL ORDER BY ts"))
                .isEqualTo("ev-0\ts-a\t30\tpro\t[]\t[]\t[]\n"
                        + "ev-1\ts-a\t0\tpro\t['age']\t['300']\t['out_of_range']\n"
                        + "ev-2\ts-a\t32\tpro\t[]\t[]\t[]\n");
    }

    @Test
    void theReplayLookUpFindsExactlyTheStoredRows() throws Exception {
        Event notStored = event(7);
        List<Event> asked = List.of(EVENTS.get(1), EVENTS.get(4), notStored);
        assertThat(ch.execute(ClickHouseStoredEvents.query(DB + ".events", asked))
                        .split("\n"))
                .containsExactlyInAnyOrder(
                        "clickstream-web\t3\t" + EVENTS.get(1).kafkaOffset,
                        "clickstream-web\t3\t" + EVENTS.get(4).kafkaOffset);
        // The form over every replica, from system.tables and system.clusters; the one replica it names here is this
        // engine, which does not listen: parsed, not run.
        String everyReplica = ClickHouseStoredEvents.everyReplica(ch, DB, "events", "default");
        assertThat(everyReplica).matches("remote\\('localhost:\\d+', 'clickstream', 'events_local', 'default'\\)");
        ch.raw("SELECT formatQuery(" + ModernClickHouse.literal(ClickHouseStoredEvents.query(everyReplica, asked))
                + ") FORMAT Null");
    }

    @Test
    void theLatencyProbesQueryRuns() throws Exception {
        assertThat(ch.execute(io.clickstream.etl.tools.LatencyProbe.seenQuery(DB + ".events", List.of("ev-1", "x'y"))))
                .as("no probe events among these")
                .isEmpty();
    }

    @Test
    void theFunnelReportsRunForEveryExampleDefinitionInBothModes() throws Exception {
        List<Path> files;
        try (Stream<Path> s = Files.list(Path.of("flink-conf/funnels"))) {
            files = s.filter(p -> p.toString().endsWith(".json")).sorted().toList();
        }
        assertThat(files).isNotEmpty();
        LocalDate day = LocalDate.of(2026, 11, 20);
        for (Path f : files) {
            String json = Files.readString(f);
            for (String mode : List.of("sequential", "strict")) {
                FunnelDefinition d = FunnelDefinition.parse(
                        json.replaceFirst("\"mode\"\\s*:\\s*\"\\w+\"", "\"mode\": \"" + mode + "\""));
                String report = ch.execute(FunnelSql.retroactive(d, DB + ".events", day.minusDays(40), day));
                assertThat(report).as(f + " " + mode).matches("(\\d+\t\\d+\n)+");
            }
            String streamed =
                    ch.execute(FunnelSql.streamed(FunnelDefinition.parse(json).id(), DB + ".events", day, day));
            assertThat(streamed).as(f + " streamed").matches("(\\d+\t\\d+\n)*");
        }
    }

    @Test
    void theSqlExamplesOfTheReadmeAndDocsRunAsWritten() throws Exception {
        Map<String, List<String>> examples = new LinkedHashMap<>();
        List<Path> docs = new ArrayList<>(List.of(Path.of("README.md")));
        try (Stream<Path> s = Files.list(Path.of("docs"))) {
            s.filter(p -> p.toString().endsWith(".md")).sorted().forEach(docs::add);
        }
        Pattern block = Pattern.compile("```sql\\n(.*?)```", Pattern.DOTALL);
        for (Path doc : docs) {
            Matcher m = block.matcher(Files.readString(doc));
            while (m.find()) {
                for (String statement : statements(m.group(1))) {
                    examples.computeIfAbsent(doc.toString(), k -> new ArrayList<>())
                            .add(statement);
                }
            }
        }
        assertThat(examples)
                .as("the pages with SQL examples")
                .containsKeys("docs/clickhouse.md", "docs/funnels.md", "docs/schema.md");
        int run = 0;
        for (Map.Entry<String, List<String>> e : examples.entrySet()) {
            for (String statement : e.getValue()) {
                try {
                    ch.execute(statement);
                } catch (ModernClickHouse.SqlRefused refused) {
                    throw new AssertionError("an SQL example in " + e.getKey() + ": " + refused.getMessage(), refused);
                }
                run++;
            }
        }
        assertThat(run).isGreaterThanOrEqualTo(5);
    }

    /** The statements of an SQL block: split at ';' ending a line, comment lines dropped. */
    private static List<String> statements(String block) {
        List<String> out = new ArrayList<>();
        StringBuilder cur = new StringBuilder();
        for (String line : block.split("\n")) {
            if (line.strip().startsWith("--")) {
                continue;
            }
            cur.append(line).append('\n');
            if (line.strip().endsWith(";")) {
                out.add(cur.toString().strip().replaceAll(";$", ""));
                cur.setLength(0);
            }
        }
        if (!cur.toString().isBlank()) {
            out.add(cur.toString().strip());
        }
        return out;
    }

    /** The settings of the 'default' profile in a users.d file. */
    private static Map<String, String> profileSettings(Path file) throws Exception {
        Element root = DocumentBuilderFactory.newInstance()
                .newDocumentBuilder()
                .parse(file.toFile())
                .getDocumentElement();
        Element profile =
                (Element) ((Element) root.getElementsByTagName("profiles").item(0))
                        .getElementsByTagName("default")
                        .item(0);
        Map<String, String> settings = new LinkedHashMap<>();
        for (Node n = profile.getFirstChild(); n != null; n = n.getNextSibling()) {
            if (n instanceof Element el) {
                settings.put(el.getTagName(), el.getTextContent().trim());
            }
        }
        return settings;
    }
}
