package io.clickstream.etl.clickhouse;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class MigratorTest {
    private final List<String> executed = new ArrayList<>();
    private String appliedRows = "";
    private final PrintStream log = new PrintStream(new ByteArrayOutputStream());

    private String fakeSql(String sql) {
        executed.add(sql);
        if (sql.startsWith("SELECT version, checksum")) {
            return appliedRows;
        }
        return sql.startsWith("SELECT count() FROM system.databases") || sql.startsWith("EXISTS") ? "1\n" : "";
    }

    private Migrator migrator() {
        return new Migrator(this::fakeSql, "db", "cl", log);
    }

    @Test
    void splitsStatementsDropsCommentsAndFillsPlaceholders() {
        Migration m = Migration.fromFile(
                "V007__x.sql",
                "-- about\nCREATE TABLE ${database}.a ON CLUSTER ${cluster}\n(\n  a UInt8\n);\n\n"
                        + "-- next\nCREATE TABLE ${database}.b AS ${database}.a;\nSELECT 1");

        assertThat(m.version()).isEqualTo(7);
        assertThat(m.name()).isEqualTo("x");
        assertThat(m.statements("db", "cl"))
                .containsExactly(
                        "CREATE TABLE db.a ON CLUSTER cl\n(\n  a UInt8\n)", "CREATE TABLE db.b AS db.a", "SELECT 1");
    }

    @Test
    void ignoresFilesThatAreNotMigrations() {
        assertThat(Migration.fromFile("README.md", "")).isNull();
        assertThat(Migration.fromFile("V1_missing_underscore.sql", "")).isNull();
    }

    @Test
    void appliesPendingMigrationsInOrderAndRecordsThem() throws Exception {
        Migration one = Migration.fromFile("V001__a.sql", "CREATE TABLE ${database}.a (x UInt8) ENGINE = Log;");
        Migration two = Migration.fromFile("V002__b.sql", "CREATE TABLE ${database}.b (x UInt8) ENGINE = Log;");
        appliedRows = "1\t" + one.checksum() + "\n";

        List<Migration> applied = migrator().migrate(List.of(one, two), false);

        assertThat(applied).containsExactly(two);
        assertThat(executed).anyMatch(s -> s.startsWith("CREATE DATABASE IF NOT EXISTS db ON CLUSTER cl"));
        assertThat(executed)
                .contains("CREATE TABLE db.b (x UInt8) ENGINE = Log")
                .doesNotContain("CREATE TABLE db.a (x UInt8) ENGINE = Log");
        assertThat(executed.get(executed.size() - 1))
                .startsWith("INSERT INTO db.schema_migrations")
                .contains("(2, 'b', '" + two.checksum() + "'");
    }

    @Test
    void refusesAMigrationThatChangedAfterItWasApplied() {
        Migration one = Migration.fromFile("V001__a.sql", "CREATE TABLE x;");
        appliedRows = "1\tdeadbeefdeadbeef\n";

        assertThatThrownBy(() -> migrator().migrate(List.of(one), false))
                .hasMessageContaining("V001__a was changed after it was applied");
    }

    @Test
    void dryRunExecutesNoDdl() throws Exception {
        Migration one = Migration.fromFile("V001__a.sql", "CREATE TABLE x;");

        assertThat(migrator().migrate(List.of(one), true)).containsExactly(one);
        assertThat(executed).allMatch(s -> s.startsWith("SELECT") || s.startsWith("EXISTS"));
    }

    @Test
    void loadsTheProjectsMigrationsInVersionOrder() throws Exception {
        List<Migration> fromDir = Migrator.load(Path.of("sql"));
        List<Migration> fromClassPath = Migrator.load(null);

        assertThat(fromDir).isNotEmpty();
        assertThat(fromDir.get(0).version()).isEqualTo(1);
        assertThat(fromClassPath)
                .extracting(Migration::checksum)
                .containsExactlyElementsOf(
                        fromDir.stream().map(Migration::checksum).toList());
        assertThat(fromDir.get(0).statements("db", "cl"))
                .allSatisfy(s -> assertThat(s).contains("ON CLUSTER cl"));
    }
}
