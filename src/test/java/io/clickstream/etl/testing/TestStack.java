package io.clickstream.etl.testing;

import io.clickstream.etl.ClickstreamJob;
import io.clickstream.etl.clickhouse.ClickHouseEndpoints;
import io.clickstream.etl.clickhouse.ClickHouseSql;
import io.clickstream.etl.clickhouse.ClusterAlter;
import io.clickstream.etl.clickhouse.Migrator;
import io.clickstream.etl.config.JobConfig;
import io.clickstream.etl.config.Options;
import io.clickstream.etl.kafka.Topics;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BooleanSupplier;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * The real services the integration tests run against: those of scripts/stack.sh (scripts/test.sh starts them),
 * found through the variables that `scripts/stack.sh env` prints, with the stack's defaults. A service that does
 * not answer fails the test with instructions; it is never skipped.
 */
public final class TestStack {
    private TestStack() {}

    public static String kafkaBootstrap() {
        return env("CLICKSTREAM_KAFKA_BOOTSTRAP", "127.0.0.1:9092");
    }

    /** HTTP endpoints of the four nodes, in the order s1r1, s1r2, s2r1, s2r2. */
    public static List<String> clickHouseUrls() {
        return Arrays.asList(env(
                        "CLICKSTREAM_CLICKHOUSE_URLS",
                        "http://127.0.0.1:8123,http://127.0.0.1:8124,http://127.0.0.1:8125,http://127.0.0.1:8126")
                .split(","));
    }

    /** host:port of Redis. */
    public static String redis() {
        return env("CLICKSTREAM_REDIS", "127.0.0.1:6379");
    }

    /** Seed nodes (host:port,…) of the stack's Redis Cluster. */
    public static String redisCluster() {
        return env("CLICKSTREAM_REDIS_CLUSTER", "127.0.0.1:7001,127.0.0.1:7002,127.0.0.1:7003");
    }

    /**
     * Settings that point the job at the test stack, with a Redis key prefix and an erasure list of its own for this
     * test.
     */
    public static Map<String, String> jobSettings() {
        String[] redis = redis().split(":");
        return Map.of(
                "kafka.bootstrap-servers", kafkaBootstrap(),
                "clickhouse.urls", String.join(",", clickHouseUrls()),
                "redis.host", redis[0],
                "redis.port", redis[1],
                "redis.key-prefix", unique("it"),
                "privacy.erasure-topic", unique("erasures"));
    }

    /**
     * The production job graph (ClickstreamJob.build with the real Kafka source, ClickHouse and dead-letter sinks) on
     * the test MiniCluster, parallelism 2; checkpointing every {@code checkpointMs} when positive.
     */
    public static StreamExecutionEnvironment job(JobConfig config, long checkpointMs) throws Exception {
        return job(config, checkpointMs, new org.apache.flink.configuration.Configuration());
    }

    /**
     * As {@link #job(JobConfig, long)}, for a test that claims the job rode a fault out: without restarts, so a
     * failure that a restore from the last checkpoint would hide fails the job, and the test sees it.
     */
    public static StreamExecutionEnvironment jobWithoutRestarts(JobConfig config, long checkpointMs) throws Exception {
        org.apache.flink.configuration.Configuration flink = new org.apache.flink.configuration.Configuration();
        flink.set(org.apache.flink.configuration.RestartStrategyOptions.RESTART_STRATEGY, "none");
        return job(config, checkpointMs, flink);
    }

    /** As {@link #job(JobConfig, long)}, with Flink settings (for example a savepoint to start from). */
    public static StreamExecutionEnvironment job(
            JobConfig config, long checkpointMs, org.apache.flink.configuration.Configuration flink) throws Exception {
        return job(config, checkpointMs, flink, 2);
    }

