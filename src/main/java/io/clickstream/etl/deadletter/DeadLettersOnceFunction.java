package io.clickstream.etl.deadletter;

import io.clickstream.etl.event.DeadLetter;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.CheckpointListener;
import org.apache.flink.api.common.state.ListState;
import org.apache.flink.api.common.state.ListStateDescriptor;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.api.java.tuple.Tuple3;
import org.apache.flink.metrics.Counter;
import org.apache.flink.runtime.state.FunctionInitializationContext;
import org.apache.flink.runtime.state.FunctionSnapshotContext;
import org.apache.flink.streaming.api.checkpoint.CheckpointedFunction;
import org.apache.flink.streaming.api.functions.ProcessFunction;
import org.apache.flink.util.Collector;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Leaves out the dead letters of inputs whose dead letters an earlier run committed ({@link ReplayedDeadLetters}),
 * so a replay writes none twice; the transactional sink after it does the same for restarts.
 *
 * <p>It must run in the dead-letter sink's chain: a chain is told of a completed checkpoint from its end, so the
 * sink's committer has committed the checkpoint's transaction when this function records its ranges.
 */
public class DeadLettersOnceFunction extends ProcessFunction<DeadLetter, DeadLetter>
        implements CheckpointedFunction, CheckpointListener {
    private static final long serialVersionUID = 1L;
    private static final Logger LOG = LoggerFactory.getLogger(DeadLettersOnceFunction.class);

    private final DeadLetterLedger.Factory ledgerFactory;
    private final TopicIds.Factory topicIdsFactory;

    private transient ListState<Tuple3<String, Long, Long>> state;
    private transient List<ReplayedDeadLetters.Range> fromCheckpoint;
    private transient ReplayedDeadLetters replayed;
    private transient DeadLetterLedger ledger;
    private transient TopicIds topicIds;
    /** Completed ranges a failed write left unrecorded; tried again at the next checkpoint. */
    private transient Map<String, Ranges> unrecorded;

    private transient Counter written;
    private transient Counter leftOut;

    public DeadLettersOnceFunction(DeadLetterLedger.Factory ledgerFactory, TopicIds.Factory topicIdsFactory) {
        this.ledgerFactory = ledgerFactory;
        this.topicIdsFactory = topicIdsFactory;
    }

    @Override
    public void initializeState(FunctionInitializationContext context) throws Exception {
        state = context.getOperatorStateStore()
                .getListState(new ListStateDescriptor<>(
                        "dead-letter-ranges", Types.TUPLE(Types.STRING, Types.LONG, Types.LONG)));
        fromCheckpoint = new ArrayList<>();
        if (context.isRestored()) {
            for (Tuple3<String, Long, Long> t : state.get()) {
                fromCheckpoint.add(new ReplayedDeadLetters.Range(t.f0, t.f1, t.f2));
            }
        }
    }

    @Override
    public void open(OpenContext openContext) throws Exception {
        ledger = ledgerFactory.open();
        topicIds = topicIdsFactory.open();
        replayed = new ReplayedDeadLetters(ledger.read(), fromCheckpoint);
        unrecorded = new HashMap<>(replayed.restored());
        record();
        var group = getRuntimeContext().getMetricGroup().addGroup("deadLetters");
        written = group.counter("written");
        leftOut = group.counter("replayedLeftOut");
    }

    @Override
    public void processElement(DeadLetter d, Context ctx, Collector<DeadLetter> out) throws Exception {
        if (d.topic == null
                || d.topic.isEmpty()
                || d.offset < 0
                || replayed.admit(topicIds.id(d.topic) + ":" + d.partition, d.offset)) {
            out.collect(d);
            written.inc();
        } else {
            leftOut.inc();
        }
    }

    @Override
    public void snapshotState(FunctionSnapshotContext context) throws Exception {
        List<Tuple3<String, Long, Long>> ranges = new ArrayList<>();
        for (ReplayedDeadLetters.Range r : replayed.snapshot(context.getCheckpointId())) {
            ranges.add(Tuple3.of(r.partition(), r.from(), r.to()));
        }
        state.update(ranges);
    }

    @Override
    public void notifyCheckpointComplete(long checkpointId) {
        replayed.completed(checkpointId).forEach((p, r) -> unrecorded.merge(p, r, Ranges::union));
        record();
    }

    /**
     * Records the completed ranges. A failure only delays it: the ranges stay in the checkpoints, and until they are
     * recorded, a replay of those inputs would write their dead letters again.
     */
    private void record() {
        if (unrecorded.isEmpty()) {
            return;
        }
        try {
            ledger.add(unrecorded);
            unrecorded.clear();
        } catch (Exception e) {
            LOG.warn(
                    "Could not record which dead letters are committed (tried again at the next checkpoint): {}",
                    e.toString());
        }
    }

    @Override
    public void close() throws Exception {
        try {
            if (ledger != null) {
                ledger.close();
            }
        } finally {
            if (topicIds != null) {
                topicIds.close();
            }
        }
    }
}
