package io.clickstream.etl.join;

import static io.clickstream.etl.config.SanityChecks.positive;

import io.clickstream.etl.config.JobConfig;
import io.clickstream.etl.config.Options;
import java.io.Serializable;
import java.time.Duration;
import java.util.List;

/**
 * How a join step keyed by another field than the user works: its rules, how it batches its Redis calls, how long
 * values live, and how far back reprocessing must find the values it found the first time. Built from the job's
 * options in {@link #from}; {@link #sanityCheck} names the option of a bad value.
 */
public record JoinSettings(
        List<JoinRule> rules, int batchSize, Duration batchDelay, Duration ttl, Duration maxBackoff, Duration horizon)
        implements Serializable {
    /** The longest wait between two tries of a Redis call that failed transiently. */
    static final Duration MAX_BACKOFF = Duration.ofSeconds(10);

    public JoinSettings {
        rules = List.copyOf(rules);
    }

    /** The settings of the step for {@code rules} (all keyed by one field). */
    public static JoinSettings from(JobConfig config, List<JoinRule> rules) {
        return new JoinSettings(
                        rules,
                        config.get(Options.REDIS_BATCH_SIZE),
                        config.get(Options.REDIS_BATCH_DELAY),
                        config.get(Options.JOIN_STATE_TTL),
                        MAX_BACKOFF,
                        config.get(Options.SESSION_HISTORY))
                .sanityCheck();
    }

    /** Returns this, or throws naming the option whose value cannot work. */
    public JoinSettings sanityCheck() {
        positive(batchSize, Options.REDIS_BATCH_SIZE);
        positive(batchDelay, Options.REDIS_BATCH_DELAY);
        positive(ttl, Options.JOIN_STATE_TTL);
        positive(maxBackoff, "the Redis back-off");
        positive(horizon, Options.SESSION_HISTORY);
        if (rules.isEmpty()) {
            throw new IllegalArgumentException(Options.JOIN_RULES.key() + ": a join step without rules");
        }
        String key = rules.get(0).key();
        for (JoinRule r : rules) {
            if (!r.key().equals(key)) {
                throw new IllegalArgumentException(Options.JOIN_RULES.key() + ": rule " + r.name() + " is keyed by "
                        + r.key() + ", the step by " + key);
            }
        }
        return this;
    }
}
