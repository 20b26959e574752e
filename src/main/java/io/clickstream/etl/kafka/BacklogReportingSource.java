package io.clickstream.etl.kafka;

import java.io.IOException;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.flink.api.common.eventtime.Watermark;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.connector.source.Boundedness;
import org.apache.flink.api.connector.source.ReaderOutput;
import org.apache.flink.api.connector.source.Source;
import org.apache.flink.api.connector.source.SourceEvent;
import org.apache.flink.api.connector.source.SourceOutput;
import org.apache.flink.api.connector.source.SourceReader;
import org.apache.flink.api.connector.source.SourceReaderContext;
import org.apache.flink.api.connector.source.SourceSplit;
import org.apache.flink.api.connector.source.SplitEnumerator;
import org.apache.flink.api.connector.source.SplitEnumeratorContext;
import org.apache.flink.api.java.typeutils.ResultTypeQueryable;
import org.apache.flink.core.io.InputStatus;
import org.apache.flink.core.io.SimpleVersionedSerializer;

/**
 * A source that tells Flink when it reads a backlog (FLIP-309), so that checkpoints are
 * {@code execution.checkpointing.interval-during-backlog} apart while the job catches up and
 * {@code execution.checkpointing.interval} apart once it is live. Each checkpoint cuts the sinks' inserts and the
 * per-user step's Redis writes, so a catch-up with fewer of them costs ClickHouse and Redis less per event; live, the
 * short interval keeps what it bounds (the offsets' commit, the work a restore repeats) as it was. The Kafka connector
 * does not report a backlog itself: each reader decides from the publish times of what it reads ({@link
 * BacklogSignal}) and tells the enumerator when that changes; the job is in backlog while any reader is.
 */
