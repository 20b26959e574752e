package io.clickstream.etl.tools;

import io.clickstream.etl.backfill.HistoryFile;
import io.clickstream.etl.backfill.HistoryImporter;
import io.clickstream.etl.backfill.ImportProgress;
import io.clickstream.etl.config.JobConfig;
import io.clickstream.etl.config.Options;
import io.clickstream.etl.kafka.KafkaSources;
import io.clickstream.etl.kafka.Topics;
import io.clickstream.etl.privacy.ErasureTracker;
import io.clickstream.etl.redis.RedisErasureAcks;
import io.clickstream.etl.redis.RedisSettings;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.stream.Stream;
import org.apache.kafka.clients.admin.Admin;

/**
 * Imports history from files into the job's backfill topic ({@code backfill.topic}), from where the job takes it
 * through the whole pipeline (validation and dead letters, sessions by event time, geo, device, joins, funnels),
 * exactly once: importing the same files again adds nothing. Run it while the job is stopped, then start the job
 * (from its savepoint): it reads the history and what arrived live meanwhile in event-time order.
 *
 * <pre>java -cp clickstream-etl.jar io.clickstream.etl.tools.Backfill --config clickstream.yaml \
 *     --files /data/export/2025 --flink-rest http://jobmanager:8081</pre>
 */
public final class Backfill {
    private static final String USAGE = "usage: Backfill --files PATH[,PATH...] [--config FILE] [--set key=value]..."
            + " [--source NAME] [--batch N] [--flink-rest URL] [--job-name NAME] [--into-running-job] [--dry-run]\n"
            + "  PATH        an NDJSON file (.ndjson/.json, plain or gzip; also mongoexport output, with or without"
            + " --jsonArray) or a directory of them (in name order)\n"
            + "  --source    `source` of events that have none (default: none, the job then uses the topic's name)\n"
            + "  --batch     records per Kafka transaction (default 10000)\n"
            + "  --flink-rest URL   refuse while the job runs there (history read by a running job would come late)\n"
            + "  --into-running-job import although a job is running (it reads the history late, on arrival; and"
            + " with event-time.max-source-delay 0 the history holds every live topic back until it is read)\n"
            + "  --dry-run   list the files and what is known of them, import nothing";

    private Backfill() {}

    /** The largest record the backfill topic takes: its max.message.bytes and the producer's max.request.size. */
    static long maxRecordBytes(Admin admin, String topic, Map<String, String> kafka) throws Exception {
        org.apache.kafka.common.config.ConfigResource r = new org.apache.kafka.common.config.ConfigResource(
                org.apache.kafka.common.config.ConfigResource.Type.TOPIC, topic);
        var entry = admin.describeConfigs(List.of(r))
                .all()
                .get(30, java.util.concurrent.TimeUnit.SECONDS)
                .get(r)
                .get("max.message.bytes");
        long topicMax = entry == null || entry.value() == null ? Long.MAX_VALUE : Long.parseLong(entry.value());
        long requestMax = Long.parseLong(kafka.getOrDefault("max.request.size", "1048576"));
        return Math.min(topicMax, requestMax);
    }

    /**
     * A running job's tasks acknowledge the erasure list in Redis every half minute: if any did lately, a job reads
     * these topics now, and history imported under it would come late.
     */
    static void refuseIfAJobRuns(JobConfig config) {
        List<RedisErasureAcks.Ack> acks;
        try (RedisErasureAcks a = new RedisErasureAcks(RedisSettings.from(config, System.getenv()))) {
            acks = a.read();
        } catch (RuntimeException e) {
            throw new IllegalStateException("cannot tell whether the job is running (Redis: " + e.getMessage()
                    + "): stop the job and make Redis reachable, or pass --into-running-job to import anyway");
        }
        long since = System.currentTimeMillis() - 3 * ErasureTracker.ACK_REFRESH_MS;
        if (RedisErasureAcks.coverage(acks, 0, since).running()) {
            throw new IllegalStateException("a job is running on these topics (its tasks reported in the last "
                    + (3 * ErasureTracker.ACK_REFRESH_MS / 1000) + " s): history imported now would be read late, by"
                    + " arrival rather than event time, and would hold the live topics back. Stop the job with a"
                    + " savepoint, import, then start it again from the savepoint (docs/ingest.md, Importing"
                    + " history); or pass --into-running-job to import anyway");
        }
    }

    public static void main(String[] args) {
        CommandLine.run(args, Backfill::run);
    }

    public static void run(String... args) throws Exception {
        run(null, args);
    }

