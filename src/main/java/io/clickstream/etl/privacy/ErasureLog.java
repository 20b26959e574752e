package io.clickstream.etl.privacy;

import java.io.Serializable;

/**
 * The erasure list as a task follows it: read in the background, so that asking costs nothing. Its owner knows
 * every erasure published before {@link #knownUpTo}; an erasure published later covers only inputs published after
 * that moment plus privacy.erasure-lead (tools.Erase dates its erasures that far ahead), which is what lets a task
 * process an input without asking anyone (see {@link ErasureTracker}).
 */
public interface ErasureLog extends AutoCloseable {

    /** The list as read so far. */
    Erasures current();

    /**
     * The wall-clock time (epoch ms) before which everything published on the list is in {@link #current}; {@code
     * Long.MIN_VALUE} until the list was read to its end once.
     *
     * @throws IllegalStateException when the list cannot be read for a reason that waiting does not mend
     */
    long knownUpTo();

    @Override
    void close();

    /** Opens the follower inside the task; serializable so it travels with the job. */
    @FunctionalInterface
    interface Factory extends Serializable {
        ErasureLog open();
    }
}
