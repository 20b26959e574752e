package io.clickstream.etl.tools;

import io.clickstream.etl.ClickstreamJob;
import io.clickstream.etl.clickhouse.Batch;
import io.clickstream.etl.clickhouse.ClickHouseSink;
import io.clickstream.etl.clickhouse.DeclaredRow;
import io.clickstream.etl.clickhouse.EventRowEncoder;
import io.clickstream.etl.clickhouse.Inserter;
import io.clickstream.etl.clickhouse.RejectedRows;
import io.clickstream.etl.clickhouse.RowEncoder;
import io.clickstream.etl.clickhouse.SessionRowEncoder;
import io.clickstream.etl.clickhouse.SinkSettings;
import io.clickstream.etl.compat.WriterSink;
import io.clickstream.etl.config.JobConfig;
import io.clickstream.etl.deadletter.DeadLetterLedger;
import io.clickstream.etl.deadletter.Ranges;
import io.clickstream.etl.deadletter.TopicIds;
import io.clickstream.etl.event.DeadLetter;
import io.clickstream.etl.event.Event;
import io.clickstream.etl.event.RawEvent;
import io.clickstream.etl.funnel.FunnelDefinitions;
import io.clickstream.etl.funnel.FunnelUpdate;
import io.clickstream.etl.parse.EventParser;
import io.clickstream.etl.parse.ParseLimits;
import io.clickstream.etl.parse.ParsedRecord;
import io.clickstream.etl.privacy.ErasureAcks;
import io.clickstream.etl.privacy.ErasureFeed;
import io.clickstream.etl.privacy.ErasureLog;
import io.clickstream.etl.privacy.Erasures;
import io.clickstream.etl.redis.HashStore;
import io.clickstream.etl.session.SessionRow;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.connector.sink2.SinkWriter;
import org.apache.flink.api.connector.sink2.WriterInitContext;
import org.apache.flink.api.connector.source.SourceReaderContext;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.connector.datagen.source.DataGeneratorSource;
import org.apache.flink.connector.datagen.source.GeneratorFunction;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

/**
 * The job's own cost per event, without any service: {@link ClickstreamJob#build} on a MiniCluster in this JVM, fed
 * by generated events (the generator's users, sources, user agents, IPs and malformed share) parsed in the source as
 * the Kafka source does, with Redis and the funnel and erasure topics in memory and sinks that encode their rows as
 * the ClickHouse sink does and keep only counts and bytes. After a warm-up it measures a steady-state window and
 * prints, per event: CPU of the task threads (by chain), of the GC and the JIT threads and of the rest of the process
 * (from /proc, so GC and compiler threads count), the bytes the JVM's threads allocated, and events per second.
 *
 * <pre>scripts/benchmark-flow.sh [--events N] [--warmup N] [--parallelism N] [--geo FILES] [--json FILE]
 *     [--bounded true] [--profile cpu|alloc [--profile-out FILE]] [--wide N [--declared true]]</pre>
 */
