package io.clickstream.etl.session;

import java.io.Serializable;
import java.time.Duration;
import java.time.ZoneId;

/**
 * When a user's events form one session: consecutive (by event time) events less than {@code gap} apart, optionally
 * never across midnight in {@code splitAtMidnight}'s zone, and never longer than {@code maxLength} when set.
 * {@code history} is how long a session is remembered (the replay window); {@code maxEventsPerSession} caps how many
 * events of one session are remembered one by one (beyond it, indexes of replayed events are not guaranteed).
 */
public record SessionRules(
        Duration gap, ZoneId splitAtMidnight, Duration maxLength, Duration history, int maxEventsPerSession)
        implements Serializable {

    public SessionRules {
        if (gap.isNegative() || gap.isZero()) {
            throw new IllegalArgumentException("gap must be positive");
        }
    }

    public static SessionRules defaults() {
        return new SessionRules(Duration.ofMinutes(30), null, null, Duration.ofHours(48), 10_000);
    }
}
