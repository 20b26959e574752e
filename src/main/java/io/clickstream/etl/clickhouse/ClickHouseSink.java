package io.clickstream.etl.clickhouse;

import io.clickstream.etl.compat.WriterSink;
import io.clickstream.etl.config.JobConfig;
import io.clickstream.etl.config.Options;
import io.clickstream.etl.event.Event;
import io.clickstream.etl.session.SessionRow;
import org.apache.flink.api.common.serialization.SerializerConfigImpl;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.connector.sink2.SinkWriter;
import org.apache.flink.api.connector.sink2.StatefulSinkWriter;
import org.apache.flink.api.connector.sink2.SupportsWriterState;
import org.apache.flink.api.connector.sink2.WriterInitContext;
import org.apache.flink.core.io.SimpleVersionedSerializer;

import java.util.Collection;
import java.util.List;
import java.util.Map;

/** Sink V2 that batch-inserts rows into one ClickHouse table; see {@link ClickHouseWriter}. */
public class ClickHouseSink<T> extends WriterSink<T> implements SupportsWriterState<T, BufferedRows<T>> {
    private static final long serialVersionUID = 1L;

    private final SinkSettings settings;
    private final RowEncoder<T> encoder;
    private final Inserter.Factory inserterFactory;
    private final RejectedRows.Factory<T> rejected;
    private final ReplayGuard.Factory<T> guard;
    /**
     * The rows' type, for the catch-up buffer in checkpoints (clickhouse.sink.catch-up-hold); null: the buffer is sent
     * at every checkpoint.
     */
    private final TypeInformation<T> rowType;

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
        this(settings, encoder, inserterFactory, rejected, guard, null);
    }

    /** With the rows' type too, so that a catching-up writer keeps its partial batch in the checkpoint. */
    public ClickHouseSink(SinkSettings settings, RowEncoder<T> encoder, Inserter.Factory inserterFactory,
                          RejectedRows.Factory<T> rejected, ReplayGuard.Factory<T> guard, TypeInformation<T> rowType) {
        this.rowType = rowType;
        this.settings = settings;
        this.encoder = encoder;
        this.inserterFactory = inserterFactory;
        this.rejected = rejected;
        this.guard = guard;
    }

    @Override
    public SinkWriter<T> createWriter(WriterInitContext context) {
        return restoreWriter(context, List.of());
    }

    @Override
    public StatefulSinkWriter<T, BufferedRows<T>> restoreWriter(WriterInitContext context,
                                                                Collection<BufferedRows<T>> held) {
        ClickHouseWriter<T> writer = new ClickHouseWriter<>(settings, encoder, inserterFactory.open(),
                rejected == null ? null : rejected.open(), guard == null ? null : guard.open(),
                rowType != null && settings.catchUpHold,
                context.getProcessingTimeService(), new SinkMetrics(context.metricGroup()), Thread::sleep);
        writer.restore(held);
        return writer;
    }

    @Override
    public SimpleVersionedSerializer<BufferedRows<T>> getWriterStateSerializer() {
        // Without a row type nothing is ever held (snapshotState returns nothing after a flush that sent all).
        return new BufferedRows.Serializer<>(rowType == null ? null : rowType.createSerializer(new SerializerConfigImpl()));
    }
}
