package io.clickstream.etl.parse;

import io.clickstream.etl.config.JobConfig;
import io.clickstream.etl.config.Options;
import java.io.Serializable;
import java.time.Duration;

/** The bounds an input must keep to become an event (validation.* settings). */
public final class ParseLimits implements Serializable {
    private static final long serialVersionUID = 1L;

    final long maxEventBytes;
    final int maxFieldLength;
    final int maxProperties;
    final long maxFutureSkewMs;
    final long maxEventAgeMs;
    /** Records of this topic (history imported by tools.Backfill) may be of any age; null: none. */
    final String backfillTopic;

    public ParseLimits(
            long maxEventBytes, int maxFieldLength, int maxProperties, Duration maxFutureSkew, Duration maxEventAge) {
        this(maxEventBytes, maxFieldLength, maxProperties, maxFutureSkew, maxEventAge, null);
    }

    public ParseLimits(
            long maxEventBytes,
            int maxFieldLength,
            int maxProperties,
            Duration maxFutureSkew,
            Duration maxEventAge,
            String backfillTopic) {
        this.backfillTopic = backfillTopic;
        this.maxEventBytes = maxEventBytes;
        this.maxFieldLength = maxFieldLength;
        this.maxProperties = maxProperties;
        this.maxFutureSkewMs = maxFutureSkew.toMillis();
        this.maxEventAgeMs = maxEventAge.toMillis();
    }

    public static ParseLimits from(JobConfig config) {
        return new ParseLimits(
                config.get(Options.MAX_EVENT_BYTES),
                config.get(Options.MAX_FIELD_LENGTH),
                config.get(Options.MAX_PROPERTIES),
                config.get(Options.MAX_FUTURE_SKEW),
                config.get(Options.MAX_EVENT_AGE),
                config.get(Options.BACKFILL_TOPIC));
    }

    public static ParseLimits defaults() {
        return from(JobConfig.of(java.util.Map.of()));
    }
}
