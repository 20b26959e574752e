package io.clickstream.etl.tools;

import io.clickstream.etl.clickhouse.ClickHouseEndpoints;
import io.clickstream.etl.clickhouse.ClickHouseSql;
import io.clickstream.etl.clickhouse.ClusterAlter;
import io.clickstream.etl.clickhouse.Migration;
import io.clickstream.etl.clickhouse.Migrator;
import io.clickstream.etl.config.JobConfig;
import io.clickstream.etl.config.Options;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;

/**
 * Applies the schema (sql/V*.sql) to the ClickHouse cluster of the job's config.
 *
 * <pre>java -cp clickstream-etl.jar io.clickstream.etl.tools.Migrate --config flink-conf/clickstream.yaml [--dry-run]</pre>
 */
public final class Migrate {
    private static final String USAGE =
            "usage: Migrate [--config FILE] [--set key=value]... [--sql-dir DIR] [--dry-run]\n"
                    + "  Applies pending migrations ON CLUSTER clickhouse.cluster to clickhouse.database, through the first "
                    + "of clickhouse.urls.\n  --sql-dir DIR  migrations from DIR instead of those in the jar\n"
                    + "  --dry-run      list what would be applied";

    private Migrate() {}

    public static void main(String[] args) {
        CommandLine.run(args, Migrate::run);
    }

    static void run(String[] args) throws Exception {
        CommandLine cli = new CommandLine(args, Set.of("sql-dir"), Set.of("dry-run"), USAGE);
        JobConfig config = cli.config();
        String dir = cli.get("sql-dir", null);
        List<Migration> migrations = Migrator.load(dir == null ? null : Path.of(dir));
        // ON CLUSTER DDL answers once every host ran it (distributed_ddl_task_timeout, 180 s by default).
        ClickHouseEndpoints endpoints =
                ClickHouseEndpoints.from(config, System.getenv()).withSocketTimeout(Duration.ofMinutes(10));
        String cluster = config.get(Options.CLICKHOUSE_CLUSTER);
        try (ClickHouseSql sql = new ClickHouseSql(endpoints)) {
            System.out.println("migrating " + config.get(Options.CLICKHOUSE_DATABASE) + " on cluster " + cluster
                    + " via " + sql.url());
            ClusterAlter alter;
            try {
                alter = ClusterAlter.of(sql, endpoints, cluster);
            } catch (IllegalStateException notEveryShard) {
                System.out.println("ALTERs of replicated tables ON CLUSTER: " + notEveryShard.getMessage());
                alter = ClusterAlter.onCluster(sql, cluster);
            }
            new Migrator(
                            alter::execute,
                            config.get(Options.CLICKHOUSE_DATABASE),
                            config.get(Options.CLICKHOUSE_CLUSTER),
                            System.out)
                    .migrate(migrations, cli.flag("dry-run"));
        }
    }
}
