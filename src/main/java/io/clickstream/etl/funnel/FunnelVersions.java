package io.clickstream.etl.funnel;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * Every known version of every funnel. A version applies to the events published (Kafka record time) at or after
 * its own publish time, until the next version: which definition tags an event depends only on the two
 * timestamps, never on when the job happened to read the definition, so replays tag alike.
 */
public final class FunnelVersions {
    /** Old versions are kept for replays of older events; beyond this many per funnel the oldest go. */
    static final int MAX_VERSIONS_PER_FUNNEL = 16;

    /** A parsed version; {@code definition} null for a removal. */
    public record Version(String funnelId, long publishTime, long offset, FunnelDefinition definition) {}

    private static final Comparator<Version> ORDER =
            Comparator.comparingLong(Version::publishTime).thenComparingLong(Version::offset);

    private final Map<String, TreeSet<Version>> byFunnel = new HashMap<>();
    /** Nearly every event is newer than every version: their answer is computed once per change, not per event. */
    private long newestPublishTime = Long.MIN_VALUE;

    private List<Version> newest;

    /**
     * Adds a version. Returns the versions that dropped out (too many kept), for the caller's state; a definition
     * that does not parse throws, and nothing changes.
     */
    public List<Version> add(FunnelUpdate u) {
        FunnelDefinition d = u.definition == null ? null : FunnelDefinition.parse(u.definition);
        if (d != null && !d.id().equals(u.funnelId)) {
            throw new IllegalArgumentException(
                    "the record key '" + u.funnelId + "' differs from the definition's id '" + d.id() + "'");
        }
        TreeSet<Version> versions = byFunnel.computeIfAbsent(u.funnelId, k -> new TreeSet<>(ORDER));
        versions.add(new Version(u.funnelId, u.publishTime, u.offset, d));
        newestPublishTime = Math.max(newestPublishTime, u.publishTime);
        newest = null;
        List<Version> dropped = new ArrayList<>();
        while (versions.size() > MAX_VERSIONS_PER_FUNNEL) {
            dropped.add(versions.pollFirst());
        }
        return dropped;
    }

    public boolean isEmpty() {
        return byFunnel.isEmpty();
    }

    /** The definitions in effect for an event published at {@code time}, in funnel id order. */
    public List<Version> activeAt(long time) {
        if (time >= newestPublishTime) {
            if (newest == null) {
                newest = List.copyOf(select(Long.MAX_VALUE));
            }
            return newest;
        }
        return select(time);
    }

    private List<Version> select(long time) {
        List<Version> out = new ArrayList<>();
        for (TreeSet<Version> versions : byFunnel.values()) {
            Version v = versions.floor(new Version("", time, Long.MAX_VALUE, null));
            if (v != null && v.definition() != null) {
                out.add(v);
            }
        }
        out.sort(Comparator.comparing(Version::funnelId));
        return out;
    }

    /** The latest version of each funnel that is not removed. */
    public List<Version> current() {
        return activeAt(Long.MAX_VALUE);
    }
}
