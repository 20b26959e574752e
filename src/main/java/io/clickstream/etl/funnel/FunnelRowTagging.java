package io.clickstream.etl.funnel;

import io.clickstream.etl.clickhouse.RowTagging;
import java.util.HashMap;
import java.util.Map;

/**
 * The funnel tags of a session's stored rows computed again in time order, as {@link FunnelTracker} gives them to a
 * session whose events come in time order: the corrections use it for sessions a late event changed. Each row's step
 * comes from ClickHouse ({@link FunnelSql#stepExpression}, the retroactive report's reading of the same conditions),
 * so the rows need not travel to the job whole.
 */
public final class FunnelRowTagging implements RowTagging {
    private static final long serialVersionUID = 1L;

    /** Parsed definitions by their text: a correction names the same few definitions again and again. */
    private transient Map<String, FunnelDefinition> parsed;

    @Override
    public String stepExpression(String definition) {
        return FunnelSql.stepExpression(parse(definition));
    }

    @Override
    public String[] tags(String[] definitions, long[] times, int[][] steps) {
        StringBuilder[] tags = new StringBuilder[times.length];
        for (int k = 0; k < definitions.length; k++) {
            FunnelDefinition d = parse(definitions[k]);
            SessionFunnels.Progress p =
                    new SessionFunnels.Progress(0, 0, d.steps().size());
            for (int r = 0; r < times.length; r++) {
                int level = FunnelTracker.advance(p, d, steps[r][k] - 1, times[r]);
                if (level > 0) {
                    if (tags[r] == null) {
                        tags[r] = new StringBuilder();
                    } else {
                        tags[r].append(',');
                    }
                    tags[r].append(d.id()).append(':').append(level);
                }
            }
        }
        String[] out = new String[times.length];
        for (int r = 0; r < out.length; r++) {
            out[r] = tags[r] == null ? "" : tags[r].toString();
        }
        return out;
    }

    private FunnelDefinition parse(String definition) {
        if (parsed == null) {
            parsed = new HashMap<>();
        }
        return parsed.computeIfAbsent(definition, FunnelDefinition::parse);
    }
}
