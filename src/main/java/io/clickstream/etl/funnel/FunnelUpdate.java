package io.clickstream.etl.funnel;

/**
 * One record of the definitions topic: a funnel's new definition (JSON) or its removal (null definition), with
 * the record's timestamp — the moment the version takes effect — and its offset, which orders versions published
 * in the same millisecond. A Flink POJO.
 */
public class FunnelUpdate {
    public String funnelId;
    public long publishTime;
    public long offset;
    /** The definition's JSON; null when the funnel was removed (a tombstone). */
    public String definition;

    public FunnelUpdate() {}

    public FunnelUpdate(String funnelId, long publishTime, long offset, String definition) {
        this.funnelId = funnelId;
        this.publishTime = publishTime;
        this.offset = offset;
        this.definition = definition;
    }

    /** The state key: one entry per version. */
    public String versionKey() {
        return funnelId + "@" + publishTime + "@" + offset;
    }

    @Override
    public String toString() {
        return "FunnelUpdate{" + funnelId + " at " + publishTime + "/" + offset
                + (definition == null ? ", removed}" : "}");
    }
}