public final class BacklogReportingSource<T, SplitT extends SourceSplit, EnumChkT>
        implements Source<T, SplitT, EnumChkT>, ResultTypeQueryable<T> {
    private static final long serialVersionUID = 1L;

    private final Source<T, SplitT, EnumChkT> source;
    private final long lagMs;

    private BacklogReportingSource(Source<T, SplitT, EnumChkT> source, long lagMs) {
        this.source = source;
        this.lagMs = lagMs;
    }

    /** {@code source}, reporting a backlog while its newest records are {@code lagMs} old or older. */
    public static <T, SplitT extends SourceSplit, EnumChkT> BacklogReportingSource<T, SplitT, EnumChkT> of(
            Source<T, SplitT, EnumChkT> source, long lagMs) {
        if (!(source instanceof ResultTypeQueryable)) {
            throw new IllegalArgumentException("the source must say what type it produces");
        }
        return new BacklogReportingSource<>(source, lagMs);
    }

    @Override
    @SuppressWarnings("unchecked")
    public TypeInformation<T> getProducedType() {
        return ((ResultTypeQueryable<T>) source).getProducedType();
    }

    @Override
    public Boundedness getBoundedness() {
        return source.getBoundedness();
    }

    @Override
    public SourceReader<T, SplitT> createReader(SourceReaderContext context) throws Exception {
        return new Reader<>(source.createReader(context), context, new BacklogSignal(lagMs));
    }

    @Override
    public SplitEnumerator<SplitT, EnumChkT> createEnumerator(SplitEnumeratorContext<SplitT> context) throws Exception {
        return new Enumerator<>(source.createEnumerator(context), context);
    }

    @Override
    public SplitEnumerator<SplitT, EnumChkT> restoreEnumerator(
            SplitEnumeratorContext<SplitT> context, EnumChkT checkpoint) throws Exception {
        return new Enumerator<>(source.restoreEnumerator(context, checkpoint), context);
    }

    @Override
    public SimpleVersionedSerializer<SplitT> getSplitSerializer() {
        return source.getSplitSerializer();
    }

    @Override
    public SimpleVersionedSerializer<EnumChkT> getEnumeratorCheckpointSerializer() {
        return source.getEnumeratorCheckpointSerializer();
    }

    /** A reader's news for the enumerator: it reads a backlog now, or no longer. */
    public static final class ReaderBacklog implements SourceEvent {
        private static final long serialVersionUID = 1L;
        final boolean backlog;

        ReaderBacklog(boolean backlog) {
            this.backlog = backlog;
        }
    }

    /** The readers in backlog; the job is while any is. A reader that registers again starts from "no". */
    static final class Readers {
        private final Set<Integer> inBacklog = new HashSet<>();

        /** Returns whether the job's answer changed. */
        boolean report(int subtask, boolean backlog) {
            boolean before = !inBacklog.isEmpty();
            if (backlog) {
                inBacklog.add(subtask);
            } else {
                inBacklog.remove(subtask);
            }
            return before != !inBacklog.isEmpty();
        }

        boolean any() {
            return !inBacklog.isEmpty();
        }
    }

    private static final class Enumerator<SplitT extends SourceSplit, EnumChkT>
            implements SplitEnumerator<SplitT, EnumChkT> {
        private final SplitEnumerator<SplitT, EnumChkT> enumerator;
        private final SplitEnumeratorContext<SplitT> context;
        private final Readers readers = new Readers();

        Enumerator(SplitEnumerator<SplitT, EnumChkT> enumerator, SplitEnumeratorContext<SplitT> context) {
            this.enumerator = enumerator;
            this.context = context;
        }

        @Override
        public void start() {
            enumerator.start();
        }

        @Override
        public void handleSplitRequest(int subtaskId, String requesterHostname) {
            enumerator.handleSplitRequest(subtaskId, requesterHostname);
        }

        @Override
        public void addSplitsBack(List<SplitT> splits, int subtaskId) {
            enumerator.addSplitsBack(splits, subtaskId);
        }

        @Override
        public void addReader(int subtaskId) {
            if (readers.report(subtaskId, false)) {
                context.setIsProcessingBacklog(false);
            }
            enumerator.addReader(subtaskId);
        }

        @Override
        public EnumChkT snapshotState(long checkpointId) throws Exception {
            return enumerator.snapshotState(checkpointId);
        }

        @Override
        public void close() throws IOException {
            enumerator.close();
        }

        @Override
        public void notifyCheckpointComplete(long checkpointId) throws Exception {
            enumerator.notifyCheckpointComplete(checkpointId);
        }

        @Override
        public void notifyCheckpointAborted(long checkpointId) throws Exception {
            enumerator.notifyCheckpointAborted(checkpointId);
        }

        @Override
        public void handleSourceEvent(int subtaskId, SourceEvent event) {
            if (event instanceof ReaderBacklog) {
                if (readers.report(subtaskId, ((ReaderBacklog) event).backlog)) {
                    context.setIsProcessingBacklog(readers.any());
                }
            } else {
                enumerator.handleSourceEvent(subtaskId, event);
            }
        }
    }

    private static final class Reader<T, SplitT extends SourceSplit> implements SourceReader<T, SplitT> {
        private final SourceReader<T, SplitT> reader;
        private final SourceReaderContext context;
        private final BacklogSignal signal;
        private ReaderOutput<T> wrapped;
        private Output<T> output;

        Reader(SourceReader<T, SplitT> reader, SourceReaderContext context, BacklogSignal signal) {
            this.reader = reader;
            this.context = context;
            this.signal = signal;
        }

        @Override
        public void start() {
            reader.start();
        }

        @Override
        public InputStatus pollNext(ReaderOutput<T> out) throws Exception {
            if (out != wrapped) { // Flink passes the same output each time
                wrapped = out;
                output = new Output<>(out, signal);
            }
            InputStatus status = reader.pollNext(output);
            if (signal.polled(status == InputStatus.MORE_AVAILABLE, System::currentTimeMillis)) {
                context.sendSourceEventToCoordinator(new ReaderBacklog(signal.backlog()));
            }
            return status;
        }

        @Override
        public List<SplitT> snapshotState(long checkpointId) {
            return reader.snapshotState(checkpointId);
        }

        @Override
        public CompletableFuture<Void> isAvailable() {
            CompletableFuture<Void> available = reader.isAvailable();
            if (!signal.backlog() || available.isDone()) {
                return available;
            }
            // A reader that read the last of a backlog and found nothing more would wait in "backlog" until its next
            // record (the job kept at the long interval while idle): a poll a second later, with nothing read in
            // between, says caught up.
            CompletableFuture<Void> recheck = new CompletableFuture<>();
            CompletableFuture.delayedExecutor(1, TimeUnit.SECONDS).execute(() -> recheck.complete(null));
            return available.applyToEither(recheck, ignored -> null);
        }

        @Override
        public void addSplits(List<SplitT> splits) {
            reader.addSplits(splits);
        }

        @Override
        public void notifyNoMoreSplits() {
            reader.notifyNoMoreSplits();
        }

        @Override
        public void handleSourceEvents(SourceEvent event) {
            reader.handleSourceEvents(event);
        }

        @Override
        public void notifyCheckpointComplete(long checkpointId) throws Exception {
            reader.notifyCheckpointComplete(checkpointId);
        }

        @Override
        public void notifyCheckpointAborted(long checkpointId) throws Exception {
            reader.notifyCheckpointAborted(checkpointId);
        }

        @Override
        public void pauseOrResumeSplits(Collection<String> pause, Collection<String> resume) {
            reader.pauseOrResumeSplits(pause, resume);
        }

        @Override
        public void close() throws Exception {
            reader.close();
        }
    }

    /** Passes everything on, noting the records' times (the Kafka source gives each record its publish time). */
    private static class SplitOutput<T> implements SourceOutput<T> {
        private final SourceOutput<T> out;
        final BacklogSignal signal;

        SplitOutput(SourceOutput<T> out, BacklogSignal signal) {
            this.out = out;
            this.signal = signal;
        }

        @Override
        public void collect(T record) {
            out.collect(record);
        }

        @Override
        public void collect(T record, long timestamp) {
            signal.read(timestamp);
            out.collect(record, timestamp);
        }

        @Override
        public void emitWatermark(Watermark watermark) {
            out.emitWatermark(watermark);
        }

        @Override
        public void markIdle() {
            out.markIdle();
        }

        @Override
        public void markActive() {
            out.markActive();
        }
    }

    private static final class Output<T> extends SplitOutput<T> implements ReaderOutput<T> {
        private final ReaderOutput<T> out;

        Output(ReaderOutput<T> out, BacklogSignal signal) {
            super(out, signal);
            this.out = out;
        }

        @Override
        public SourceOutput<T> createOutputForSplit(String splitId) {
            return new SplitOutput<>(out.createOutputForSplit(splitId), signal);
        }

        @Override
        public void releaseOutputForSplit(String splitId) {
            out.releaseOutputForSplit(splitId);
        }
    }
}
