package io.clickstream.etl.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.clickstream.etl.config.JobConfig;
import io.clickstream.etl.funnel.FunnelDefinition;
import io.clickstream.etl.funnel.FunnelReport;
import io.clickstream.etl.testing.ClickstreamTruth;
import io.clickstream.etl.testing.ClickstreamTruth.Expected;
import io.clickstream.etl.testing.ClickstreamTruth.Generated;
import io.clickstream.etl.testing.TestStack;
import io.clickstream.etl.testing.TruthJob;
import io.clickstream.etl.tools.Funnels;
import io.clickstream.etl.tools.Replay;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.apache.flink.configuration.CheckpointingOptions;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.RestOptions;
import org.apache.flink.configuration.StateRecoveryOptions;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Sessions, joins and funnel tags are functions of the events' times, whatever order the topics are read in: a
 * stream of 300 users over three topics (web, app, backend), each user's events spread over all three, is compared
 * event by event with the truth that {@link ClickstreamTruth} computes by event time, in the cases where reading
 * order and time order part: a job that starts on a backlog in every topic (from earliest and from a timestamp), one
 * topic's whole backlog written after the others', a replay with the Redis state gone, a job killed in the middle of
 * a catch-up and restored from its checkpoint, and a live stream with disorder inside the bound. The retroactive
 * funnel report (ClickHouse's windowFunnel over the stored rows) must equal the stream's tags, also for a step that
 * tests a joined property.
 */
class EventTimeSessionsITCase {
    @RegisterExtension
    static final MiniClusterExtension FLINK = new MiniClusterExtension(TestStack.miniClusterKeepingCheckpoints());

    private static final int USERS = 300;
    /** Topics, database and settings of one case. */
    private record Case(
            Map<String, String> topics,
            String database,
            JobConfig config,
            ClickstreamTruth truth,
            Map<String, Expected> expected) {}

    /** A case of the usual time scale: sessions over the 17 hours before now (a 30-minute gap). */
    private static Case newCase(long seed) throws Exception {
        return newCase(seed, ClickstreamTruth.Timing.hours(), System.currentTimeMillis() - 17 * 3_600_000L, Map.of());
    }

    private static Case newCase(long seed, ClickstreamTruth.Timing timing, long start, Map<String, String> extra)
            throws Exception {
        return newCase(seed, USERS, timing, start, extra);
    }

    private static Case newCase(
            long seed, int users, ClickstreamTruth.Timing timing, long start, Map<String, String> extra)
            throws Exception {
        TruthJob.Setup setup = TruthJob.setUp(extra);
        ClickstreamTruth truth = ClickstreamTruth.generate(seed, users, timing, start);
        return new Case(
                setup.topics(), setup.database(), setup.config(), truth, truth.expected(TruthJob.TRUTH_FUNNELS));
    }

    private static List<ProducerRecord<byte[], byte[]>> records(Case c, List<Generated> events) {
        return events.stream().map(e -> e.record(c.topics)).toList();
    }

    @Test
    void aJobStartingOnABacklogInEveryTopicGivesTheEventTimeTruthAsDoStartsFromATimestampAndReplaysWithoutRedisState()
            throws Exception {
        Case c = newCase(1);
        // Each source's producer sent its events in time order while the job was stopped.
        Map<String, Long> writtenAt = new HashMap<>();
        for (String source : ClickstreamTruth.SOURCES) {
            List<Generated> events = c.truth.of(source);
            List<RecordMetadata> acks = TestStack.produce(records(c, events));
            for (int i = 0; i < events.size(); i++) {
                writtenAt.put(events.get(i).id(), acks.get(i).timestamp());
            }
        }
        runUntilStored(c, c.config, c.database);
        assertMatchesTheTruth(c, c.database);
        assertReportsEqualTheTags(c, c.database);

        // A start at a record time in the middle of the web topic's backlog, with empty Redis and tables: the truth of
        // exactly the events written from then on (the rest of web, all of app and backend).
        List<Generated> web = c.truth.of("web");
        long from = writtenAt.get(web.get(web.size() / 2).id());
        ClickstreamTruth later = c.truth.only(e -> writtenAt.get(e.id()) >= from);
        Case fromTimestamp = new Case(
                c.topics, TestStack.migratedDatabase(), c.config, later, later.expected(TruthJob.TRUTH_FUNNELS));
        // The timestamp goes first: every with(...) validates, and start-from=timestamp needs it.
        JobConfig atTimestamp = c.config
                .with("kafka.start-timestamp", String.valueOf(from))
                .with("kafka.start-from", "timestamp")
                .with("kafka.group-id", TestStack.unique("g"))
                .with("redis.key-prefix", TestStack.unique("ts"))
                .with("clickhouse.database", fromTimestamp.database);
        runUntilStored(fromTimestamp, atTimestamp, fromTimestamp.database);
        assertMatchesTheTruth(fromTimestamp, fromTimestamp.database);

        // The job stopped, its group rewound with the replay tool, Redis state gone: computed afresh, the same truth.
        String[] common = {
            "--set",
            "kafka.bootstrap-servers=" + TestStack.kafkaBootstrap(),
            "--set",
            "kafka.topics="
                    + c.config.get(io.clickstream.etl.config.Options.KAFKA_TOPICS).stream()
                            .reduce((a, b) -> a + "," + b)
                            .orElseThrow(),
            "--set",
            "kafka.group-id=" + c.config.get(io.clickstream.etl.config.Options.KAFKA_GROUP_ID)
        };
        Replay.run(concat(common, "--to-earliest", "--watch-seconds", "0", "--flink-rest", restUrl()));
        String replayed = TestStack.migratedDatabase();
        JobConfig replay = c.config
                .with("kafka.start-from", "group-offsets")
                .with("redis.key-prefix", TestStack.unique("empty"))
                .with("clickhouse.database", replayed);
        runUntilStored(c, replay, replayed);
        assertMatchesTheTruth(c, replayed);
    }

    @Test
    void oneTopicsWholeBacklogWrittenAfterTheOthersGivesTheTruth() throws Exception {
        Case c = newCase(2);
        TestStack.produce(records(c, c.truth.of("web")));
        TestStack.produce(records(c, c.truth.of("app")));
        Thread.sleep(1500); // a producer that flushes late: its records carry later write times
        TestStack.produce(records(c, c.truth.of("backend")));

        runUntilStored(c, c.config, c.database);
        assertMatchesTheTruth(c, c.database);
        assertReportsEqualTheTags(c, c.database);
    }

    @Test
    void aJobKilledInTheMiddleOfACatchUpAndRestoredFromItsCheckpointGivesTheTruth(@TempDir Path checkpoints)
            throws Exception {
        killAndRestore(newCase(3), checkpoints);
    }

    @Test
    void longSessionsWhoseEventsAreKeptInChunksGiveTheTruthAcrossAKillAndRestore(@TempDir Path checkpoints)
            throws Exception {
        // 30 users with sessions of up to 150 events in bursts: the per-user hash keeps a session's events in
        // 64-event chunk fields, and the restored tasks read them back from Redis.
        ClickstreamTruth.Timing longSessions = new ClickstreamTruth.Timing(
                30 * 60_000L, 3_600_000L, 2, 150, 100, 10 * 60_000L, 31 * 60_000L, 90 * 60_000L);
        Case c = newCase(5, 30, longSessions, System.currentTimeMillis() - 17 * 3_600_000L, Map.of());
        assertThat(c.expected.values().stream()
                        .collect(java.util.stream.Collectors.groupingBy(
                                Expected::sessionKey, java.util.stream.Collectors.counting()))
                        .values())
                .as("sessions longer than a chunk")
                .anyMatch(n -> n > 128);
        killAndRestore(c, checkpoints);
    }

    private static void killAndRestore(Case c, Path checkpoints) throws Exception {
        for (String source : ClickstreamTruth.SOURCES) {
            TestStack.produce(records(c, c.truth.of(source)));
        }
        // The first run reads slowly (small fetches, each waiting 100 ms: a few hundred events a second), so it is
        // killed in the middle of its catch-up, with events held for ordering in its checkpoints and rows stored
        // after the checkpoint it is restored from.
        Configuration retain = new Configuration();
        retain.set(
                CheckpointingOptions.CHECKPOINTS_DIRECTORY, checkpoints.toUri().toString());
        retain.setString("execution.checkpointing.externalized-checkpoint-retention", "RETAIN_ON_CANCELLATION");
        JobConfig slowReader = c.config
                .with("kafka.properties.fetch.min.bytes", "10000000")
                .with("kafka.properties.fetch.max.wait.ms", "100")
                .with("kafka.properties.max.partition.fetch.bytes", "1024");
        JobClient first = TestStack.job(slowReader, 300, retain).executeAsync("EventTimeSessionsITCase-killed");
        String node = TestStack.clickHouseUrls().get(0);
        TestStack.await(
                "a fifth of the rows and a checkpoint",
                Duration.ofSeconds(120),
                TestStack.unchecked(() -> rows(node, c.database) > c.truth.events.size() / 5
                        && TestStack.latestCheckpoint(checkpoints) != null));
        Path checkpoint = TestStack.latestCheckpoint(checkpoints);
        first.cancel().get(60, TimeUnit.SECONDS);
        long stored = rows(node, c.database);
        assertThat(stored).as("killed in the middle of the catch-up").isLessThan(c.truth.events.size() * 3L / 4);

        Configuration restore = new Configuration(retain);
        restore.set(StateRecoveryOptions.SAVEPOINT_PATH, checkpoint.toString());
        JobClient second = TestStack.job(c.config, 300, restore).executeAsync("EventTimeSessionsITCase-restored");
        try {
            awaitAllStored(c, c.database);
        } finally {
            second.cancel().get(60, TimeUnit.SECONDS);
        }
        assertMatchesTheTruth(c, c.database);
    }

    @Test
    void aJobStoppedAfterACheckpointAndStartedAfreshFromItsGroupOffsetsLeavesNoSessionRowBehind() throws Exception {
        // A long update interval: a session row that waited for it (or for the input to go quiet) would be held in
        // the stopped job's state alone, while its events' offsets were committed and a fresh start never sees them.
        Case c = newCase(
                6,
                ClickstreamTruth.Timing.hours(),
                System.currentTimeMillis() - 17 * 3_600_000L,
                Map.of("session.update-interval", "10min"));
        long middle = c.truth.events.get(c.truth.events.size() / 2).ts();
        List<Generated> before =
                c.truth.events.stream().filter(e -> e.ts() < middle).toList();
        List<Generated> after =
                c.truth.events.stream().filter(e -> e.ts() >= middle).toList();
        String node = TestStack.clickHouseUrls().get(0);

        TestStack.produce(records(c, before));
        JobClient first = TestStack.job(c.config, 500).executeAsync("EventTimeSessionsITCase-stopped");
        try {
            TestStack.await(
                    before.size() + " rows",
                    Duration.ofSeconds(180),
                    TestStack.unchecked(() -> rows(node, c.database) >= before.size()));
            // Two more checkpoints: the second was triggered after the last row left the per-user step.
            String job = first.getJobID().toString();
            long completed = TestStack.completedCheckpoints(restUrl(), job);
            TestStack.await(
                    "two more checkpoints",
                    Duration.ofSeconds(60),
                    () -> TestStack.completedCheckpoints(restUrl(), job) >= completed + 2);
        } finally {
            first.cancel().get(60, TimeUnit.SECONDS);
        }
        assertThat(TestStack.committedOffsets(c.config.get(io.clickstream.etl.config.Options.KAFKA_GROUP_ID)))
                .as("every offset committed")
                .isEqualTo(before.size());
        assertThat(TestStack.query(node, sessionsOfTheSessionsTable(c.database)))
                .as("a row for every session that has stored events, when the job is stopped")
                .isEqualTo(TestStack.query(node, sessionsOfTheEvents(c.database)));

        // Started afresh (no checkpoint) from the group's offsets, the same Redis state: the rest of the stream.
        TestStack.produce(records(c, after));
        runUntilStored(c, c.config.with("kafka.start-from", "group-offsets"), c.database);
        assertMatchesTheTruth(c, c.database);
    }

    private static String sessionsOfTheSessionsTable(String database) {
        return "SELECT session_id, max(events) FROM " + database
                + ".sessions FINAL GROUP BY session_id ORDER BY session_id FORMAT TabSeparated";
    }

    private static String sessionsOfTheEvents(String database) {
        return "SELECT session_id, count() FROM " + database
                + ".events GROUP BY session_id ORDER BY session_id FORMAT TabSeparated";
    }

    @Test
    void aLiveStreamWithDisorderInsideTheBoundGivesTheTruth() throws Exception {
        // Live: event time is the wall clock, so the disorder spans many watermark periods. The same shapes in
        // seconds (a 3 s session gap) over about 45 s; every event reaches Kafka up to 1.5 s after its time, a bound
        // of 2 s. With a bound of 1 ms, the events sent after a later one of the same partition would be late.
        Case c = newCase(
                4,
                ClickstreamTruth.Timing.seconds(),
                System.currentTimeMillis() + 8_000,
                Map.of("session.gap", "3s", "event-time.max-out-of-orderness", "2s"));
        Random random = new Random(4);
        Map<Generated, Long> sendAt = new HashMap<>();
        c.truth.events.forEach(e -> sendAt.put(e, e.ts() + random.nextInt(1500)));
        List<Generated> stream = new ArrayList<>(c.truth.events);
        stream.sort(Comparator.comparingLong(sendAt::get));
        int swapped = 0;
        Map<String, Long> newestSent = new HashMap<>();
        for (Generated e : stream) {
            if (e.ts() < newestSent.getOrDefault(e.user(), Long.MIN_VALUE)) {
                swapped++;
            }
            newestSent.merge(e.user(), e.ts(), Math::max);
        }
        assertThat(swapped).as("events sent after a later event of their user").isGreaterThan(50);

        JobClient job = TestStack.job(c.config, 1000).executeAsync("EventTimeSessionsITCase-live");
        try {
            TestStack.produce(
                    records(c, stream), stream.stream().mapToLong(sendAt::get).toArray());
            awaitAllStored(c, c.database);
            String rest = restUrl();
            assertThat(TestStack.metricSum(rest, job.getJobID().toString(), ".eventTime.lateEvents"))
                    .as("disorder inside the bound: nothing late")
                    .isZero();
            assertThat(TestStack.metricSum(rest, job.getJobID().toString(), ".eventTime.heldEvents"))
                    .as("the wall clock released the last ones")
                    .isZero();
        } finally {
            job.cancel().get(60, TimeUnit.SECONDS);
        }
        assertMatchesTheTruth(c, c.database);
        assertReportsEqualTheTags(c, c.database);
    }

    // ------------------------------------------------------------------------------------------------ helpers

    /** Runs the job (unbounded, as in production) until every event is stored, then cancels it. */
    private static void runUntilStored(Case c, JobConfig config, String database) throws Exception {
        JobClient job = TestStack.job(config, 1000).executeAsync("EventTimeSessionsITCase");
        try {
            awaitAllStored(c, database);
        } finally {
            job.cancel().get(60, TimeUnit.SECONDS);
        }
    }

    /** Waits while the job runs: session rows leave at the next checkpoint or update after their events. */
    private static void awaitAllStored(Case c, String database) throws InterruptedException {
        String node = TestStack.clickHouseUrls().get(0);
        TestStack.await(
                c.truth.events.size() + " rows",
                Duration.ofSeconds(180),
                TestStack.unchecked(() -> rows(node, database) >= c.truth.events.size()));
        TestStack.await(
                "session rows of every event",
                Duration.ofSeconds(60),
                TestStack.unchecked(
                        () -> TestStack.count(node, "SELECT sum(events) FROM " + database + ".sessions FINAL")
                                == c.truth.events.size()));
    }

    private static long rows(String node, String database) throws Exception {
        return TestStack.count(node, "SELECT count() FROM " + database + ".events");
    }

    private static void assertMatchesTheTruth(Case c, String database) throws Exception {
        TruthJob.assertStoredRowsMatch(database, c.expected);
    }

    /** The retroactive report over the stored rows equals the stream's tags and the truth, funnel by funnel. */
    private static void assertReportsEqualTheTags(Case c, String database) throws Exception {
        long first = c.truth.events.stream().mapToLong(Generated::ts).min().orElseThrow();
        long last = c.truth.events.stream().mapToLong(Generated::ts).max().orElseThrow();
        JobConfig config = c.config.with("clickhouse.database", database);
        for (String json : TruthJob.DEFINITIONS) {
            FunnelDefinition d = FunnelDefinition.parse(json);
            FunnelReport r = Funnels.report(config, d, day(first), day(last));
            assertThat(r.retroactive())
                    .as(r.table())
                    .isEqualTo(r.streamed())
                    .isEqualTo(ClickstreamTruth.reached(
                            c.expected, d.id(), d.steps().size()));
            assertThat(r.retroactive().get(1))
                    .as("the funnel %s reaches its second step in some sessions", d.id())
                    .isPositive();
        }
    }

    private static LocalDate day(long millis) {
        return Instant.ofEpochMilli(millis).atZone(ZoneOffset.UTC).toLocalDate();
    }

    private static String[] concat(String[] a, String... b) {
        String[] out = new String[a.length + b.length];
        System.arraycopy(a, 0, out, 0, a.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    /** The newest retained checkpoint, or null. */
    private static String restUrl() {
        return "http://" + FLINK.getClientConfiguration().get(RestOptions.ADDRESS) + ":"
                + FLINK.getClientConfiguration().get(RestOptions.PORT);
    }
}
