package io.clickstream.etl.clickhouse;

import io.clickstream.etl.compat.WriterSink;
import io.clickstream.etl.session.JoinedFix;
import io.clickstream.etl.session.SessionCorrection;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Collection;
import java.util.List;
import org.apache.flink.api.connector.sink2.SinkWriter;
import org.apache.flink.api.connector.sink2.StatefulSinkWriter;
import org.apache.flink.api.connector.sink2.SupportsWriterState;
import org.apache.flink.api.connector.sink2.WriterInitContext;
import org.apache.flink.core.io.SimpleVersionedSerializer;
import org.apache.flink.core.memory.DataInputDeserializer;
import org.apache.flink.core.memory.DataOutputSerializer;

/**
 * Sink V2 that applies the corrections of stored events late events made ({@link CorrectionsWriter}); the
 * corrections that wait for their rows are kept in checkpoints.
 */
public class CorrectionsSink extends WriterSink<SessionCorrection>
        implements SupportsWriterState<SessionCorrection, SessionCorrection> {
    private static final long serialVersionUID = 1L;

    /** Opens what applies corrections: one per writer. */
    @FunctionalInterface
    public interface Factory extends java.io.Serializable {
        Corrector open();
    }

    /** Applies corrections ({@link EventCorrections} in production). */
    public interface Corrector extends AutoCloseable {
        EventCorrections.Outcome apply(List<SessionCorrection> corrections, boolean evenIfIncomplete) throws Exception;
    }

    private final Factory factory;

    public CorrectionsSink(Factory factory) {
        this.factory = factory;
    }

    /**
     * Into the events table {@code table} and the sessions table {@code sessions} (database.table, Distributed); the
     * funnel tags of corrections that name funnels computed again by {@code tagging}. {@code events}: the encoder of
     * the events sink, whose columns a row written again carries over (the declared ones too).
     */
    public static CorrectionsSink clickHouse(
            ClickHouseEndpoints endpoints, String table, EventRowEncoder events, String sessions, RowTagging tagging) {
        List<String> columns = List.copyOf(events.columns());
        return new CorrectionsSink(() -> {
            ClickHouseSql sql = new ClickHouseSql(endpoints);
            EventCorrections c = new EventCorrections(
                    sql::execute, table, columns, sessions, SessionRowEncoder.INSTANCE.columns(), tagging);
            return new Corrector() {
                @Override
                public EventCorrections.Outcome apply(List<SessionCorrection> corrections, boolean evenIfIncomplete)
                        throws Exception {
                    return c.apply(corrections, evenIfIncomplete);
                }

                @Override
                public void close() {
                    sql.close();
                }
            };
        });
    }

    @Override
    public SinkWriter<SessionCorrection> createWriter(WriterInitContext context) {
        return restoreWriter(context, List.of());
    }

    @Override
    public StatefulSinkWriter<SessionCorrection, SessionCorrection> restoreWriter(
            WriterInitContext context, Collection<SessionCorrection> pending) {
        CorrectionsWriter writer = new CorrectionsWriter(
                factory.open(),
                context.getProcessingTimeService(),
                context.metricGroup().addGroup("corrections"));
        pending.forEach(writer::restore);
        return writer;
    }

    @Override
    public SimpleVersionedSerializer<SessionCorrection> getWriterStateSerializer() {
        return new StateSerializer();
    }

    /**
     * Format 3: format 1, then the funnels' definitions (count, -1 for none, then each), then the joined fixes (count,
     * -1 for none, then each: start, end, giving source, and its receiving sources, names and values as counted lists),
     * texts as UTF-8 bytes after their length. Formats 1 (no funnels, no fixes) and 2 (no fixes) are still read.
     */
    static final class StateSerializer implements SimpleVersionedSerializer<SessionCorrection> {
        @Override
        public int getVersion() {
            return 3;
        }

        @Override
        public byte[] serialize(SessionCorrection c) throws IOException {
            DataOutputSerializer out = new DataOutputSerializer(64);
            out.writeUTF(c.userId);
            out.writeUTF(c.sessionId);
            out.writeInt(c.sessionNumber);
            out.writeLong(c.start);
            out.writeLong(c.end);
            out.writeInt(c.events);
            writeTexts(out, c.funnels);
            out.writeInt(c.joined == null ? -1 : c.joined.length);
            if (c.joined != null) {
                for (JoinedFix f : c.joined) {
                    out.writeLong(f.start);
                    out.writeLong(f.end);
                    writeText(out, f.from);
                    writeTexts(out, f.into);
                    writeTexts(out, f.names);
                    writeTexts(out, f.values);
                }
            }
            return out.getCopyOfBuffer();
        }

        @Override
        public SessionCorrection deserialize(int version, byte[] serialized) throws IOException {
            if (version < 1 || version > 3) {
                throw new IOException("unknown format " + version + " of a waiting correction: written by a newer "
                        + "version of the job; restore with that version");
            }
            DataInputDeserializer in = new DataInputDeserializer(serialized);
            SessionCorrection c = new SessionCorrection(
                    in.readUTF(), in.readUTF(), in.readInt(), in.readLong(), in.readLong(), in.readInt());
            c.funnels = version >= 2 ? readTexts(in) : null;
            int fixes = version >= 3 ? in.readInt() : -1;
            if (fixes >= 0) {
                c.joined = new JoinedFix[fixes];
                for (int i = 0; i < fixes; i++) {
                    c.joined[i] = new JoinedFix(
                            in.readLong(), in.readLong(), readText(in), readTexts(in), readTexts(in), readTexts(in));
                }
            }
            return c;
        }

        private static void writeTexts(DataOutputSerializer out, String[] texts) throws IOException {
            out.writeInt(texts == null ? -1 : texts.length);
            if (texts != null) {
                for (String t : texts) {
                    writeText(out, t);
                }
            }
        }

        private static void writeText(DataOutputSerializer out, String text) throws IOException {
            byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
            out.writeInt(bytes.length);
            out.write(bytes);
        }

        private static String[] readTexts(DataInputDeserializer in) throws IOException {
            int n = in.readInt();
            if (n < 0) {
                return null;
            }
            String[] texts = new String[n];
            for (int i = 0; i < n; i++) {
                texts[i] = readText(in);
            }
            return texts;
        }

        private static String readText(DataInputDeserializer in) throws IOException {
            byte[] bytes = new byte[in.readInt()];
            in.readFully(bytes);
            return new String(bytes, StandardCharsets.UTF_8);
        }
    }
}