    /** {@code listener}: told of progress besides the bar (tests stop an import half-way with it); may be null. */
    public static List<HistoryImporter.Result> run(HistoryImporter.Listener listener, String... args) throws Exception {
        CommandLine cli = new CommandLine(
                args,
                Set.of("files", "source", "batch", "flink-rest", "job-name"),
                Set.of("dry-run", "into-running-job"),
                USAGE);
        JobConfig config = cli.config();
        String topic = config.get(Options.BACKFILL_TOPIC);
        if (topic == null || topic.isBlank()) {
            throw new IllegalArgumentException(
                    "backfill.topic is not set: set it (e.g. clickstream-backfill) in the job's "
                            + "configuration, so that the job reads it too");
        }
        String given = cli.get("files", null);
        if (given == null) {
            throw new IllegalArgumentException("--files is required\n" + USAGE);
        }
        List<Path> files = expand(given);
        if (files.isEmpty()) {
            throw new IllegalArgumentException("no files in " + given);
        }
        String progressTopic = topic + "-imports";
        Map<String, String> kafka = config.kafkaClientProperties();
        String rest = cli.get("flink-rest", null);
        if (!cli.flag("dry-run") && !cli.flag("into-running-job")) {
            if (rest != null) {
                FlinkJobs.refuseIfRunning(rest, cli.get("job-name", FlinkJobs.DEFAULT_NAME), "import");
            }
            refuseIfAJobRuns(config);
        }
        Properties admin = new Properties();
        admin.putAll(kafka);
        long maxRecordBytes;
        try (Admin a = Admin.create(admin)) {
            Topics.of(config).createMissing(a, List.of(topic), KafkaSources.BACKFILL_PARTITIONS);
            Topics.of(config).createCompacted(a, progressTopic); // the latest progress per file
            maxRecordBytes = maxRecordBytes(a, topic, kafka);
        }
        if (cli.flag("dry-run")) {
            Map<String, ImportProgress> known = HistoryImporter.readProgress(kafka, progressTopic);
            for (Path f : files) {
                ImportProgress p = known.get(HistoryFile.sha256(f));
                System.out.printf(
                        "%s  %,d bytes  %s%n",
                        f,
                        Files.size(f),
                        p == null
                                ? "new"
                                : p.done()
                                        ? "imported (" + p.events() + " events)"
                                        : "partly imported (" + p.records() + " records)");
            }
            return List.of();
        }
        long totalBytes = 0;
        for (Path f : files) {
            totalBytes += Files.size(f);
        }
        ProgressBar bar = new ProgressBar(totalBytes);
        List<HistoryImporter.Result> results = new ArrayList<>();
        HistoryImporter.Listener both = new HistoryImporter.Listener() {
            @Override
            public void reading(Path file, long bytesRead, long bytes, long events) {
                bar.update(file, bytesRead, events);
                if (listener != null) {
                    listener.reading(file, bytesRead, bytes, events);
                }
            }

            @Override
            public void committed(ImportProgress progress) {
                if (listener != null) {
                    listener.committed(progress);
                }
            }
        };
        long started = System.nanoTime();
        try (HistoryImporter importer = new HistoryImporter(
                kafka,
                topic,
                progressTopic,
                config.get(Options.DEAD_LETTER_TOPIC),
                maxRecordBytes,
                cli.getInt("batch", 10_000),
                both)) {
            for (Path f : files) {
                bar.startFile(f);
                HistoryImporter.Result r = importer.importFile(f, cli.get("source", null));
                bar.endFile(Files.size(f));
                results.add(r);
                System.out.println(
                        switch (r.outcome()) {
                            case IMPORTED -> String.format("%s: %,d events imported", f, r.events());
                            case RESUMED ->
                                String.format(
                                        "%s: continued after record %,d: %,d more events",
                                        f, r.earlier().records(), r.events());
                            case ALREADY_IMPORTED ->
                                String.format(
                                        "%s: already imported (%,d events), left out",
                                        f, r.earlier().events());
                        });
            }
        }
        double seconds = (System.nanoTime() - started) / 1e9;
        long events = results.stream().mapToLong(HistoryImporter.Result::events).sum();
        System.out.printf(
                "done: %d file(s), %,d events into %s in %.1f s (%,.0f events/s); the job takes them from there%n",
                files.size(), events, topic, seconds, events / Math.max(seconds, 0.001));
        return results;
    }

    private static List<Path> expand(String given) throws IOException {
        List<Path> out = new ArrayList<>();
        for (String part : given.split(",")) {
            if (part.isBlank()) {
                continue;
            }
            Path p = Path.of(part.strip());
            if (Files.isDirectory(p)) {
                try (Stream<Path> s = Files.list(p)) {
                    s.filter(Files::isRegularFile).sorted().forEach(out::add);
                }
            } else if (Files.isRegularFile(p)) {
                out.add(p);
            } else {
                throw new IllegalArgumentException("no such file or directory: " + p);
            }
        }
        return out;
    }

    /** Count, rate and ETA on one line of a terminal (redrawn), or a line every 5 s into a log. */
    static final class ProgressBar {
        private final long totalBytes;
        private final boolean terminal = System.console() != null;
        private final long started = System.nanoTime();
        private long doneBytes;
        private long events;
        private long fileEvents;
        private long lastPrinted;

        ProgressBar(long totalBytes) {
            this.totalBytes = Math.max(1, totalBytes);
        }

        void startFile(Path f) {
            fileEvents = 0;
        }

        void update(Path file, long bytesRead, long eventsOfFile) {
            events += eventsOfFile - fileEvents;
            fileEvents = eventsOfFile;
            long now = System.nanoTime();
            if (now - lastPrinted < (terminal ? 200_000_000L : 5_000_000_000L)) {
                return;
            }
            lastPrinted = now;
            double fraction = Math.min(1, (doneBytes + bytesRead) / (double) totalBytes);
            double seconds = (now - started) / 1e9;
            double rate = events / Math.max(seconds, 0.001);
            long eta = fraction > 0 ? (long) (seconds / fraction - seconds) : -1;
            int width = 30;
            int filled = (int) (fraction * width);
            String line = String.format(
                    "[%s%s] %3.0f%%  %,d events  %,.0f/s  ETA %s  %s",
                    "#".repeat(filled),
                    ".".repeat(width - filled),
                    fraction * 100,
                    events,
                    rate,
                    eta < 0 ? "?" : String.format("%d:%02d:%02d", eta / 3600, eta / 60 % 60, eta % 60),
                    file.getFileName());
            if (terminal) {
                System.err.print("\r" + line + "   ");
            } else {
                System.err.println(line);
            }
        }

        void endFile(long bytes) {
            doneBytes += bytes;
            if (terminal) {
                System.err.println();
            }
        }
    }
}
