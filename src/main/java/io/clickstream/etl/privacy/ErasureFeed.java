package io.clickstream.etl.privacy;

import static io.clickstream.etl.config.SanityChecks.positive;

import io.clickstream.etl.config.JobConfig;
import io.clickstream.etl.config.Options;
import java.io.Serializable;
import java.time.Duration;
import java.util.Objects;
import org.apache.flink.api.common.JobInfo;
import org.apache.flink.api.common.TaskInfo;

/**
 * What a task needs to take part in erasures: the list to follow, where to acknowledge it, and the lead with which
 * tools.Erase dates erasures (privacy.erasure-lead). Built from the options in {@link #from}.
 */
public record ErasureFeed(
        ErasureLog.Factory log, ErasureAcks.Factory acks, Duration lead, Duration checkInterval, boolean checkpointed)
        implements Serializable {

    public ErasureFeed {
        Objects.requireNonNull(log, "log");
        Objects.requireNonNull(acks, "acks");
    }

    /**
     * {@code checkpointed}: whether the job takes checkpoints (then a task acknowledges after a completed checkpoint;
     * without, as soon as it applied the list).
     */
    public static ErasureFeed from(
            JobConfig config, ErasureLog.Factory log, ErasureAcks.Factory acks, boolean checkpointed) {
        return new ErasureFeed(
                        log,
                        acks,
                        config.get(Options.PRIVACY_ERASURE_LEAD),
                        config.get(Options.PRIVACY_ERASURE_CHECK),
                        checkpointed)
                .sanityCheck();
    }

    /** Returns this, or throws naming the option whose value cannot work. */
    public ErasureFeed sanityCheck() {
        positive(checkInterval, Options.PRIVACY_ERASURE_CHECK);
        positive(lead, Options.PRIVACY_ERASURE_LEAD);
        Duration least = checkInterval.multipliedBy(2).plusSeconds(10);
        if (lead.compareTo(least) < 0) {
            throw new IllegalArgumentException(Options.PRIVACY_ERASURE_LEAD.key() + " (" + lead + ") must be at least "
                    + "twice " + Options.PRIVACY_ERASURE_CHECK.key() + " (" + checkInterval + ") plus 10 s, i.e. "
                    + least + ": tasks would wait for the list at every check");
        }
        return this;
    }

    /** The tracker of one task; close it with the task. */
    public ErasureTracker open(ErasureTracker.Participant participant) {
        return new ErasureTracker(log.open(), acks.open(), participant, lead.toMillis());
    }

    /** The tracker of subtask {@code task} of the step {@code name} (its uid) in {@code job}. */
    public ErasureTracker open(String name, JobInfo job, TaskInfo task) {
        return open(new ErasureTracker.Participant(
                job.getJobId().toString(), name, task.getIndexOfThisSubtask(), task.getNumberOfParallelSubtasks()));
    }
}