    /** As {@link #job(JobConfig, long, org.apache.flink.configuration.Configuration)}, at another parallelism. */
    public static StreamExecutionEnvironment job(
            JobConfig config, long checkpointMs, org.apache.flink.configuration.Configuration flink, int parallelism)
            throws Exception {
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(flink);
        env.setParallelism(parallelism);
        if (checkpointMs > 0) {
            env.enableCheckpointing(checkpointMs);
        }
        ClickstreamJob.build(
                env,
                config,
                ClickstreamJob.Sources.production(config, Map.of()),
                ClickstreamJob.Stores.production(config, Map.of()),
                ClickstreamJob.Sinks.production(config, Map.of()));
        return env;
    }

    /**
     * A MiniCluster for tests that restore from an early checkpoint: the number of checkpoints kept is a cluster
     * setting, not a job's, and without it only the latest survives.
     */
    public static org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration miniClusterKeepingCheckpoints() {
        org.apache.flink.configuration.Configuration c = new org.apache.flink.configuration.Configuration();
        c.set(org.apache.flink.configuration.CheckpointingOptions.MAX_RETAINED_CHECKPOINTS, 100);
        return new org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration.Builder()
                .setNumberTaskManagers(1)
                .setNumberSlotsPerTaskManager(2)
                .setConfiguration(c)
                .build();
    }

    public static String cluster() {
        return env("CLICKSTREAM_CLICKHOUSE_CLUSTER", "clickstream_cluster");
    }

    private static String env(String name, String def) {
        String v = System.getenv(name);
        return v == null || v.isBlank() ? def : v;
    }

    /** Fails with a clear message unless Kafka and all four ClickHouse nodes answer. */
    public static void requireRunning() {
        List<String> down = new ArrayList<>();
        String[] hp = kafkaBootstrap().split(":");
        if (!reachable(hp[0], Integer.parseInt(hp[1]))) {
            down.add("Kafka at " + kafkaBootstrap());
        }
        String[] redis = redis().split(":");
        if (!reachable(redis[0], Integer.parseInt(redis[1]))) {
            down.add("Redis at " + redis());
        }
        if (java.util.Arrays.stream(redisCluster().split(","))
                .noneMatch(n -> reachable(n.split(":")[0], Integer.parseInt(n.split(":")[1])))) {
            down.add("the Redis Cluster at " + redisCluster());
        }
        for (String url : clickHouseUrls()) {
            URI u = URI.create(url);
            if (!reachable(u.getHost(), u.getPort())) {
                down.add("ClickHouse at " + url);
            }
        }
        if (!down.isEmpty()) {
            throw new IllegalStateException("Integration tests need the local stack, but these do not answer: " + down
                    + ". Run the tests with scripts/test.sh, or start the stack with scripts/stack.sh start.");
        }
    }

