package io.clickstream.etl.funnel;

import io.clickstream.etl.event.Event;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Advances a session's funnels by one event; plain Java, the whole of the funnel semantics.
 *
 * <p>Sequential mode follows ClickHouse's windowFunnel exactly: a step-1 event starts a chain; an event of step k
 * extends the latest chain that reached step k-1 if it is within the window of that chain's start (inclusive).
 * Strict mode allows no other event between steps: any event that does not extend the chain ends it (a step-1
 * event starts a new one). The level of a session is the highest step any chain reached; an event is tagged
 * with a funnel when it raises that level. A changed definition (a new version) starts the session's progress in
 * that funnel afresh.
 */
public final class FunnelTracker {

    /** Whether the event changed {@code state} (then it must be stored). The event's tags are returned via {@code tags}. */
    public boolean process(
            SessionFunnels state, Event e, List<FunnelVersions.Version> active, List<SessionFunnels.Tag> tags) {
        if (e.sessionIndex <= state.maxIndex) {
            tags.addAll(state.tagsAt(e.sessionIndex));
            return false;
        }
        state.maxIndex = e.sessionIndex;
        boolean changed = false;
        for (FunnelVersions.Version v : active) {
            FunnelDefinition d = v.definition();
            SessionFunnels.Progress p = state.funnels.get(v.funnelId());
            if (p == null || p.versionTime != v.publishTime() || p.versionOffset != v.offset()) {
                p = new SessionFunnels.Progress(
                        v.publishTime(), v.offset(), d.steps().size());
                if (state.funnels.put(v.funnelId(), p) != null) {
                    changed = true; // an old version's progress is dropped
                }
            }
            int level = advance(p, d, d.stepOf(e), e.eventTime);
            if (level != NOT_MOVED) {
                changed = true;
                if (level > 0) {
                    tags.add(new SessionFunnels.Tag(v.funnelId(), level));
                }
            }
        }
        // Every active funnel has progress now (one version each): any more are removed funnels. Usually none, so the
        // set of active ids is built only then.
        if (state.funnels.size() > active.size()) {
            Set<String> activeIds = new HashSet<>();
            active.forEach(v -> activeIds.add(v.funnelId()));
            if (state.funnels.keySet().retainAll(activeIds)) {
                changed = true;
            }
        }
        if (!tags.isEmpty()) {
            state.tags.put(e.sessionIndex, List.copyOf(tags));
            changed = true;
        }
        return changed;
    }

    /** {@link #advance}: the event changed nothing in the funnel's progress. */
    static final int NOT_MOVED = -1;

    /**
     * Advances one funnel's progress by an event that matches its step {@code step} (0-based; -1 none) at
     * {@code time}: the level the event raises the session to (its tag), 0 if it moved the progress without raising
     * the level, {@link #NOT_MOVED} if it changed nothing.
     */
    static int advance(SessionFunnels.Progress p, FunnelDefinition d, int step, long time) {
        boolean sequential = d.mode() == FunnelDefinition.Mode.SEQUENTIAL;
        boolean moved = sequential ? sequential(p, step, time, d.windowMs()) : strict(p, step, time, d.windowMs());
        if (!moved) {
            return NOT_MOVED;
        }
        int level = sequential ? highestStart(p) : p.chain;
        if (level > p.level) {
            p.level = level;
            return level;
        }
        return 0;
    }

    private static boolean sequential(SessionFunnels.Progress p, int step, long time, long windowMs) {
        if (step == 0) {
            if (p.starts[0] == time) {
                return false;
            }
            p.starts[0] = time;
            return true;
        }
        if (step > 0
                && p.starts[step - 1] >= 0
                && time <= p.starts[step - 1] + windowMs
                && p.starts[step] != p.starts[step - 1]) {
            p.starts[step] = p.starts[step - 1];
            return true;
        }
        return false;
    }

    private static boolean strict(SessionFunnels.Progress p, int step, long time, long windowMs) {
        int before = p.chain;
        long start = p.starts[0];
        if (step == 0) {
            p.chain = 1;
            p.starts[0] = time;
        } else if (step > 0 && p.chain == step && time <= p.starts[0] + windowMs) {
            p.chain = step + 1;
        } else {
            p.chain = 0;
            p.starts[0] = -1;
        }
        return p.chain != before || p.starts[0] != start;
    }

    private static int highestStart(SessionFunnels.Progress p) {
        for (int k = p.starts.length - 1; k >= 0; k--) {
            if (p.starts[k] >= 0) {
                return k + 1;
            }
        }
        return 0;
    }
}
