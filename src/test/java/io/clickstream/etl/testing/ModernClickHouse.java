package io.clickstream.etl.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;
import io.clickstream.etl.clickhouse.Migrator;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A current ClickHouse (26.x, embedded through chDB: scripts/chdb.sh installs it) in a Node process, for checking
 * the project's SQL on a current version next to the 18.16 cluster of the local stack. It has no ZooKeeper and no
 * server, so a statement is first parsed as written (ON CLUSTER and Replicated engines included) and then executed
 * in its local form: without ON CLUSTER, Replicated*MergeTree as *MergeTree. Distributed tables are real, over a
 * cluster of the same name with one local shard. Users, quotas and the given settings profiles are loaded as a
 * server loads its users configuration (users.d), so a profile it refuses fails {@link #start}.
 */
public final class ModernClickHouse implements Migrator.Sql, AutoCloseable {
    public static final String CLUSTER = "clickstream_cluster";
    private static final JsonMapper JSON = new JsonMapper();
    private static final Pattern ON_CLUSTER =
            Pattern.compile("\\s+ON\\s+CLUSTER\\s+[^\\s(]+", Pattern.CASE_INSENSITIVE);
    private static final Pattern REPLICATED = Pattern.compile(
            "Replicated(\\w*MergeTree)\\(\\s*'[^']*'\\s*,\\s*'[^']*'\\s*(?:,\\s*)?", Pattern.CASE_INSENSITIVE);

    private final Process process;
    private final OutputStream in;
    private final BufferedReader out;
    private final String version;
    private final Path dir;

    private ModernClickHouse(Process process, BufferedReader out, String version, Path dir) {
        this.process = process;
        this.in = process.getOutputStream();
        this.out = out;
        this.version = version;
        this.dir = dir;
    }

    /** The engine installed by scripts/chdb.sh (CLICKSTREAM_CHDB); fails with what to do when it is not there. */
    public static Path installation() {
        String env = System.getenv("CLICKSTREAM_CHDB");
        Path p = env == null ? null : Path.of(env);
        if (p == null
                || !Files.isRegularFile(p.resolve("engine.js"))
                || !Files.isDirectory(p.resolve("node_modules/chdb"))) {
            throw new IllegalStateException(
                    "ClickHouse 26.x (chDB) is not installed: run `scripts/chdb.sh install` and set "
                            + "the environment from `scripts/chdb.sh env` (scripts/test.sh does both). CLICKSTREAM_CHDB="
                            + env);
        }
        return p;
    }

    /** Starts the engine with these users.d files (settings profiles), and a cluster {@link #CLUSTER} of itself. */
    public static ModernClickHouse start(List<Path> profiles) throws IOException {
        return start(profiles, List.of(), Map.of(), true);
    }

    /**
     * Starts the engine as a server would with these users.d and config.d files and environment (docker-compose's
     * mounts), without a cluster of its own.
     */
    public static ModernClickHouse startWith(List<Path> usersD, List<Path> configD, Map<String, String> env)
            throws IOException {
        return start(usersD, configD, env, false);
    }

    private static ModernClickHouse start(
            List<Path> profiles, List<Path> configs, Map<String, String> env, boolean localCluster) throws IOException {
        Path home = installation();
        Path dir = Files.createTempDirectory("modern-clickhouse");
        Path usersD = Files.createDirectories(dir.resolve("users.d"));
        for (Path p : profiles) {
            Files.copy(p, usersD.resolve(p.getFileName()));
        }
        Path configD = Files.createDirectories(dir.resolve("config.d"));
        for (Path p : configs) {
            Files.copy(p, configD.resolve(p.getFileName()));
        }
        Files.writeString(dir.resolve("users.xml"), """
                <clickhouse>
                    <profiles><default/></profiles>
                    <users><default><password></password><networks><ip>::1</ip><ip>127.0.0.1</ip></networks>
                        <profile>default</profile><quota>default</quota>
                        <access_management>1</access_management></default></users>
                    <quotas><default/></quotas>
                </clickhouse>
                """);
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort(); // never listened on: it only makes the one replica of the cluster "local"
        }
        Files.writeString(dir.resolve("config.xml"), """
                <clickhouse>
                    <tcp_port>%d</tcp_port>
                    <users_config>%s</users_config>
                    %s
                </clickhouse>
                """.formatted(
                        port, dir.resolve("users.xml"), !localCluster ? "" : """
                    <remote_servers><%s><shard><internal_replication>true</internal_replication>
                        <replica><host>localhost</host><port>%d</port></replica></shard></%s></remote_servers>
                """.formatted(CLUSTER, port, CLUSTER)));
        ProcessBuilder pb = new ProcessBuilder(
                        "node",
                        home.resolve("engine.js").toString(),
                        dir.resolve("data").toString(),
                        dir.resolve("config.xml").toString())
                .redirectError(dir.resolve("engine.log").toFile());
        pb.environment().putAll(env);
        Process p = pb.start();
        BufferedReader answers = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
        String first = answers.readLine();
        JsonNode hello = first == null ? null : JSON.readTree(first);
        if (hello == null || !hello.get("ok").asBoolean()) {
            p.destroy();
            // The engine writes why (e.g. a setting it does not know) to its standard error.
            throw new IllegalStateException("ClickHouse (chDB) did not start with " + profiles + " " + configs + ": "
                    + Files.readString(dir.resolve("engine.log")).strip() + " ("
                    + (hello == null ? "no answer" : hello.get("error").asText()) + ")");
        }
        return new ModernClickHouse(p, answers, hello.get("out").asText(), dir);
    }

    public String version() {
        return version;
    }

    /** {@code sql} parsed as written, then executed in its local form; the result as TabSeparated. */
    @Override
    public String execute(String sql) throws Exception {
        raw("SELECT formatQuery(" + literal(sql) + ") FORMAT Null", sql);
        return raw(localForm(sql), sql);
    }

    /** Executes exactly this statement. */
    public String raw(String sql) throws Exception {
        return raw(sql, sql);
    }

    private synchronized String raw(String sql, String asWritten) throws IOException {
        in.write((JSON.writeValueAsString(Map.of("sql", sql)) + "\n").getBytes(StandardCharsets.UTF_8));
        in.flush();
        String line = out.readLine();
        if (line == null) {
            throw new IOException("ClickHouse (chDB) exited while running: " + asWritten);
        }
        JsonNode a = JSON.readTree(line);
        if (!a.get("ok").asBoolean()) {
            throw new SqlRefused(asWritten, sql, a.get("error").asText(), version);
        }
        return a.get("out").asText();
    }

    /** Inserts RowBinary bytes into {@code table} (columns as the sink names them) with the sink's settings. */
    public void insertRowBinary(String table, List<String> columns, byte[] rows, String settings) throws Exception {
        Path file = Files.createTempFile(dir, "rows", ".bin");
        Files.write(file, rows);
        raw("INSERT INTO " + table + " (" + String.join(", ", columns) + ") FROM INFILE " + literal(file.toString())
                + (settings.isEmpty() ? "" : " SETTINGS " + settings) + " FORMAT RowBinary");
    }

    /** Without ON CLUSTER, and with the replicated engines' ZooKeeper path and replica name left out. */
    public static String localForm(String sql) {
        String s = ON_CLUSTER.matcher(sql).replaceAll("");
        Matcher m = REPLICATED.matcher(s);
        return m.replaceAll(r -> Matcher.quoteReplacement(r.group(1) + "("));
    }

    public static String literal(String s) {
        return "'" + s.replace("\\", "\\\\").replace("'", "\\'") + "'";
    }

    @Override
    public void close() throws IOException {
        in.close();
        try {
            if (!process.waitFor(30, java.util.concurrent.TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** A statement the engine refused: the statement as the project wrote it, and the server's message. */
    public static final class SqlRefused extends IOException {
        public SqlRefused(String asWritten, String executed, String error, String version) {
            super("ClickHouse " + version + " refused:\n  " + asWritten.strip().replace("\n", "\n  ")
                    + (asWritten.equals(executed)
                            ? ""
                            : "\nexecuted as:\n  " + executed.strip().replace("\n", "\n  "))
                    + "\nwith: " + error);
        }
    }
}
