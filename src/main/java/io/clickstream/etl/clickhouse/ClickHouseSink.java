package io.clickstream.etl.clickhouse;

import io.clickstream.etl.compat.WriterSink;
import io.clickstream.etl.config.Options;
import io.clickstream.etl.privacy.ErasureFeed;
import java.util.Collection;
import java.util.List;
import org.apache.flink.api.common.serialization.SerializerConfigImpl;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.connector.sink2.SinkWriter;
import org.apache.flink.api.connector.sink2.StatefulSinkWriter;
import org.apache.flink.api.connector.sink2.SupportsWriterState;
import org.apache.flink.api.connector.sink2.WriterInitContext;
import org.apache.flink.core.io.SimpleVersionedSerializer;

/** Sink V2 that batch-inserts rows into one ClickHouse table; see {@link ClickHouseWriter}. */
public class ClickHouseSink<T> extends WriterSink<T> implements SupportsWriterState<T, BufferedRows<T>> {
    private static final long serialVersionUID = 1L;

    private final SinkSettings settings;
    private final RowEncoder<T> encoder;
    private final Inserter.Factory inserterFactory;
    private final RejectedRows.Factory<T> rejected;
    private final ReplayGuard.Factory<T> guard;
    /** The rows' type, for the catch-up buffer in checkpoints; null: the buffer is sent at every checkpoint. */
    private final TypeInformation<T> rowType;
    /** The erasure list and the name this sink acknowledges it under; null: no erasures. */
    private final ErasureFeed erasures;

    private final String name;

    private ClickHouseSink(Builder<T> b) {
        this.settings = java.util.Objects.requireNonNull(b.settings, "settings").sanityCheck();
        this.encoder = java.util.Objects.requireNonNull(b.encoder, "encoder");
        this.inserterFactory = java.util.Objects.requireNonNull(b.inserterFactory, "inserter");
        this.rejected = b.rejected;
        this.guard = b.guard;
        this.rowType = b.rowType;
        this.erasures = b.erasures;
        this.name = b.name;
        if (settings.catchUpHold() && rowType == null) {
            throw new IllegalArgumentException(Options.SINK_CATCH_UP_HOLD.key() + " keeps rows in checkpoints: the "
                    + "sink needs their type (Builder.rowType)");
        }
    }

    public static <T> Builder<T> builder() {
        return new Builder<>();
    }

    /** Settings, encoder and inserter are needed; the rest is optional. */
    public static final class Builder<T> {
        private SinkSettings settings;
        private RowEncoder<T> encoder;
        private Inserter.Factory inserterFactory;
        private RejectedRows.Factory<T> rejected;
        private ReplayGuard.Factory<T> guard;
        private TypeInformation<T> rowType;
        private ErasureFeed erasures;
        private String name = "clickhouse";

        public Builder<T> settings(SinkSettings settings) {
            this.settings = settings;
            return this;
        }

        public Builder<T> encoder(RowEncoder<T> encoder) {
            this.encoder = encoder;
            return this;
        }

        public Builder<T> inserter(Inserter.Factory inserterFactory) {
            this.inserterFactory = inserterFactory;
            return this;
        }

        /** Where rows the server refuses go; without it such a refusal fails the job. */
        public Builder<T> rejectedRows(RejectedRows.Factory<T> rejected) {
            this.rejected = rejected;
            return this;
        }

        /** Leaves out rows an earlier run stored, so that re-read input is not stored twice; without it no check. */
        public Builder<T> replayGuard(ReplayGuard.Factory<T> guard) {
            this.guard = guard;
            return this;
        }

        /** The rows' type, needed to keep a catch-up's partial batch in checkpoints (clickhouse.sink.catch-up-hold). */
        public Builder<T> rowType(TypeInformation<T> rowType) {
            this.rowType = rowType;
            return this;
        }

        /** Rows of erased users from before their erasure are not written; {@code name}: whose acknowledgement. */
        public Builder<T> erasures(ErasureFeed erasures, String name) {
            this.erasures = erasures;
            this.name = name;
            return this;
        }

        public ClickHouseSink<T> build() {
            return new ClickHouseSink<>(this);
        }
    }

    @Override
    public SinkWriter<T> createWriter(WriterInitContext context) {
        return restoreWriter(context, List.of());
    }

    @Override
    public StatefulSinkWriter<T, BufferedRows<T>> restoreWriter(
            WriterInitContext context, Collection<BufferedRows<T>> held) {
        ClickHouseWriter<T> writer = new ClickHouseWriter<>(
                settings,
                encoder,
                new ClickHouseWriter.Outputs<>(
                        inserterFactory.open(),
                        rejected == null ? null : rejected.open(),
                        guard == null ? null : guard.open(),
                        erasures == null ? null : erasures.open(name, context.getJobInfo(), context.getTaskInfo())),
                context.getProcessingTimeService(),
                new SinkMetrics(context.metricGroup()),
                Thread::sleep);
        writer.restore(held);
        return writer;
    }

    @Override
    public SimpleVersionedSerializer<BufferedRows<T>> getWriterStateSerializer() {
        // Without a row type nothing is ever held (snapshotState returns nothing after a flush that sent all).
        return new BufferedRows.Serializer<>(
                rowType == null ? null : rowType.createSerializer(new SerializerConfigImpl()));
    }
}
