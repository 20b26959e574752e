package io.clickstream.etl.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.clickstream.etl.backfill.HistoryImporter;
import io.clickstream.etl.backfill.ImportProgress;
import io.clickstream.etl.config.JobConfig;
import io.clickstream.etl.testing.ClickstreamTruth;
import io.clickstream.etl.testing.ClickstreamTruth.Generated;
import io.clickstream.etl.testing.TestStack;
import io.clickstream.etl.testing.TruthJob;
import io.clickstream.etl.tools.Backfill;
import java.io.OutputStream;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.zip.Deflater;
import java.util.zip.GZIPOutputStream;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.RestOptions;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * History imported from files (NDJSON, gzip, mongoexport's Extended JSON array) with tools.Backfill while live
 * traffic for the same users goes on, through the same pipeline: every event once in ClickHouse with the session
 * number, index, funnel tags and joined values the event-time truth over history and live together gives. The
 * import is stopped half-way and continued, and run again twice: nothing twice, without FINAL.
 */
class BackfillITCase {
    @RegisterExtension
    static final MiniClusterExtension FLINK = new MiniClusterExtension(TestStack.miniClusterKeepingCheckpoints());

    private static final long HOUR = 3_600_000L;

    @Test
    void historyAndLiveTrafficOfTheSameUsersGiveTheEventTimeTruthOnceHoweverOftenTheFilesAreImported(@TempDir Path dir)
            throws Exception {
        long now = System.currentTimeMillis();
        // Users active over the last 7 hours (their events before 4 hours ago are history, the later ones live; users
        // whose sessions would reach into the future left out), and 10 users with history only, 400 days old: older
        // than validation.max-event-age, which history may be.
        ClickstreamTruth generated = ClickstreamTruth.generate(7, 100, ClickstreamTruth.Timing.hours(), now - 7 * HOUR);
        Map<String, Long> lastOfUser = new HashMap<>();
        generated.events.forEach(e -> lastOfUser.merge(e.user(), e.ts(), Math::max));
        ClickstreamTruth recent = generated.only(e -> lastOfUser.get(e.user()) < now - 60_000);
        ClickstreamTruth old =
                ClickstreamTruth.generate(8, 20, ClickstreamTruth.Timing.hours(), now - 400 * 24 * HOUR, "old-u");
        ClickstreamTruth truth = recent.plus(old);
        long split = now - 4 * HOUR;
        List<Generated> history = truth.events.stream()
                .filter(e -> e.ts() < split)
                .sorted(Comparator.comparingLong(Generated::ts).thenComparing(Generated::id))
                .toList();
        List<Generated> live =
                truth.events.stream().filter(e -> e.ts() >= split).toList();
        assertThat(history).hasSizeGreaterThan(300);
        assertThat(live)
                .hasSizeGreaterThan(100)
                .allSatisfy(e -> assertThat(e.ts()).isLessThan(now));
        assertThat(live.stream()
                        .map(Generated::user)
                        .distinct()
                        .filter(u -> history.stream().anyMatch(h -> h.user().equals(u))))
                .as("users with both history and live events")
                .hasSizeGreaterThan(5);

        // The export, sorted by time (mongoexport --sort), in three files whose names keep that order.
        int third = history.size() / 3;
        Path files = Files.createDirectories(dir.resolve("export"));
        writeNdjson(
                files.resolve("2025-part1.ndjson"),
                history.subList(0, third),
                List.of("not json at all", "{\"event_id\":\"no-user-or-time\",\"event_type\":\"x\"}"));
        writeGzip(files.resolve("2025-part2.ndjson.gz"), history.subList(third, 2 * third));
        writeMongoExport(files.resolve("2025-part3.json"), history.subList(2 * third, history.size()));

        TruthJob.Setup setup = TruthJob.setUp(Map.of("backfill.topic", TestStack.unique("backfill")));
        Map<String, String> topics = setup.topics();
        Map<String, String> settings = setup.settings();
        JobConfig config = setup.config();
        String dead = setup.deadLetterTopic();
        String[] args = backfillArgs(settings, files);

        // Live traffic goes on while the history is imported (the job is stopped for the import, as the tool asks).
        List<Generated> liveBefore =
                live.stream().filter(e -> e.ts() < now - 2 * HOUR).toList();
        List<Generated> liveAfter =
                live.stream().filter(e -> e.ts() >= now - 2 * HOUR).toList();
        CompletableFuture<Void> liveSender = CompletableFuture.runAsync(() -> produceInTimeOrder(liveBefore, topics));

        // An import that stops inside its third transaction (the first file done, the second begun: 100 events sent
        // and never committed, as a crash would leave them), then continues, then runs twice more.
        assertThatThrownBy(() -> Backfill.run(stopAfter(2), args)).hasMessageContaining("stopped here");
        List<HistoryImporter.Result> resumed = Backfill.run(null, args);
        assertThat(resumed)
                .extracting(HistoryImporter.Result::outcome)
                .containsExactly(
                        HistoryImporter.Outcome.ALREADY_IMPORTED,
                        HistoryImporter.Outcome.RESUMED,
                        HistoryImporter.Outcome.IMPORTED);
        liveSender.get(60, TimeUnit.SECONDS);
        assertThat(Backfill.run(null, args))
                .extracting(HistoryImporter.Result::outcome)
                .containsOnly(HistoryImporter.Outcome.ALREADY_IMPORTED);
        List<ConsumerRecord<byte[], byte[]>> imported =
                TestStack.consume(settings.get("backfill.topic"), history.size() + 2, Duration.ofSeconds(30));
        assertThat(imported)
                .as("every line of the files once in the backfill topic")
                .hasSize(history.size() + 2);
        // The stopped import's open transaction was aborted, its records stay in the log: the job reads committed ones.
        assertThat(TestStack.consume(
                        settings.get("backfill.topic"),
                        history.size() + 102,
                        Duration.ofSeconds(30),
                        "read_uncommitted"))
                .hasSize(history.size() + 102);

        JobClient job = TestStack.job(config, 1000).executeAsync("BackfillITCase");
        try {
            String node = TestStack.clickHouseUrls().get(0);
            String db = settings.get("clickhouse.database");
            // More live traffic while the job runs, and the same files imported once more meanwhile.
            produceInTimeOrder(liveAfter, topics);
            TestStack.await("the job's tasks to report", Duration.ofSeconds(60), TestStack.unchecked(() -> {
                try {
                    Backfill.run(null, args);
                    return false;
                } catch (IllegalStateException refused) {
                    return refused.getMessage().contains("a job is running on these topics");
                }
            }));
            String[] anyway = append(args, "--into-running-job");
            assertThat(Backfill.run(null, anyway))
                    .extracting(HistoryImporter.Result::events)
                    .containsOnly(0L);
            TestStack.await(
                    truth.events.size() + " rows",
                    Duration.ofSeconds(180),
                    TestStack.unchecked(() ->
                            TestStack.count(node, "SELECT count() FROM " + db + ".events") >= truth.events.size()));
            TestStack.await(
                    "session rows of every event",
                    Duration.ofSeconds(60),
                    TestStack.unchecked(() -> TestStack.count(node, "SELECT sum(events) FROM " + db + ".sessions FINAL")
                            == truth.events.size()));
            Thread.sleep(2000);
            TruthJob.assertStoredRowsMatch(db, truth.expected(TruthJob.TRUTH_FUNNELS));
            List<ConsumerRecord<byte[], byte[]>> letters = TestStack.consume(dead, 2, Duration.ofSeconds(30));
            assertThat(letters)
                    .extracting(r -> new String(r.value(), StandardCharsets.UTF_8))
                    .anySatisfy(l -> assertThat(l).contains("\"reason\":\"malformed_json\""))
                    .anySatisfy(l -> assertThat(l).contains("\"reason\":\"missing_field\""));

            // The same history again in a file compressed otherwise (gzip -1 where it was gzip -6: another SHA-256,
            // so the import sends it all again), and live events a client sent again after a partial failure (the
            // collector writes them at new offsets): the job drops the event ids it stored already, each is stored
            // once, without FINAL.
            List<Generated> secondPart = history.subList(third, 2 * third);
            Path again = Files.createDirectories(dir.resolve("again"));
            writeGzip(again.resolve("2025-part2.ndjson.gz"), secondPart, Deflater.BEST_SPEED);
            assertThat(Backfill.run(null, append(backfillArgs(settings, again), "--into-running-job")))
                    .extracting(HistoryImporter.Result::events)
                    .containsExactly((long) secondPart.size());
            List<Generated> resent = liveAfter.subList(0, Math.min(40, liveAfter.size()));
            produceInTimeOrder(resent, topics);
            Configuration client = FLINK.getClientConfiguration();
            String rest = "http://" + client.get(RestOptions.ADDRESS) + ":" + client.get(RestOptions.PORT);
            long duplicates = secondPart.size() + resent.size();
            TestStack.await(
                    duplicates + " duplicate deliveries seen",
                    Duration.ofSeconds(120),
                    TestStack.unchecked(
                            () -> TestStack.metricSum(rest, job.getJobID().toString(), ".sessions.duplicateEvents")
                                    >= duplicates));
            Thread.sleep(2000);
            assertThat(TestStack.count(node, "SELECT count() FROM " + db + ".events"))
                    .as("nothing stored twice")
                    .isEqualTo(truth.events.size());
            TruthJob.assertStoredRowsMatch(db, truth.expected(TruthJob.TRUTH_FUNNELS));
        } finally {
            job.cancel().get(60, TimeUnit.SECONDS);
        }
    }

    private static String[] backfillArgs(Map<String, String> settings, Path files) {
        List<String> a = new ArrayList<>();
        for (String key :
                List.of("kafka.bootstrap-servers", "backfill.topic", "redis.host", "redis.port", "redis.key-prefix")) {
            a.add("--set");
            a.add(key + "=" + settings.get(key));
        }
        a.addAll(List.of("--files", files.toString(), "--batch", "200"));
        return a.toArray(String[]::new);
    }

    private static String[] append(String[] args, String... more) {
        List<String> all = new ArrayList<>(List.of(args));
        all.addAll(List.of(more));
        return all.toArray(String[]::new);
    }

    /** Stops the import inside its transaction after {@code transactions} committed ones, as a crash would. */
    private static HistoryImporter.Listener stopAfter(int transactions) {
        return new HistoryImporter.Listener() {
            int committed;
            long eventsAtLastCommit;

            @Override
            public void reading(Path file, long bytesRead, long bytes, long events) {
                if (committed >= transactions && events > eventsAtLastCommit) {
                    throw new IllegalStateException("stopped here, as a crash would, " + (events - eventsAtLastCommit)
                            + " events into an open transaction");
                }
            }

            @Override
            public void committed(ImportProgress progress) {
                committed++;
                eventsAtLastCommit = progress.events();
            }
        };
    }

    private static void produceInTimeOrder(List<Generated> events, Map<String, String> topics) {
        try {
            TestStack.produce(events.stream()
                    .sorted(Comparator.comparingLong(Generated::ts))
                    .map(e -> e.record(topics))
                    .toList());
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static void writeNdjson(Path file, List<Generated> events, List<String> extraLines) throws Exception {
        try (Writer w = Files.newBufferedWriter(file)) {
            for (int i = 0; i < events.size(); i++) {
                w.write(events.get(i).json() + "\n");
                if (i == events.size() / 2) {
                    w.write("\n");
                    for (String line : extraLines) {
                        w.write(line + "\n");
                    }
                }
            }
        }
    }

    private static void writeGzip(Path file, List<Generated> events) throws Exception {
        writeGzip(file, events, Deflater.DEFAULT_COMPRESSION);
    }

    private static void writeGzip(Path file, List<Generated> events, int level) throws Exception {
        try (OutputStream out = new GZIPOutputStream(Files.newOutputStream(file)) {
            {
                def.setLevel(level);
            }
        }) {
            for (Generated e : events) {
                out.write((e.json() + "\n").getBytes(StandardCharsets.UTF_8));
            }
        }
    }

    /** What `mongoexport --jsonArray` writes: Extended JSON, relaxed dates for some, canonical for others. */
    private static void writeMongoExport(Path file, List<Generated> events) throws Exception {
        try (Writer w = Files.newBufferedWriter(file)) {
            w.write("[");
            for (int i = 0; i < events.size(); i++) {
                Generated e = events.get(i);
                String ts = i % 2 == 0
                        ? "{\"$date\":\"" + Instant.ofEpochMilli(e.ts()) + "\"}"
                        : "{\"$date\":{\"$numberLong\":\"" + e.ts() + "\"}}";
                String json = e.json()
                        .replace("\"ts\":" + e.ts(), "\"ts\":" + ts)
                        .replaceFirst("^\\{", "{\"_id\":{\"\\$oid\":\"" + String.format("%024x", i) + "\"},");
                w.write((i == 0 ? "" : ",\n") + json);
            }
            w.write("]\n");
        }
    }
}
