package io.clickstream.etl.clickhouse;

import io.clickstream.etl.compat.WriterSink;
import io.clickstream.etl.config.JobConfig;
import io.clickstream.etl.config.Options;
import io.clickstream.etl.event.Event;
import io.clickstream.etl.kafka.RejectedRowsToKafka;
import io.clickstream.etl.redis.RedisSendLedger;
import io.clickstream.etl.redis.RedisInsertMarks;
import io.clickstream.etl.redis.RedisSettings;
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
    private final ReplayGuard.Factory<T> guard;

    public ClickHouseSink(SinkSettings settings, RowEncoder<T> encoder, Inserter.Factory inserterFactory) {
        this(settings, encoder, inserterFactory, null);
    }

    /** With a dead-letter path for rows the server refuses ({@code rejected} null: such a refusal fails the job). */
    public ClickHouseSink(SinkSettings settings, RowEncoder<T> encoder, Inserter.Factory inserterFactory,
                          RejectedRows.Factory<T> rejected) {
        this(settings, encoder, inserterFactory, rejected, null);
    }

    /** With a replay guard too ({@code guard} null: none), so that re-read input is not stored twice. */
    public ClickHouseSink(SinkSettings settings, RowEncoder<T> encoder, Inserter.Factory inserterFactory,
                          RejectedRows.Factory<T> rejected, ReplayGuard.Factory<T> guard) {
        this.settings = settings;
        this.encoder = encoder;
        this.inserterFactory = inserterFactory;
        this.rejected = rejected;
        this.guard = guard;
    }

    /** Events into clickhouse.database.clickhouse.table, with client-v2. */
    public static ClickHouseSink<Event> events(JobConfig config, Map<String, String> env) {
        String table = config.get(Options.CLICKHOUSE_TABLE);
        ReplayGuard.Factory<Event> guard = null;
        if (config.get(Options.SINK_REPLAY_CHECK)) {
            String database = config.get(Options.CLICKHOUSE_DATABASE);
            guard = new ReplayGuard.Factory<>(RedisInsertMarks.factory(RedisSettings.from(config, env), database + "." + table),
                    ClickHouseStoredEvents.factory(ClickHouseEndpoints.from(config, env), database, table),
                    EventRowEncoder.INSTANCE);
        }
        return of(config, env, table, EventRowEncoder.INSTANCE, guard);
    }

    /** Session rows into clickhouse.database.clickhouse.sessions-table. */
    public static ClickHouseSink<SessionRow> sessions(JobConfig config, Map<String, String> env) {
        return of(config, env, config.get(Options.CLICKHOUSE_SESSIONS_TABLE), SessionRowEncoder.INSTANCE, null);
    }

    static <T> ClickHouseSink<T> of(JobConfig config, Map<String, String> env, String table, RowEncoder<T> encoder,
                                    ReplayGuard.Factory<T> guard) {
        String qualified = config.get(Options.CLICKHOUSE_DATABASE) + "." + table;
        return new ClickHouseSink<>(SinkSettings.from(config), encoder, ClickHouseInserter.factory(
                ClickHouseEndpoints.from(config, env), qualified, encoder.columns(),
                config.get(Options.SINK_DISTRIBUTED_SYNC), config.get(Options.SINK_REQUEST_TIMEOUT).toMillis()),
                RejectedRowsToKafka.factory(config, RedisSendLedger.factory(RedisSettings.from(config, env))), guard);
    }

    @Override
    public SinkWriter<T> createWriter(WriterInitContext context) {
        return new ClickHouseWriter<>(settings, encoder, inserterFactory.open(), rejected == null ? null : rejected.open(),
                guard == null ? null : guard.open(), context.getProcessingTimeService(), new SinkMetrics(context.metricGroup()), Thread::sleep);
    }
}
