package io.clickstream.etl.funnel;

import java.io.Serializable;
import java.util.List;

/**
 * The definitions topic as the per-user step reads it itself: all of it on the first call, then what was published
 * since, each time up to the topic's end at the moment of the call. Read inside the step rather than as a broadcast
 * input, so that the step keeps one input and chains to the ordering before it (no network hop for the events),
 * and so that it can read up to the end before a batch holds events published after its last read: a version
 * then applies to every event published after it, exactly.
 */
public interface FunnelDefinitions extends AutoCloseable {

    /** The records published since the last call (all of them on the first), up to the end offsets of now. */
    List<FunnelUpdate> readNew() throws Exception;

    @Override
    void close();

    /** Opens the reader inside the task; serializable so it travels with the job. */
    @FunctionalInterface
    interface Factory extends Serializable {
        FunnelDefinitions open();
    }
}
