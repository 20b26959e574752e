package io.clickstream.etl.clickhouse;

import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystem;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Applies the migrations of sql/ that the database has not seen, in version order, ON CLUSTER, and records each
 * in {database}.schema_migrations (replicated to every node). Safe to re-run: applied versions are skipped, and
 * the statements themselves use IF NOT EXISTS so a migration cut short can be run again.
 */
public final class Migrator {
    /** Runs one statement; the body of the answer is returned. */
    @FunctionalInterface
    public interface Sql {
        String execute(String sql) throws Exception;
    }

    private final Sql sql;
    private final String database;
    private final String cluster;
    private final PrintStream log;

    public Migrator(Sql sql, String database, String cluster, PrintStream log) {
        this.sql = sql;
        this.database = database;
        this.cluster = cluster;
        this.log = log;
    }

    /** Applies what is pending; returns the migrations applied now. */
    public List<Migration> migrate(List<Migration> migrations, boolean dryRun) throws Exception {
        Map<Integer, String> applied = dryRun && !databaseExists() ? Map.of() : applied(dryRun);
        List<Migration> done = new ArrayList<>();
        for (Migration m : migrations) {
            String checksum = applied.get(m.version());
            if (checksum != null) {
                if (!checksum.equals(m.checksum())) {
                    throw new IllegalStateException("Migration " + m + " was changed after it was applied (checksum "
                            + checksum + " in " + database + ".schema_migrations, " + m.checksum()
                            + " now). Add a new migration instead of editing an applied one.");
                }
                continue;
            }
            log.println((dryRun ? "would apply " : "applying ") + m);
            if (!dryRun) {
                for (String statement : m.statements(database, cluster)) {
                    sql.execute(statement);
                }
                sql.execute("INSERT INTO " + database + ".schema_migrations (version, name, checksum, applied_at) "
                        + "VALUES (" + m.version() + ", '" + m.name() + "', '" + m.checksum() + "', now())");
            }
            done.add(m);
        }
        log.println(
                done.isEmpty()
                        ? "schema of " + database + " is up to date (" + migrations.size() + " migrations)"
                        : (dryRun ? "would apply " : "applied ") + done.size() + " migration(s) to " + database);
        return done;
    }

    private boolean databaseExists() throws Exception {
        return sql.execute("SELECT count() FROM system.databases WHERE name = '" + database + "' FORMAT TabSeparated")
                .trim()
                .equals("1");
    }

    private Map<Integer, String> applied(boolean dryRun) throws Exception {
        if (!dryRun) {
            sql.execute("CREATE DATABASE IF NOT EXISTS " + database + " ON CLUSTER " + cluster);
            // One ZooKeeper path for all nodes: every replica of every shard holds the full history.
            sql.execute("CREATE TABLE IF NOT EXISTS " + database + ".schema_migrations ON CLUSTER " + cluster
                    + " (version UInt32, name String, checksum String, applied_at DateTime)"
                    + " ENGINE = ReplicatedMergeTree('/clickhouse/" + database + "/schema_migrations', '{replica}')"
                    + " ORDER BY version");
        } else if (!sql.execute("EXISTS TABLE " + database + ".schema_migrations FORMAT TabSeparated")
                .trim()
                .equals("1")) {
            return Map.of();
        }
        Map<Integer, String> applied = new HashMap<>();
        String rows =
                sql.execute("SELECT version, checksum FROM " + database + ".schema_migrations FORMAT TabSeparated");
        for (String[] cols : TabSeparated.rows(rows)) {
            applied.put(Integer.parseInt(cols[0]), cols[1]);
        }
        return applied;
    }

    /** The migrations in a directory, or (dir null) those packaged in the jar under sql/. */
    public static List<Migration> load(Path dir) throws IOException {
        if (dir != null) {
            return loadFrom(dir);
        }
        URL url = Migrator.class.getResource("/sql");
        if (url == null) {
            throw new IOException("no sql/ directory on the class path");
        }
        try {
            URI uri = url.toURI();
            if ("jar".equals(uri.getScheme())) {
                try (FileSystem fs = FileSystems.newFileSystem(uri, Map.of())) {
                    return loadFrom(fs.getPath("/sql"));
                }
            }
            return loadFrom(Path.of(uri));
        } catch (URISyntaxException e) {
            throw new IOException(e);
        }
    }

    private static List<Migration> loadFrom(Path dir) throws IOException {
        List<Migration> migrations = new ArrayList<>();
        try (Stream<Path> files = Files.list(dir)) {
            for (Path f : (Iterable<Path>) files::iterator) {
                Migration m =
                        Migration.fromFile(f.getFileName().toString(), Files.readString(f, StandardCharsets.UTF_8));
                if (m != null) {
                    migrations.add(m);
                }
            }
        }
        migrations.sort(Comparator.comparingInt(Migration::version));
        for (int i = 1; i < migrations.size(); i++) {
            if (migrations.get(i).version() == migrations.get(i - 1).version()) {
                throw new IOException(
                        "two migrations with version " + migrations.get(i).version() + " in " + dir);
            }
        }
        return migrations;
    }
}
