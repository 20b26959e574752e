package io.clickstream.etl.clickhouse;

import java.io.Serializable;

/**
 * Computes the funnel tags of a corrected session's stored rows again, from the rows themselves in time order: the
 * funnels' package knows how, the corrections only read and write the rows. A row's tags are written as
 * {@code "funnel:step,funnel:step"} (funnel ids have no ':' or ','), {@code ""} for none.
 */
public interface RowTagging extends Serializable {
    /** The SQL expression whose value for a stored row is the step (1-based; 0 none) it matches in {@code definition}. */
    String stepExpression(String definition);

    /**
     * The tags of a session's rows in (time, event id) order under {@code definitions} (in funnel id order), row by
     * row; {@code steps[r][k]} is row r's value of {@link #stepExpression} of {@code definitions[k]}, {@code times[r]}
     * its time (epoch ms).
     */
    String[] tags(String[] definitions, long[] times, int[][] steps);
}
