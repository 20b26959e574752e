package io.clickstream.etl.tools;

import io.clickstream.etl.clickhouse.ClickHouseEndpoints;
import io.clickstream.etl.clickhouse.DeclaredColumnsOnCluster;
import io.clickstream.etl.clickhouse.DeclaredRow;
import io.clickstream.etl.config.JobConfig;
import io.clickstream.etl.config.Options;
import java.time.Duration;
import java.util.Set;

/**
 * Adds the columns the job config's schema.file declares to the events tables of the cluster (or widens them), and
 * waits until every node has them (docs/schema.md). Never drops a column.
 *
 * <pre>java -cp clickstream-etl.jar io.clickstream.etl.tools.DeclareColumns --config flink-conf/clickstream.yaml</pre>
 */
public final class DeclareColumns {
    private static final String USAGE = "usage: DeclareColumns [--config FILE] [--set key=value]... [--wait SECONDS]"
            + " [--dry-run]\n  Adds the columns schema.file declares to clickhouse.database's events tables on"
            + " clickhouse.cluster, then waits until every node of clickhouse.urls has them (default 120 s).\n"
            + "  --dry-run  print the statements only";

    private DeclareColumns() {}

    public static void main(String[] args) {
        CommandLine.run(args, DeclareColumns::run);
    }

    static void run(String[] args) throws Exception {
        CommandLine cli = new CommandLine(args, Set.of("wait"), Set.of("dry-run"), USAGE);
        JobConfig config = cli.config();
        DeclaredRow row = DeclaredRow.from(config);
        if (row == null) {
            throw new IllegalArgumentException(Options.SCHEMA_FILE.key() + " is not set: no columns to declare");
        }
        ClickHouseEndpoints endpoints =
                ClickHouseEndpoints.from(config, System.getenv()).withSocketTimeout(Duration.ofMinutes(10));
        DeclaredColumnsOnCluster cluster = new DeclaredColumnsOnCluster(
                endpoints, config.get(Options.CLICKHOUSE_CLUSTER), config.get(Options.CLICKHOUSE_DATABASE));
        long waitMs = Long.parseLong(cli.get("wait", "120")) * 1000;
        var sent = cluster.apply(row, cli.flag("dry-run"), waitMs, System.out);
        sent.forEach(System.out::println);
        System.out.println((cli.flag("dry-run") ? "would send " : "sent ") + sent.size() + " statement(s); "
                + row.columns().size() + " declared column(s)" + (cli.flag("dry-run") ? "" : " on every node"));
    }
}
