package io.clickstream.etl.join;

import io.clickstream.etl.event.Event;
import io.clickstream.etl.privacy.Erasures;
import io.clickstream.etl.session.JoinedFix;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;

/**
 * Applies the join rules to a batch, in the batch's order: a giving event records its values under its key, a
 * receiving event gets the latest values at or before its time. Plain Java; the operator does the Redis I/O.
 */
public final class Joiner {
    /** The replay horizon when none is given: the default session.history. */
    public static final Duration DEFAULT_HORIZON = Duration.ofHours(48);

    private final List<JoinRule> rules;
    private final long horizonMs;
    /** What the event being joined received: one event at a time (a Joiner serves one task). */
    private final Received received = new Received();
    /** {@link #applyToUser}'s stored values of each rule, for the user being joined. */
    private final JoinedValues[] userValues;

    public Joiner(List<JoinRule> rules) {
        this(rules, DEFAULT_HORIZON);
    }

    /** {@code horizon}: how far back events may be reprocessed and must find the values they found the first time. */
    public Joiner(List<JoinRule> rules, Duration horizon) {
        this.rules = List.copyOf(rules);
        this.horizonMs = horizon.toMillis();
        this.userValues = new JoinedValues[this.rules.size()];
    }

    public boolean isEmpty() {
        return rules.isEmpty();
    }

    static String storeKey(JoinRule r, String key) {
        return r.name() + ":" + key;
    }

    /** The Redis keys a batch reads: every (rule, key) it gives or receives. */
    public List<String> keys(List<Event> batch) {
        Set<String> keys = new LinkedHashSet<>();
        for (Event e : batch) {
            for (JoinRule r : rules) {
                String k = r.keyOf(e);
                if (!k.isEmpty() && (r.gives(e) || r.receives(e))) {
                    keys.add(storeKey(r, k));
                }
            }
        }
        return new ArrayList<>(keys);
    }

    /**
     * Joins one user's events, in the order given, for rules keyed by user_id (the per-user step): the stored values
     * by rule name (missing: none yet; the map gets them), the rules whose values changed out. The same as
     * {@link #apply} with the user's store keys, without building them per event.
     */
    public Set<String> applyToUser(List<Event> events, Map<String, JoinedValues> byRule) {
        JoinedValues[] values = userValues;
        for (int i = 0; i < rules.size(); i++) {
            JoinRule r = rules.get(i);
            if (!r.keyedByUser()) {
                throw new IllegalStateException("rule " + r.name() + " is keyed by " + r.key() + ", not by user_id");
            }
            values[i] = byRule.computeIfAbsent(r.name(), n -> new JoinedValues());
        }
        Set<String> changed = Set.of();
        for (int j = 0; j < events.size(); j++) { // by index: no iterator per user and batch
            Event e = events.get(j);
            received.clear();
            for (int i = 0; i < values.length; i++) {
                JoinRule r = rules.get(i);
                if (r.keyOf(e).isEmpty()) {
                    continue;
                }
                if (r.gives(e)) {
                    if (give(r, e, values[i])) {
                        changed = changed.isEmpty() ? new LinkedHashSet<>() : changed;
                        changed.add(r.name());
                    }
                } else if (r.receives(e)) {
                    receive(values[i], e, NOTHING_SKIPPED, received);
                }
            }
            if (!received.names.isEmpty()) {
                addProperties(e, received.names, received.values);
            }
        }
        Arrays.fill(values, null);
        return changed;
    }

    /**
     * Joins the batch given the stored values of {@link #keys} (missing: none yet; the map gets them); returns the
     * keys whose values changed. Events of erased users from before their erasure give nothing, and versions they
     * gave are passed over.
     */
    public Set<String> apply(List<Event> batch, Map<String, JoinedValues> stored, Erasures erased) {
        Set<String> changed = new LinkedHashSet<>();
        Predicate<JoinedValues.Version> skip =
                erased.isEmpty() ? NOTHING_SKIPPED : v -> erased.covers(v.giver(), v.recordTime());
        for (Event e : batch) {
            received.clear();
            for (JoinRule r : rules) {
                String k = r.keyOf(e);
                if (k.isEmpty()) {
                    continue;
                }
                String sk = storeKey(r, k);
                JoinedValues jv = stored.computeIfAbsent(sk, x -> new JoinedValues());
                if (r.gives(e)) {
                    if (!erased.covers(e.userId, e.kafkaTimestamp) && give(r, e, jv)) {
                        changed.add(sk);
                    }
                } else if (r.receives(e)) {
                    receive(jv, e, skip, received);
                }
            }
            if (!received.names.isEmpty()) {
                addProperties(e, received.names, received.values);
            }
        }
        return changed;
    }

