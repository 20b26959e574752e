package io.clickstream.etl.user;

import static io.clickstream.etl.config.SanityChecks.positive;

import io.clickstream.etl.config.JobConfig;
import io.clickstream.etl.config.Options;
import io.clickstream.etl.join.JoinRule;
import io.clickstream.etl.session.SessionRules;
import java.io.Serializable;
import java.time.Duration;
import java.time.ZoneId;
import java.util.List;

/**
 * How the per-user step works: the session rules, the join rules keyed by user, how it batches its Redis calls and
 * how long what it keeps lives. Built from the job's options in {@link #from}; {@link #sanityCheck} names the option
 * of a bad value.
 */
public record UserStepSettings(
        SessionRules sessionRules,
        List<JoinRule> joinRules,
        int batchSize,
        Duration batchDelay,
        int cacheSize,
        Duration sessionUpdateInterval,
        Duration sessionTtl,
        Duration funnelTtl,
        Duration joinTtl,
        Duration maxBackoff,
        Duration holdWritesLag)
        implements Serializable {

    /** The longest wait between two tries of a Redis call that failed transiently. */
    static final Duration MAX_BACKOFF = Duration.ofSeconds(10);

    public UserStepSettings {
        joinRules = List.copyOf(joinRules);
    }

    public static UserStepSettings from(JobConfig config) {
        String zone = config.get(Options.SESSION_MIDNIGHT_ZONE);
        SessionRules rules = new SessionRules(
                config.get(Options.SESSION_GAP),
                zone == null ? null : ZoneId.of(zone),
                config.get(Options.SESSION_MAX_LENGTH),
                config.get(Options.SESSION_HISTORY),
                config.get(Options.SESSION_MAX_EVENTS));
        List<JoinRule> byUser = JoinRule.parseAll(config.get(Options.JOIN_RULES)).stream()
                .filter(JoinRule::keyedByUser)
                .toList();
        return new UserStepSettings(
                        rules,
                        byUser,
                        config.get(Options.REDIS_BATCH_SIZE),
                        config.get(Options.REDIS_BATCH_DELAY),
                        config.get(Options.REDIS_CACHE_SIZE),
                        config.get(Options.SESSION_UPDATE_INTERVAL),
                        config.get(Options.SESSION_STATE_TTL),
                        config.get(Options.FUNNEL_STATE_TTL),
                        config.get(Options.JOIN_STATE_TTL),
                        MAX_BACKOFF,
                        config.get(Options.REDIS_HOLD_WRITES_LAG))
                .sanityCheck();
    }

    /** Returns this, or throws naming the option whose value cannot work. */
    public UserStepSettings sanityCheck() {
        positive(batchSize, Options.REDIS_BATCH_SIZE);
        positive(cacheSize, Options.REDIS_CACHE_SIZE);
        positive(batchDelay, Options.REDIS_BATCH_DELAY);
        positive(sessionUpdateInterval, Options.SESSION_UPDATE_INTERVAL);
        positive(sessionTtl, Options.SESSION_STATE_TTL);
        positive(funnelTtl, Options.FUNNEL_STATE_TTL);
        positive(joinTtl, Options.JOIN_STATE_TTL);
        positive(maxBackoff, "the Redis back-off");
        if (holdWritesLag == null || holdWritesLag.isNegative()) {
            throw new IllegalArgumentException(
                    Options.REDIS_HOLD_WRITES_LAG.key() + " must be 0s or more, not " + holdWritesLag);
        }
        if (sessionTtl.compareTo(sessionRules.history()) < 0) {
            throw new IllegalArgumentException(Options.SESSION_STATE_TTL.key() + " (" + sessionTtl
                    + ") is shorter than "
                    + Options.SESSION_HISTORY.key() + " (" + sessionRules.history() + "): replays inside the history "
                    + "would find their users' sessions expired");
        }
        for (JoinRule r : joinRules) {
            if (!r.keyedByUser()) {
                throw new IllegalArgumentException(Options.JOIN_RULES.key() + ": rule " + r.name() + " is keyed by "
                        + r.key() + "; the per-user step takes only rules keyed by user_id");
            }
        }
        return this;
    }

    /** The TTL of a user's key: its fields carry their own times for the shorter ones. */
    long keyTtlMs() {
        return Math.max(sessionTtl.toMillis(), Math.max(funnelTtl.toMillis(), joinTtl.toMillis()));
    }
}
