package io.clickstream.etl.clickhouse;

import io.clickstream.etl.compat.WriterSink;
import io.clickstream.etl.config.JobConfig;
import io.clickstream.etl.config.Options;
import io.clickstream.etl.event.Event;
import io.clickstream.etl.kafka.RejectedRowsToKafka;
import io.clickstream.etl.session.SessionRow;
import org.apache.flink.api.connector.sink2.SinkWriter;
import org.apache.flink.api.connector.sink2.WriterInitContext;

import java.util.Map;

/** Sink V2 that batch-inserts rows into one ClickHouse table; see {@link ClickHouseWriter}. */
public class ClickHouseSink<T> extends WriterSink<T> {
    private static final long serialVersionUID = 1L;

    private final SinkSettings settings;
    private final RowEncoder<T> encoder;
    private final Inserter.Factory inserterFactory;
    private final RejectedRows.Factory<T> rejected;

    public ClickHouseSink(SinkSettings settings, RowEncoder<T> encoder, Inserter.Factory inserterFactory) {
        this(settings, encoder, inserterFactory, null);
    }

    /** With a dead-letter path for rows the server refuses ({@code rejected} null: such a refusal fails the job). */
    public ClickHouseSink(SinkSettings settings, RowEncoder<T> encoder, Inserter.Factory inserterFactory,
                          RejectedRows.Factory<T> rejected) {
        this.settings = settings;
        this.encoder = encoder;
        this.inserterFactory = inserterFactory;
        this.rejected = rejected;
    }

    /** Events into clickhouse.database.clickhouse.table, with client-v2. */
    public static ClickHouseSink<Event> events(JobConfig config, Map<String, String> env) {
        return of(config, env, config.get(Options.CLICKHOUSE_TABLE), EventRowEncoder.INSTANCE);
    }

    /** Session rows into clickhouse.database.clickhouse.sessions-table. */
    public static ClickHouseSink<SessionRow> sessions(JobConfig config, Map<String, String> env) {
        return of(config, env, config.get(Options.CLICKHOUSE_SESSIONS_TABLE), SessionRowEncoder.INSTANCE);
    }

    static <T> ClickHouseSink<T> of(JobConfig config, Map<String, String> env, String table, RowEncoder<T> encoder) {
        String qualified = config.get(Options.CLICKHOUSE_DATABASE) + "." + table;
        return new ClickHouseSink<>(SinkSettings.from(config), encoder, ClickHouseInserter.factory(
                ClickHouseEndpoints.from(config, env), qualified, encoder.columns(),
                config.get(Options.SINK_DISTRIBUTED_SYNC), config.get(Options.SINK_REQUEST_TIMEOUT).toMillis()),
                RejectedRowsToKafka.factory(config));
    }

    @Override
    public SinkWriter<T> createWriter(WriterInitContext context) {
        return new ClickHouseWriter<>(settings, encoder, inserterFactory.open(), rejected == null ? null : rejected.open(),
                context.getProcessingTimeService(), new SinkMetrics(context.metricGroup()), Thread::sleep);
    }
}