    private static boolean reachable(String host, int port) {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(host, port), 2000);
            return true;
        } catch (Exception e) {
            return false;
        }
    }

    public static String unique(String prefix) {
        return prefix + "_" + UUID.randomUUID().toString().replace("-", "").substring(0, 10);
    }

    public static ClickHouseEndpoints clickHouse() {
        return new ClickHouseEndpoints(clickHouseUrls(), "default", "", Duration.ofSeconds(60));
    }

    private static final AtomicBoolean LEFTOVERS_DROPPED = new AtomicBoolean();

    /**
     * A new database with the project's schema, through the real migration path. The first call of a test run drops
     * the databases earlier runs left (kept until then for inspection): each of their replicated tables polls
     * ZooKeeper, and a hundred of them kept ZooKeeper and ClickHouse busy at rest, slowing every later test and
     * benchmark on the same stack.
     *
     * <p>On 18.16 an {@code ALTER … ON CLUSTER} of a replicated table can stop one replica's DDL worker for good (see
     * docs/clickhouse.md), and every later ON CLUSTER statement then waits out its timeout. A migration that times out
     * restarts the ClickHouse nodes, whose DDL workers resume their queues, and starts again with a new database.
     */
    public static String migratedDatabase() throws Exception {
        for (int attempt = 1; ; attempt++) {
            String db = unique("it");
            try {
                dropLeftovers();
                migrateOnce(db);
                return db;
            } catch (Exception e) {
                healDdlWorkersOrThrow(e, attempt);
            }
        }
    }

    private static void dropLeftovers() throws Exception {
        if (LEFTOVERS_DROPPED.get()) {
            return;
        }
        try (ClickHouseSql sql = new ClickHouseSql(clickHouse().withSocketTimeout(Duration.ofMinutes(10)))) {
            String leftovers = sql.execute(
                    "SELECT name FROM system.databases WHERE match(name, '^it_[0-9a-f]{10}$') FORMAT TabSeparated");
            for (String old : leftovers.split("\n")) {
                if (!old.isBlank()) {
                    sql.execute("DROP DATABASE IF EXISTS " + old.trim() + " ON CLUSTER " + cluster(), DDL_TIMEOUT);
                }
            }
        }
        LEFTOVERS_DROPPED.set(true);
    }

    /** Applies the project's migrations to {@code db} (those not applied yet). */
    public static void migrate(String db) throws Exception {
        for (int attempt = 1; ; attempt++) {
            try {
                migrateOnce(db);
                return;
            } catch (Exception e) {
                healDdlWorkersOrThrow(e, attempt);
            }
        }
    }

    /**
     * A test's ON CLUSTER statements wait a minute at most (they take seconds): a stopped DDL worker costs a minute,
     * not the default three, before the restart that cures it.
     */
    private static final Map<String, String> DDL_TIMEOUT = Map.of("distributed_ddl_task_timeout", "60");

    /** As tools.Migrate does it: an ALTER of a replicated table on one node per shard on 18.16 (ClusterAlter). */
    private static void migrateOnce(String db) throws Exception {
        ClickHouseEndpoints endpoints = clickHouse().withSocketTimeout(Duration.ofMinutes(10));
        try (ClickHouseSql sql = new ClickHouseSql(endpoints)) {
            ClusterAlter alter = ClusterAlter.of(sql, endpoints, cluster());
            new Migrator(
                            s -> alter.execute(s, DDL_TIMEOUT),
                            db,
                            cluster(),
                            new PrintStream(new ByteArrayOutputStream()))
                    .migrate(Migrator.load(Path.of("sql")), false);
        }
    }

    private static void healDdlWorkersOrThrow(Exception e, int attempt) throws Exception {
        if (attempt >= 3 || !ddlTimedOut(e)) {
            throw e;
        }
        System.err.println("An ON CLUSTER statement timed out (a ClickHouse 18.16 DDL worker stops after a race of"
                + " two replicas): restarting the ClickHouse nodes, then trying again");
        stack("restart", "clickhouse");
    }

    /** {@code ALTER TABLE table clause} on every shard, the way the tools send it ({@link ClusterAlter}). */
    public static void alter(String table, String clause) throws Exception {
        try (ClickHouseSql sql = new ClickHouseSql(clickHouse())) {
            ClusterAlter.of(sql, clickHouse(), cluster()).run(table, clause);
        }
    }

    private static boolean ddlTimedOut(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (String.valueOf(t.getMessage()).contains("distributed_ddl_task_timeout")) {
                return true;
            }
        }
        return false;
    }

    /**
     * The analysts' login of the stack: its password from CLICKSTREAM_ANALYST_PASSWORD, else from the file
     * CLICKSTREAM_ANALYST_PASSWORD_FILE names (both from {@code scripts/stack.sh env}).
     */
    public static ClickHouseEndpoints analyst() throws Exception {
        String password = System.getenv("CLICKSTREAM_ANALYST_PASSWORD");
        if (password == null || password.isEmpty()) {
            String file = System.getenv("CLICKSTREAM_ANALYST_PASSWORD_FILE");
            if (file == null || file.isBlank() || !Files.isReadable(Path.of(file))) {
                throw new IllegalStateException(
                        "the analyst's password: set CLICKSTREAM_ANALYST_PASSWORD or "
                                + "CLICKSTREAM_ANALYST_PASSWORD_FILE (scripts/stack.sh start; eval \"$(scripts/stack.sh env)\")");
            }
            password = Files.readString(Path.of(file)).strip();
        }
        return new ClickHouseEndpoints(clickHouseUrls(), "analyst", password, Duration.ofSeconds(60));
    }

    /** The body of a query's answer from one node. */
    public static String query(String url, String sql) throws Exception {
        try (ClickHouseSql client = new ClickHouseSql(clickHouse(), url)) {
            return client.execute(sql);
        }
    }

    public static long count(String url, String sql) throws Exception {
        return Long.parseLong(query(url, sql + " FORMAT TabSeparated").trim());
    }

    public static void createTopics(int partitions, String... topics) throws Exception {
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, kafkaBootstrap()))) {
            assertCreated(Topics.brokerDefaults().createMissing(admin, List.of(topics), partitions), topics);
        }
    }

    private static void assertCreated(List<String> created, String... topics) {
        if (created.size() != topics.length) {
            throw new IllegalStateException(
                    "topics existed already: " + Arrays.toString(topics) + " created " + created);
        }
    }

    /** Sends and waits for every acknowledgement; returns each record's metadata in order. */
    public static List<RecordMetadata> produce(List<ProducerRecord<byte[], byte[]>> records) throws Exception {
        return produce(records, null);
    }

    /**
     * As {@link #produce}, each record sent at its wall-clock time {@code sendAt[i]} (ascending; null: at once), as a
     * live producer sends them.
     */
    public static List<RecordMetadata> produce(List<ProducerRecord<byte[], byte[]>> records, long[] sendAt)
            throws Exception {
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafkaBootstrap());
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.LINGER_MS_CONFIG, "5");
        p.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, "2097152");
        // One request in flight: a refused request can never be overtaken by a later one (Topics.awaitLeaders).
        p.put(ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, "1");
        List<Future<RecordMetadata>> futures = new ArrayList<>();
        try (KafkaProducer<byte[], byte[]> producer =
                new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer())) {
            for (int i = 0; i < records.size(); i++) {
                long wait = sendAt == null ? 0 : sendAt[i] - System.currentTimeMillis();
                if (wait > 0) {
                    Thread.sleep(wait);
                }
                futures.add(producer.send(records.get(i)));
            }
            producer.flush();
        }
        List<RecordMetadata> metadata = new ArrayList<>();
        for (Future<RecordMetadata> f : futures) {
            metadata.add(f.get(30, TimeUnit.SECONDS));
        }
        return metadata;
    }

    /** Reads a topic from the start until {@code expected} records arrived or the timeout passed. */
    public static List<ConsumerRecord<byte[], byte[]>> consume(String topic, int expected, Duration timeout) {
        return consume(topic, expected, timeout, "read_committed");
    }

    /** As {@link #consume(String, int, Duration)}, with the given isolation level. */
    public static List<ConsumerRecord<byte[], byte[]>> consume(
            String topic, int expected, Duration timeout, String isolation) {
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, kafkaBootstrap());
        p.put(ConsumerConfig.GROUP_ID_CONFIG, unique("reader"));
        p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        p.put(
                ConsumerConfig.ISOLATION_LEVEL_CONFIG,
                isolation); // read_committed as the README tells readers of dead letters
        List<ConsumerRecord<byte[], byte[]>> out = new ArrayList<>();
        long deadline = System.nanoTime() + timeout.toNanos();
        try (KafkaConsumer<byte[], byte[]> consumer =
                new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            consumer.subscribe(List.of(topic));
            while (out.size() < expected && System.nanoTime() < deadline) {
                consumer.poll(Duration.ofMillis(500)).forEach(out::add);
            }
            // Anything beyond the expected count is a duplicate or a stray record: read a little longer to see it.
            consumer.poll(Duration.ofSeconds(1)).forEach(out::add);
        }
        return out;
    }

    /**
     * Runs scripts/stack.sh ARGS, or scripts/flink-cluster.sh when the first argument is "flink-cluster", with the
     * test JVM's environment (same ports and STACK_DIR as the test run).
     */
    public static void stack(String... args) throws Exception {
        boolean flink = args.length > 0 && args[0].equals("flink-cluster");
        Path script = Path.of(flink ? "scripts/flink-cluster.sh" : "scripts/stack.sh");
        if (flink) {
            args = Arrays.copyOfRange(args, 1, args.length);
        }
        if (!Files.isExecutable(script)) {
            throw new IllegalStateException(
                    "run the integration tests from the project directory: " + script.toAbsolutePath());
        }
        List<String> command = new ArrayList<>(List.of("bash", script.toString()));
        command.addAll(List.of(args));
        Process process = new ProcessBuilder(command).inheritIO().start();
        if (!process.waitFor(180, TimeUnit.SECONDS)) {
            // A child left running keeps the test JVM's output open and Maven waiting for it forever.
            process.descendants().forEach(ProcessHandle::destroyForcibly);
            process.destroyForcibly();
            throw new IllegalStateException(script + " " + String.join(" ", args) + " did not finish in 180 s");
        }
        if (process.exitValue() != 0) {
            throw new IllegalStateException(script + " " + String.join(" ", args) + " failed");
        }
    }

    /** tools.Aggregates rebuild of {@code db}'s days [from, to] on the stack; what it printed. */
    public static String rebuildAggregates(String db, String from, String to) throws Exception {
        PrintStream original = System.out;
        ByteArrayOutputStream printed = new ByteArrayOutputStream();
        System.setOut(new PrintStream(printed, true, java.nio.charset.StandardCharsets.UTF_8));
        try {
            io.clickstream.etl.tools.Aggregates.run(
                    "rebuild",
                    "--from",
                    from,
                    "--to",
                    to,
                    "--set",
                    "clickhouse.urls=" + String.join(",", clickHouseUrls()),
                    "--set",
                    "clickhouse.cluster=" + cluster(),
                    "--set",
                    "clickhouse.database=" + db);
        } finally {
            System.setOut(original);
        }
        return printed.toString(java.nio.charset.StandardCharsets.UTF_8);
    }

    /** What tools.Balance printed, and its exit code. */
    public record BalanceRun(int code, String printed) {}

    /** tools.Balance over the job's topics, group and database, all records of the topics; {@code bucket} offsets. */
    public static BalanceRun balance(JobConfig config, int bucket) throws Exception {
        PrintStream original = System.out;
        ByteArrayOutputStream printed = new ByteArrayOutputStream();
        System.setOut(new PrintStream(printed, true, java.nio.charset.StandardCharsets.UTF_8));
        int code;
        try {
            code = io.clickstream.etl.tools.Balance.run(
                    "--set",
                    "clickhouse.urls=" + String.join(",", clickHouseUrls()),
                    "--set",
                    "clickhouse.database=" + config.get(Options.CLICKHOUSE_DATABASE),
                    "--set",
                    "kafka.bootstrap-servers=" + kafkaBootstrap(),
                    "--set",
                    "kafka.topics=" + String.join(",", config.get(Options.KAFKA_TOPICS)),
                    "--set",
                    "kafka.group-id=" + config.get(Options.KAFKA_GROUP_ID),
                    "--set",
                    "kafka.dead-letter-topic=" + config.get(Options.DEAD_LETTER_TOPIC),
                    "--set",
                    "backfill.topic=" + java.util.Objects.requireNonNullElse(config.get(Options.BACKFILL_TOPIC), ""),
                    "--bucket",
                    Integer.toString(bucket));
        } finally {
            System.setOut(original);
        }
        return new BalanceRun(code, printed.toString(java.nio.charset.StandardCharsets.UTF_8));
    }

    public static void await(String what, Duration timeout, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out after " + timeout.toSeconds() + " s waiting for " + what);
            }
            Thread.sleep(250);
        }
    }

    /** A condition that may throw, for {@link #await}. */
    public static BooleanSupplier unchecked(CheckedCondition c) {
        return () -> {
            try {
                return c.get();
            } catch (Exception e) {
                return false;
            }
        };
    }

    @FunctionalInterface
    public interface CheckedRunnable {
        void run() throws Exception;
    }

    @FunctionalInterface
    public interface CheckedCondition {
        boolean get() throws Exception;
    }

    /**
     * {@code n} page views from number {@code from} on, ids {@code <idPrefix><i>}, spread over {@code users} users
     * ({@code <userPrefix><i % users>}, keyed by user) 500 ms apart from {@code t0}.
     */
    public static List<ProducerRecord<byte[], byte[]>> pageViews(
            String topic, String idPrefix, String userPrefix, int users, int from, int n, long t0) {
        List<ProducerRecord<byte[], byte[]>> out = new ArrayList<>();
        for (int i = from; i < from + n; i++) {
            String user = userPrefix + (i % users);
            String json = "{\"event_id\":\"" + idPrefix + i + "\",\"user_id\":\"" + user
                    + "\",\"event_type\":\"page_view\",\"ts\":" + (t0 + i * 500L) + "}";
            out.add(new ProducerRecord<>(
                    topic,
                    user.getBytes(java.nio.charset.StandardCharsets.UTF_8),
                    json.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
        }
        return out;
    }

    /**
     * Every stored event, a line each in event id order, read without FINAL (a duplicate shows as a repeated line):
     * id, session id, number and index, funnel ids and steps.
     */
    public static String rows(String database) throws Exception {
        return query(
                clickHouseUrls().get(0),
                "SELECT event_id, session_id, session_number, session_index, funnels.id, " + "funnels.step FROM "
                        + database + ".events ORDER BY event_id, session_id FORMAT TabSeparated");
    }

    /**
     * {@link #rows} of a run without faults over the same input: the job with the same settings, bounded, from the
     * earliest offsets, into a database, consumer group and Redis keys of its own.
     */
    public static String faultFreeRows(JobConfig config) throws Exception {
        String clean = migratedDatabase();
        JobConfig cleanConfig = config.with("clickhouse.database", clean)
                .with("kafka.group-id", unique("g"))
                .with("redis.key-prefix", unique("clean"))
                .with("kafka.start-from", "earliest")
                .with("kafka.bounded", "true");
        job(cleanConfig, 0).execute("fault-free run");
        return rows(clean);
    }

    /**
     * The sum over all subtasks of every operator of the job's metrics whose name ends with {@code suffix} (for
     * example ".clickhouse.replaySkippedRows"), read from the REST API at {@code rest}.
     */
    public static long metricSum(String rest, String jobId, String suffix) throws Exception {
        java.util.function.Function<String, com.fasterxml.jackson.databind.JsonNode> get = path -> restGet(rest, path);
        long sum = 0;
        for (com.fasterxml.jackson.databind.JsonNode vertex :
                get.apply("/jobs/" + jobId).path("vertices")) {
            String base = "/jobs/" + jobId + "/vertices/" + vertex.path("id").asText() + "/subtasks/metrics";
            for (com.fasterxml.jackson.databind.JsonNode metric : get.apply(base)) {
                String id = metric.path("id").asText();
                if (id.endsWith(suffix)) {
                    String query = base + "?get="
                            + java.net.URLEncoder.encode(id, java.nio.charset.StandardCharsets.UTF_8) + "&agg=sum";
                    sum += (long) get.apply(query).path(0).path("sum").asDouble();
                }
            }
        }
        return sum;
    }

    /** The job's completed checkpoints so far, read from the REST API at {@code rest}. */
    public static long completedCheckpoints(String rest, String jobId) {
        return restGet(rest, "/jobs/" + jobId + "/checkpoints")
                .path("counts")
                .path("completed")
                .asLong();
    }

    private static com.fasterxml.jackson.databind.JsonNode restGet(String rest, String path) {
        try {
            return new com.fasterxml.jackson.databind.ObjectMapper()
                    .readTree(java.net.http.HttpClient.newHttpClient()
                            .send(
                                    java.net.http.HttpRequest.newBuilder(URI.create(rest + path))
                                            .build(),
                                    java.net.http.HttpResponse.BodyHandlers.ofString())
                            .body());
        } catch (Exception e) {
            throw new IllegalStateException(rest + path + ": " + e, e);
        }
    }

    /** A new database, events topic and dead-letter topic, and the job settings for them. */
    public record Streaming(String database, String topic, JobConfig config) {}

    /**
     * The job's settings for the stack (Kafka, ClickHouse, Redis under a prefix of its own) reading {@code topics}
     * (comma-separated) from the start in a group of its own, dead letters to {@code dead}, rows into {@code database}
     * with 200 ms sink flushes; {@code extra} settings on top.
     */
    public static JobConfig settings(String topics, String dead, String database, Map<String, String> extra) {
        Map<String, String> settings = new java.util.HashMap<>(jobSettings());
        settings.putAll(Map.of(
                "kafka.topics",
                topics,
                "kafka.dead-letter-topic",
                dead,
                "kafka.start-from",
                "earliest",
                "kafka.group-id",
                unique("g"),
                "clickhouse.database",
                database,
                "clickhouse.sink.flush-interval",
                "200ms"));
        settings.putAll(extra);
        return JobConfig.of(settings);
    }

    /**
     * The usual set-up of a test that streams into ClickHouse while something happens: a migrated database, a topic
     * with 2 partitions read from the start, 200 ms sink flushes, no device parsing; {@code extra} settings on top.
     */
    public static Streaming streaming(String name, Map<String, String> extra) throws Exception {
        String database = migratedDatabase();
        String topic = unique(name);
        String dead = unique("dead");
        createTopics(2, topic, dead);
        Map<String, String> settings = new java.util.HashMap<>(
                Map.of("device.enabled", "false", "funnel.definitions-topic", unique("funnels")));
        settings.putAll(extra);
        return new Streaming(database, topic, settings(topic, dead, database, settings));
    }

    /** The offsets a consumer group has committed, summed over its partitions. */
    public static long committedOffsets(String group) throws Exception {
        try (org.apache.kafka.clients.admin.Admin admin = org.apache.kafka.clients.admin.Admin.create(
                Map.of(org.apache.kafka.clients.admin.AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, kafkaBootstrap()))) {
            return admin
                    .listConsumerGroupOffsets(group)
                    .partitionsToOffsetAndMetadata()
                    .get(10, TimeUnit.SECONDS)
                    .values()
                    .stream()
                    .filter(java.util.Objects::nonNull) // a partition without a commit
                    .mapToLong(org.apache.kafka.clients.consumer.OffsetAndMetadata::offset)
                    .sum();
        }
    }

    /** The newest completed checkpoint (chk-N with its _metadata) under a checkpoint directory, or null. */
    public static Path latestCheckpoint(Path root) throws Exception {
        try (java.util.stream.Stream<Path> all = Files.walk(root, 2)) {
            return all.filter(
                            p -> p.getFileName().toString().startsWith("chk-") && Files.exists(p.resolve("_metadata")))
                    .max(java.util.Comparator.comparingInt(
                            p -> Integer.parseInt(p.getFileName().toString().substring(4))))
                    .orElse(null);
        }
    }

    /**
     * Waits while the job runs until the sessions table's current sessions (not retired by a late event) count
     * {@code events} events (session rows leave at a checkpoint or update after their events) and tools.Balance finds nothing in flight (every input committed).
     */
    public static void awaitSessionRowsAndNothingInFlight(JobConfig config, long events) throws InterruptedException {
        String node = clickHouseUrls().get(0);
        String db = config.get(Options.CLICKHOUSE_DATABASE);
        await(
                "a session row for every event, and every input committed",
                Duration.ofSeconds(120),
                unchecked(() ->
                        count(node, "SELECT sum(events) FROM " + db + ".sessions FINAL WHERE NOT retired") == events
                                && balance(config, 1000).printed().contains(" + 0 in flight")));
    }
}
