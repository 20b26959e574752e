package io.clickstream.etl.clickhouse;

import io.clickstream.etl.compat.WriterSink;
import io.clickstream.etl.config.JobConfig;
import io.clickstream.etl.config.Options;
import io.clickstream.etl.event.Event;
import org.apache.flink.api.connector.sink2.SinkWriter;
import org.apache.flink.api.connector.sink2.WriterInitContext;

import java.util.Map;

/** Sink V2 that batch-inserts events into ClickHouse; see {@link ClickHouseWriter}. */
public class ClickHouseSink extends WriterSink<Event> {
    private static final long serialVersionUID = 1L;

    private final SinkSettings settings;
    private final Inserter.Factory inserterFactory;

    public ClickHouseSink(SinkSettings settings, Inserter.Factory inserterFactory) {
        this.settings = settings;
        this.inserterFactory = inserterFactory;
    }

    /** The production sink: client-v2 into clickhouse.database.clickhouse.table. */
    public static ClickHouseSink from(JobConfig config, Map<String, String> env) {
        String table = config.get(Options.CLICKHOUSE_DATABASE) + "." + config.get(Options.CLICKHOUSE_TABLE);
        return new ClickHouseSink(SinkSettings.from(config), ClickHouseInserter.factory(
                ClickHouseEndpoints.from(config, env), table, config.get(Options.SINK_DISTRIBUTED_SYNC),
                config.get(Options.SINK_REQUEST_TIMEOUT).toMillis()));
    }

    @Override
    public SinkWriter<Event> createWriter(WriterInitContext context) {
        return new ClickHouseWriter(settings, inserterFactory.open(), context.getProcessingTimeService(),
                new SinkMetrics(context.metricGroup()), Thread::sleep);
    }
}