public final class FlowBenchmark {
    private static final long HZ = 100; // getconf CLK_TCK
    private static final com.sun.management.ThreadMXBean THREADS =
            (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
    private static final Pattern FUNNEL_ID = Pattern.compile("\"id\"\\s*:\\s*\"([^\"]+)\"");
    /** Rows the sinks have taken, shared with their writers in this JVM. */
    static final AtomicLong EVENT_ROWS = new AtomicLong();

    static final AtomicLong EVENT_BYTES = new AtomicLong();
    static final AtomicLong SESSION_ROWS = new AtomicLong();
    static final AtomicLong DEAD_LETTERS = new AtomicLong();
    /** The keys the in-memory Redis holds (their values are not kept) and the bytes written to it. */
    private static final Set<String> REDIS_KEYS = ConcurrentHashMap.newKeySet();

    static final AtomicLong REDIS_BYTES = new AtomicLong();
    /** Keys written (one per user and write): what Redis's CPU follows. */
    static final AtomicLong REDIS_KEY_WRITES = new AtomicLong();
    /** Bytes the input generator allocated: the benchmark's, not the job's (Kafka hands the job bytes). */
    static final AtomicLong GENERATOR_BYTES = new AtomicLong();
    /**
     * CPU nanoseconds the input generator took in the source threads (from every {@link #GENERATOR_SAMPLE}th event,
     * scaled): the benchmark's, not the job's, but counted in the source threads' CPU.
     */
    static final AtomicLong GENERATOR_NANOS = new AtomicLong();
    /** One event in this many is timed: reading a thread's CPU clock is a system call. */
    static final int GENERATOR_SAMPLE = 16;

    private FlowBenchmark() {}

    public static void main(String[] args) throws Exception {
        Map<String, String> opts = new HashMap<>();
        for (int i = 0; i + 1 < args.length; i += 2) {
            opts.put(args[i].replaceFirst("^--", ""), args[i + 1]);
        }
        // After 1M events the JIT was still compiling much of the job in the window (docs/benchmarks.md).
        long warmup = Long.parseLong(opts.getOrDefault("warmup", "4000000"));
        long window = Long.parseLong(opts.getOrDefault("events", "2000000"));
        int parallelism = Integer.parseInt(opts.getOrDefault("parallelism", "2"));
        // A source subtask whose share of the input ran out ends its thread, and its CPU with it: the input reaches
        // far past the window (never read: the job is cancelled after it), so both still run at its end.
        long total = (warmup + window) * 3 / 2 + 200_000;
        long measured = warmup + window + 200_000; // the input's density in event time: as many per 6 hours
        Map<String, String> settings = new LinkedHashMap<>();
        settings.put("kafka.topics", "web,app,backend");
        // Unbounded, as a job runs: with watermark alignment, which a bounded run goes without (FLINK-39728). Without
        // it the two generating subtasks drift apart, the faster one's events pile up waiting for the watermark, and
        // the collector's work with them (docs/benchmarks.md).
        settings.put("kafka.bounded", opts.getOrDefault("bounded", "false"));
        settings.put(
                "join.rules",
                "[{\"name\": \"last-order\", \"from\": \"backend\", \"fields\": [\"properties.product_id\","
                        + " \"properties.price\"], \"into\": [\"web\", \"app\"]}]");
        if (opts.get("geo") != null) {
            settings.put("geo.databases", opts.get("geo"));
        }
        JobConfig config = JobConfig.of(settings);
        // Issue 29's cost: --wide N properties more per event, declared as typed columns with --declared true.
        int wide = Integer.parseInt(opts.getOrDefault("wide", "0"));
        DeclaredRow declared =
                Boolean.parseBoolean(opts.getOrDefault("declared", "false")) ? WideProperties.declared(wide) : null;

        // As flink-conf/config.yaml: heap state, checkpoints in files. No restarts: a restart would end threads whose
        // counters the window needs, so it fails the run instead.
        Configuration flink = new Configuration();
        flink.setString("state.backend.type", "hashmap");
        flink.setString(
                "execution.checkpointing.dir",
                Files.createTempDirectory("flow-benchmark").toUri().toString());
        flink.setString("restart-strategy.type", "none");
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(flink);
        env.setParallelism(parallelism);
        env.enableCheckpointing(10_000);
        ClickstreamJob.build(
                env,
                config,
                new ClickstreamJob.Sources(
                        new DataGeneratorSource<>(
                                new Generated(total, measured, ParseLimits.from(config), wide, declared),
                                total,
                                TypeInformation.of(ParsedRecord.class)),
                        definitions(Path.of("flink-conf/funnels")),
                        () -> NO_ERASURES),
                new ClickstreamJob.Stores(() -> new MemoryHashStore(), () -> new MemoryHashStore(), () -> NO_ACKS),
                new ClickstreamJob.Sinks(
                        clickHouse(config, EventRowEncoder.withDeclared(declared), Event.class, true),
                        clickHouse(config, SessionRowEncoder.INSTANCE, SessionRow.class, false),
                        new CountingSink<io.clickstream.etl.session.SessionCorrection>(),
                        new CountingSink<DeadLetter>(),
                        () -> new NoLedger(),
                        () -> new TopicIds() {
                            @Override
                            public String id(String topic) {
                                return topic;
                            }

                            @Override
                            public void close() {}
                        }));
        JobClient job = env.executeAsync("FlowBenchmark");
        long started = System.nanoTime();
        await(job, warmup, started);
        Profile profile = opts.get("profile") == null ? null : Profile.start(opts.get("profile"));
        Sample before = Sample.take();
        await(job, warmup + window, started);
        Sample after = Sample.take();
        String stacks = profile == null ? null : profile.stop();
        job.cancel().get();
        report(before, after, parallelism, opts.get("json"));
        if (profile != null) {
            Path out = Path.of(opts.getOrDefault("profile-out", "target/flow-profile-" + profile.event + ".txt"));
            Files.writeString(out, stacks);
            System.out.print(profile.table(stacks, after.events - before.events));
            System.out.println("  stacks (collapsed, for flame graphs): " + out);
        }
    }

    /**
     * async-profiler over the measured window only: {@code cpu} samples every thread (GC and JIT included, each stack
     * starting with its thread), {@code alloc} the allocations in bytes.
     */
    static final class Profile {
        private final String event;
        private final one.profiler.AsyncProfiler profiler;

        private Profile(String event, one.profiler.AsyncProfiler profiler) {
            this.event = event;
            this.profiler = profiler;
        }

        static Profile start(String event) throws IOException {
            if (!event.equals("cpu") && !event.equals("alloc")) {
                throw new IllegalArgumentException("--profile takes cpu or alloc, not " + event);
            }
            one.profiler.AsyncProfiler profiler = one.profiler.AsyncProfiler.getInstance();
            profiler.execute("start,event=" + event + ",threads,interval=" + (event.equals("cpu") ? "1ms" : "64k"));
            return new Profile(event, profiler);
        }

        String stop() throws IOException {
            profiler.execute("stop");
            return profiler.dumpCollapsed(one.profiler.Counter.TOTAL);
        }

        /**
         * Per event, by thread group, by the frame that spends it (the leaf) and by the nearest frame of the project
         * (where our code spends it, callees included): nanoseconds of CPU or bytes allocated.
         */
        String table(String collapsed, long events) {
            Map<String, Long> byGroup = new TreeMap<>();
            Map<String, Long> byLeaf = new HashMap<>();
            Map<String, Long> byProjectFrame = new HashMap<>();
            long total = 0;
            for (String line : collapsed.split("\n")) {
                int space = line.lastIndexOf(' ');
                if (space < 0) {
                    continue;
                }
                long value = Long.parseLong(line.substring(space + 1));
                String[] frames = line.substring(0, space).split(";");
                String thread = frames[0].replaceFirst("^\\[", "").replaceFirst(" tid=\\d+\\]$", "");
                byGroup.merge(group(thread), value, Long::sum);
                byLeaf.merge(frames[frames.length - 1].replace('/', '.'), value, Long::sum);
                String project = "(no frame of io.clickstream)";
                for (int i = frames.length - 1; i > 0; i--) {
                    if (frames[i].startsWith("io/clickstream") || frames[i].startsWith("io.clickstream")) {
                        project = frames[i].replace('/', '.').replace("io.clickstream.etl.", "");
                        break;
                    }
                }
                byProjectFrame.merge(project, value, Long::sum);
                total += value;
            }
            String unit = event.equals("cpu") ? "µs" : "bytes";
            double scale = event.equals("cpu") ? 1e-3 / events : 1.0 / events;
            StringBuilder out = new StringBuilder();
            out.append(String.format(Locale.ROOT, "%nprofile (%s) of the window, per event:%n", event));
            appendTop(out, "by thread group", byGroup, total, scale, unit, 20);
            appendTop(out, "by leaf frame", byLeaf, total, scale, unit, 25);
            appendTop(
                    out, "by nearest frame of the project (callees included)", byProjectFrame, total, scale, unit, 25);
            return out.toString();
        }

        private static void appendTop(
                StringBuilder out,
                String title,
                Map<String, Long> values,
                long total,
                double scale,
                String unit,
                int n) {
            out.append("  ").append(title).append(":\n");
            values.entrySet().stream()
                    .sorted(Map.Entry.<String, Long>comparingByValue().reversed())
                    .limit(n)
                    .forEach(e -> out.append(String.format(
                            Locale.ROOT,
                            "    %9.2f %-5s %5.1f %%  %s%n",
                            e.getValue() * scale,
                            unit,
                            100.0 * e.getValue() / Math.max(1, total),
                            abbreviate(e.getKey()))));
        }

        private static String abbreviate(String frame) {
            return frame.length() <= 110 ? frame : frame.substring(0, 107) + "...";
        }
    }

    private static void await(JobClient job, long rows, long started) throws Exception {
        long lastPrint = 0;
        while (EVENT_ROWS.get() < rows) {
            Thread.sleep(100);
            if (job.getJobStatus().get().isGloballyTerminalState()) {
                job.getJobExecutionResult().get(); // throws the job's failure
                throw new IllegalStateException("the job ended before " + rows + " event rows");
            }
            long seconds = (System.nanoTime() - started) / 1_000_000_000L;
            if (seconds - lastPrint >= 15) {
                lastPrint = seconds;
                System.err.printf("  %,d event rows after %d s%n", EVENT_ROWS.get(), seconds);
            }
        }
    }

    // ------------------------------------------------------------------------------------------ measuring

    /** CPU ticks by thread group (from /proc), Java threads' allocated bytes by name, and the counters, at once. */
    record Sample(
            long nanos,
            Map<String, Long> ticks,
            Set<String> taskThreads,
            Map<String, Long> allocated,
            long events,
            long bytes,
            long generated,
            long generatorNanos,
            long redisBytes,
            long redisKeyWrites) {
        static Sample take() throws IOException {
            Map<String, Long> ticks = new TreeMap<>();
            Set<String> taskThreads = new java.util.HashSet<>();
            try (var tasks = Files.list(Path.of("/proc/self/task"))) {
                for (Path t : tasks.toList()) {
                    try {
                        String comm = Files.readString(t.resolve("comm")).strip();
                        String stat = Files.readString(t.resolve("stat"));
                        String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
                        String group = group(comm);
                        ticks.merge(group, Long.parseLong(f[11]) + Long.parseLong(f[12]), Long::sum);
                        if (group.startsWith("task")) {
                            taskThreads.add(t.getFileName().toString());
                        }
                    } catch (IOException gone) {
                        // the thread ended between the listing and the read
                    }
                }
            }
            Map<String, Long> allocated = new TreeMap<>();
            com.sun.management.ThreadMXBean mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
            long[] ids = mx.getAllThreadIds();
            long[] bytes = mx.getThreadAllocatedBytes(ids);
            java.lang.management.ThreadInfo[] infos = mx.getThreadInfo(ids);
            for (int i = 0; i < ids.length; i++) {
                if (infos[i] != null && bytes[i] >= 0) {
                    allocated.merge(group(infos[i].getThreadName()), bytes[i], Long::sum);
                }
            }
            return new Sample(
                    System.nanoTime(),
                    ticks,
                    taskThreads,
                    allocated,
                    EVENT_ROWS.get(),
                    EVENT_BYTES.get(),
                    GENERATOR_BYTES.get(),
                    GENERATOR_NANOS.get(),
                    REDIS_BYTES.get(),
                    REDIS_KEY_WRITES.get());
        }
    }

    /** The group a thread's CPU counts in: a task chain (by its first operator), GC, JIT, or the rest. */
    static String group(String name) {
        if (name.startsWith("GC Thread") || name.startsWith("G1 ") || name.equals("VM Thread")) {
            return "gc";
        }
        if (name.startsWith("C2 CompilerThre") || name.startsWith("C1 CompilerThre") || name.startsWith("Sweeper")) {
            return "jit";
        }
        if (name.startsWith("Source: ")) {
            return "task: source, parse, geo, device";
        }
        if (name.startsWith("Order by event") || name.startsWith("Order by even")) {
            return "task: order, sessions, joins, funnels, sinks";
        }
        if (name.startsWith("Joins by")) {
            return "task: joins by another key";
        }
        return "other";
    }

    private static void report(Sample a, Sample b, int parallelism, String json) throws IOException {
        if (!b.taskThreads.containsAll(a.taskThreads)) {
            // Its CPU and allocation would leave the sums (negative figures): nothing of this run can be trusted.
            throw new IllegalStateException("a task thread ended inside the measured window: no figures");
        }
        long events = b.events - a.events;
        double seconds = (b.nanos - a.nanos) / 1e9;
        Map<String, Double> cpuUs = new TreeMap<>();
        b.ticks.forEach((group, t) -> {
            long d = t - a.ticks.getOrDefault(group, 0L);
            cpuUs.put(group, d * (1e6 / HZ) / events);
        });
        double tasks = cpuUs.entrySet().stream()
                .filter(e -> e.getKey().startsWith("task"))
                .mapToDouble(Map.Entry::getValue)
                .sum();
        double total = cpuUs.values().stream().mapToDouble(Double::doubleValue).sum();
        long allocated = 0;
        for (Map.Entry<String, Long> e : b.allocated.entrySet()) {
            allocated += e.getValue() - a.allocated.getOrDefault(e.getKey(), 0L);
        }
        StringBuilder out = new StringBuilder();
        out.append(String.format(
                Locale.ROOT,
                "flow benchmark: %,d events measured after the warm-up, parallelism %d, %.1f s, %,.0f events/s%n",
                events,
                parallelism,
                seconds,
                events / seconds));
        double generatorUs = (b.generatorNanos - a.generatorNanos) / 1e3 / events;
        out.append(String.format(Locale.ROOT, "  CPU per event, all threads:   %8.2f µs%n", total));
        out.append(String.format(
                Locale.ROOT,
                "    the job's (less the input generator's %.2f µs in the source threads, from every %dth event):"
                        + " %.2f µs%n",
                generatorUs,
                GENERATOR_SAMPLE,
                total - generatorUs));
        out.append(String.format(Locale.ROOT, "    task threads:               %8.2f µs%n", tasks));
        cpuUs.forEach((group, us) -> {
            if (group.startsWith("task")) {
                out.append(String.format(Locale.ROOT, "      %-40s %8.2f µs%n", group.substring(6), us));
            }
        });
        out.append(String.format(
                Locale.ROOT, "    GC threads:                 %8.2f µs%n", cpuUs.getOrDefault("gc", 0.0)));
        out.append(String.format(
                Locale.ROOT, "    JIT threads:                %8.2f µs%n", cpuUs.getOrDefault("jit", 0.0)));
        out.append(String.format(
                Locale.ROOT, "    other threads:              %8.2f µs%n", cpuUs.getOrDefault("other", 0.0)));
        long generated = b.generated - a.generated;
        allocated -= generated;
        out.append(String.format(Locale.ROOT, "  bytes allocated per event:    %8.0f%n", (double) allocated / events));
        out.append(String.format(
                Locale.ROOT,
                "    (not counted: %.0f bytes per event to generate the input's JSON, which Kafka would hand in)%n",
                (double) generated / events));
        out.append(String.format(
                Locale.ROOT, "  RowBinary bytes per event row: %7.0f%n", (double) (b.bytes - a.bytes) / events));
        out.append(String.format(
                Locale.ROOT,
                "  Redis bytes written per event:  %6.0f (fields and values, per-user records)%n",
                (double) (b.redisBytes - a.redisBytes) / events));
        double keyWrites = (double) (b.redisKeyWrites - a.redisKeyWrites) / events;
        out.append(String.format(
                Locale.ROOT, "  Redis key writes per event:     %6.3f (one per user and write)%n", keyWrites));
        System.out.print(out);
        if (json != null) {
            StringBuilder j = new StringBuilder("{");
            j.append(String.format(
                    Locale.ROOT,
                    "\"events\":%d,\"seconds\":%.3f,\"events_per_s\":%.1f,\"cpu_us_per_event\":%.3f,"
                            + "\"task_us_per_event\":%.3f,\"gc_us_per_event\":%.3f,\"jit_us_per_event\":%.3f,"
                            + "\"bytes_allocated_per_event\":%.1f,\"redis_bytes_per_event\":%.1f,"
                            + "\"redis_key_writes_per_event\":%.4f,\"generator_us_per_event\":%.3f,"
                            + "\"job_cpu_us_per_event\":%.3f",
                    events,
                    seconds,
                    events / seconds,
                    total,
                    tasks,
                    cpuUs.getOrDefault("gc", 0.0),
                    cpuUs.getOrDefault("jit", 0.0),
                    (double) allocated / events,
                    (double) (b.redisBytes - a.redisBytes) / events,
                    keyWrites,
                    generatorUs,
                    total - generatorUs));
            j.append("}\n");
            Files.writeString(Path.of(json), j.toString());
        }
    }

    // ------------------------------------------------------------------------------------------ the input

    /** Input i as the Kafka source would parse it, from a generator per source subtask. */
    private static final class Generated implements GeneratorFunction<Long, ParsedRecord> {
        private final long count;
        /** Events per six hours of event time, all subtasks: a longer input reaches further back, as dense. */
        private final long perSixHours;

        private final ParseLimits limits;
        private final int wide;
        private final DeclaredRow declared;
        private transient WideProperties wideProperties;
        private transient long spanMs;
        private transient EventGenerator generator;
        private transient EventParser parser;
        private transient long startMs;
        private transient String[] topics;
        /** This subtask's events so far and in all: its own times run through the span in order. */
        private transient int local;

        private transient int perSubtask;

        private transient long generatorBytes;

        private transient long generatorNanos;

        Generated(long count, long perSixHours, ParseLimits limits, int wide, DeclaredRow declared) {
            this.count = count;
            this.perSixHours = perSixHours;
            this.limits = limits;
            this.wide = wide;
            this.declared = declared;
        }

        @Override
        public void open(SourceReaderContext context) {
            spanMs = 6 * 3_600_000L * count / perSixHours;
            startMs = System.currentTimeMillis() - spanMs - 60_000;
            perSubtask = (int) Math.min(Integer.MAX_VALUE, count / Math.max(1, context.currentParallelism()) + 1);
            generator = new EventGenerator(7 + context.getIndexOfSubtask(), 50_000, startMs, spanMs);
            generator.millisOnly = false;
            parser = new EventParser(limits).declaring(declared);
            wideProperties = wide == 0 ? null : new WideProperties(wide, 11 + context.getIndexOfSubtask());
            topics = new String[] {"web", "app", "backend"};
        }

        @Override
        public ParsedRecord map(Long index) {
            int i = Math.min(local++, perSubtask - 1);
            long allocatedBefore = THREADS.getCurrentThreadAllocatedBytes();
            boolean timed = local % GENERATOR_SAMPLE == 0;
            long cpuBefore = timed ? THREADS.getCurrentThreadCpuTime() : 0;
            EventGenerator.Generated g = generator.next(i, perSubtask, topics.length, 0.01);
            long writtenAt = startMs + spanMs * i / Math.max(1, perSubtask - 1) + 50;
            byte[] value = wideProperties == null ? g.value : wideProperties.addTo(g.value);
            RawEvent raw = new RawEvent(topics[g.topicIndex], 0, index, writtenAt, g.key, value);
            if (timed) {
                generatorNanos += (THREADS.getCurrentThreadCpuTime() - cpuBefore) * GENERATOR_SAMPLE;
            }
            generatorBytes += THREADS.getCurrentThreadAllocatedBytes() - allocatedBefore;
            if ((local & 1023) == 0) {
                GENERATOR_BYTES.addAndGet(generatorBytes);
                GENERATOR_NANOS.addAndGet(generatorNanos);
                generatorBytes = 0;
                generatorNanos = 0;
            }
            return ParsedRecord.of(raw, parser.parse(raw));
        }
    }

    private static FunnelDefinitions.Factory definitions(Path dir) throws IOException {
        // (id, definition) pairs: the factory is serialized with the job graph, FunnelUpdate is not serializable
        ArrayList<String[]> texts = new ArrayList<>();
        try (var files = Files.list(dir)) {
            for (Path f : files.sorted().toList()) {
                String definition = Files.readString(f, StandardCharsets.UTF_8);
                Matcher id = FUNNEL_ID.matcher(definition);
                if (id.find()) {
                    texts.add(new String[] {id.group(1), definition});
                }
            }
        }
        return () -> new FunnelDefinitions() {
            private boolean read;

            @Override
            public List<FunnelUpdate> readNew() {
                if (read) {
                    return List.of();
                }
                read = true;
                List<FunnelUpdate> updates = new ArrayList<>();
                for (int i = 0; i < texts.size(); i++) {
                    updates.add(new FunnelUpdate(texts.get(i)[0], 0, i, texts.get(i)[1]));
                }
                return updates;
            }

            @Override
            public void close() {}
        };
    }

    // ----------------------------------------------------------------------------- Redis and the sinks in memory

    private static final ErasureLog NO_ERASURES = new ErasureLog() {
        @Override
        public Erasures current() {
            return Erasures.NONE;
        }

        @Override
        public long knownUpTo() {
            return System.currentTimeMillis();
        }

        @Override
        public void close() {}
    };

    private static final ErasureAcks NO_ACKS = new ErasureAcks() {
        @Override
        public void ack(String job, String participant, int subtask, int parallelism, long version) {}

        @Override
        public void close() {}
    };

    /**
     * Redis as the job sees it when every user of the run fits its per-user cache (redis.cache-size per task): a key
     * is read once, before it exists, and written after. So it keeps which keys exist (an
     * update of a missing key is refused, as Redis's script does) and counts bytes, not values: holding every write
     * made the benchmark's own garbage part of the job's GC figure. A read of a key that exists would need the values:
     * it stops the run.
     */
    private static final class MemoryHashStore implements HashStore {
        @Override
        public List<Hash> load(List<Lookup> lookups) {
            List<Hash> out = new ArrayList<>(lookups.size());
            for (Lookup l : lookups) {
                if (REDIS_KEYS.contains(l.key())) {
                    throw new IllegalStateException("the job read back a stored key; this benchmark's store keeps no"
                            + " values: run it with fewer users per task than redis.cache-size");
                }
                List<byte[]> older = new ArrayList<>();
                l.olderKeys().forEach(k -> older.add(null));
                out.add(new Hash(Map.of(), older));
            }
            return out;
        }

        @Override
        public List<byte[]> loadValues(List<String> keys) {
            List<byte[]> out = new ArrayList<>();
            keys.forEach(k -> out.add(null));
            return out;
        }

        @Override
        public List<String> write(Map<String, Changes> changes, long ttlMs) {
            List<String> missing = new ArrayList<>();
            changes.forEach((key, c) -> {
                if (c.mode() == Mode.UPDATE && !REDIS_KEYS.contains(key)) {
                    missing.add(key);
                    return;
                }
                long bytes = 0;
                for (Map.Entry<String, byte[]> f : c.set().entrySet()) {
                    bytes += f.getKey().length() + f.getValue().length;
                }
                REDIS_BYTES.addAndGet(bytes);
                REDIS_KEY_WRITES.incrementAndGet();
                if (c.mode() == Mode.REPLACE && c.set().isEmpty()) {
                    REDIS_KEYS.remove(key);
                } else {
                    REDIS_KEYS.add(key);
                }
            });
            return missing;
        }

        @Override
        public boolean deleteUpTo(String key, long erasedAt, List<String> others) {
            return REDIS_KEYS.remove(key);
        }

        @Override
        public void close() {}
    }

    private static final class NoLedger implements DeadLetterLedger {
        @Override
        public Map<String, Ranges> read() {
            return Map.of();
        }

        @Override
        public void add(Map<String, Ranges> ranges) {}

        @Override
        public void close() {}
    }

    /**
     * The production ClickHouse sink (its buffering, flushes, held rows and erasure feed as configured) over an
     * inserter that only counts what it is given; no rejected row and no replay check ever comes up.
     */
    private static <T> ClickHouseSink<T> clickHouse(
            JobConfig config, RowEncoder<T> encoder, Class<T> type, boolean events) {
        return ClickHouseSink.<T>builder()
                .settings(SinkSettings.from(config))
                .encoder(encoder)
                .inserter(() -> new CountingInserter(events))
                .rejectedRows(() -> new RejectedRows<T>() {
                    @Override
                    public void reject(List<T> rows, String table, String error) {
                        throw new IllegalStateException("the benchmark's inserter refuses nothing");
                    }

                    @Override
                    public void close() {}
                })
                .rowType(TypeInformation.of(type))
                .erasures(ErasureFeed.from(config, () -> NO_ERASURES, () -> NO_ACKS, true), "benchmark-" + type)
                .build();
    }

    private static final class CountingInserter implements Inserter {
        private final AtomicLong rows;
        private final AtomicLong bytes;

        CountingInserter(boolean events) {
            this.rows = events ? EVENT_ROWS : SESSION_ROWS;
            this.bytes = events ? EVENT_BYTES : new AtomicLong();
        }

        @Override
        public void insert(Batch batch) {
            bytes.addAndGet(batch.bytes());
            rows.addAndGet(batch.rows());
        }

        @Override
        public boolean isRetryable(Throwable error) {
            return false;
        }

        @Override
        public void close() {}
    }

    /** Counts the dead letters. */
    private static final class CountingSink<T> extends WriterSink<T> {
        private static final long serialVersionUID = 1L;

        @Override
        public SinkWriter<T> createWriter(WriterInitContext context) {
            return new SinkWriter<>() {
                @Override
                public void write(T row, Context ctx) {
                    DEAD_LETTERS.incrementAndGet();
                }

                @Override
                public void flush(boolean endOfInput) {}

                @Override
                public void close() {}
            };
        }
    }
}