    /**
     * What the givers among a user's events (joined by {@link #applyToUser} into {@code byRule}) changed for events
     * received before them: those up to {@code newestBefore} (the newest time the user's events had before the
     * batch) from the giver's time to the next version's. A giver after that time changed nothing received; one
     * read again (a replay) gives the same fix again, as the values stand now.
     */
    public List<JoinedFix> lateFixes(List<Event> events, Map<String, JoinedValues> byRule, long newestBefore) {
        List<JoinedFix> out = List.of();
        for (int j = 0; j < events.size(); j++) {
            Event e = events.get(j);
            if (e.eventTime > newestBefore) {
                continue;
            }
            for (JoinRule r : rules) {
                JoinedValues jv = byRule.get(r.name());
                if (jv == null || !r.keyedByUser() || !r.gives(e) || r.keyOf(e).isEmpty()) {
                    continue;
                }
                long end = newestBefore;
                for (JoinedValues.Version v : jv.versions()) {
                    if (v.time() > e.eventTime) {
                        end = Math.min(end, v.time() - 1);
                        break;
                    }
                }
                JoinedValues.Version now = jv.at(e.eventTime, NOTHING_SKIPPED);
                String[] names = new String[r.fields().size()];
                String[] values = new String[names.length];
                for (int k = 0; k < names.length; k++) {
                    names[k] = r.outputName(r.fields().get(k));
                    int i = now == null ? -1 : now.names().indexOf(names[k]);
                    values[k] = i < 0 ? "" : now.values().get(i);
                }
                out = out.isEmpty() ? new ArrayList<>() : out;
                out.add(new JoinedFix(e.eventTime, end, r.from(), r.into().toArray(new String[0]), names, values));
            }
        }
        return out;
    }

    private static final Predicate<JoinedValues.Version> NOTHING_SKIPPED = v -> false;
    private static final String[] NO_PROPERTIES = new String[0];

    /** Records the values a giving event carries; whether that changed what is stored. */
    private boolean give(JoinRule r, Event e, JoinedValues jv) {
        List<String> fn = new ArrayList<>(r.fields().size());
        List<String> fv = new ArrayList<>(r.fields().size());
        for (String f : r.fields()) {
            String v = JoinRule.read(e, f);
            if (!v.isEmpty()) {
                fn.add(r.outputName(f));
                fv.add(v);
            }
        }
        return jv.add(new JoinedValues.Version(e.eventTime, e.eventId, fn, fv, e.userId, e.kafkaTimestamp), horizonMs);
    }

    /** Adds the values given before a receiving event's time to what it received so far. */
    private static void receive(JoinedValues jv, Event e, Predicate<JoinedValues.Version> skip, Received received) {
        JoinedValues.Version v = jv.at(e.eventTime, skip);
        if (v == null) {
            return;
        }
        List<String> names = v.names();
        List<String> values = v.values();
        for (int i = 0; i < names.size(); i++) { // not addAll, which copies the list into an array first
            received.names.add(names.get(i));
            received.values.add(values.get(i));
        }
    }

    /** The joined properties of one event, in the rules' order. */
    private static final class Received {
        final List<String> names = new ArrayList<>(4);
        final List<String> values = new ArrayList<>(4);

        void clear() {
            names.clear();
            values.clear();
        }
    }

    /** The keys of the index of what a user gave: the store key (rule and key) of each value in {@code batch}. */
    public Map<String, Map<String, Long>> givenBy(List<Event> batch, Erasures erased) {
        Map<String, Map<String, Long>> out = new LinkedHashMap<>();
        for (Event e : batch) {
            for (JoinRule r : rules) {
                String k = r.keyOf(e);
                if (!k.isEmpty() && r.gives(e) && !erased.covers(e.userId, e.kafkaTimestamp)) {
                    out.computeIfAbsent(e.userId, u -> new LinkedHashMap<>())
                            .merge(storeKey(r, k), e.kafkaTimestamp, Math::max);
                }
            }
        }
        return out;
    }

    /** Appends joined properties; a property the event already has keeps its own value. */
    private static void addProperties(Event e, List<String> names, List<String> values) {
        String[] keys = e.propertyKeys == null ? NO_PROPERTIES : e.propertyKeys;
        String[] vals = e.propertyValues == null ? NO_PROPERTIES : e.propertyValues;
        int own = keys.length;
        int n = own;
        for (int i = 0; i < names.size(); i++) {
            if (!has(keys, n, names.get(i))) {
                if (n == own) { // the event's own arrays stay as they are until a name is added
                    keys = Arrays.copyOf(keys, own + names.size() - i);
                    vals = Arrays.copyOf(vals, keys.length);
                }
                keys[n] = names.get(i);
                vals[n++] = values.get(i);
            }
        }
        if (n != own || e.propertyKeys == null || e.propertyValues == null) {
            e.propertyKeys = n == keys.length ? keys : Arrays.copyOf(keys, n);
            e.propertyValues = n == vals.length ? vals : Arrays.copyOf(vals, n);
        }
    }

    private static boolean has(String[] keys, int n, String name) {
        for (int i = 0; i < n; i++) {
            if (name.equals(keys[i])) {
                return true;
            }
        }
        return false;
    }
}
