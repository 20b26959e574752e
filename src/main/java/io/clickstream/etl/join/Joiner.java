package io.clickstream.etl.join;

import io.clickstream.etl.event.Event;
import io.clickstream.etl.privacy.Erasures;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
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

    public Joiner(List<JoinRule> rules) {
        this(rules, DEFAULT_HORIZON);
    }

    /** {@code horizon}: how far back events may be reprocessed and must find the values they found the first time. */
    public Joiner(List<JoinRule> rules, Duration horizon) {
        this.rules = List.copyOf(rules);
        this.horizonMs = horizon.toMillis();
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
     * by rule name (missing: none yet; the map gets them), the rules whose values changed out.
     */
    public Set<String> applyToUser(List<Event> events, Map<String, JoinedValues> byRule) {
        Map<String, JoinedValues> stored = new HashMap<>();
        for (JoinRule r : rules) {
            if (!r.keyedByUser()) {
                throw new IllegalStateException("rule " + r.name() + " is keyed by " + r.key() + ", not by user_id");
            }
            stored.put(
                    r.name() + ":" + (events.isEmpty() ? "" : events.get(0).userId),
                    byRule.computeIfAbsent(r.name(), n -> new JoinedValues()));
        }
        Set<String> out = new LinkedHashSet<>();
        apply(events, stored, Erasures.NONE).forEach(k -> out.add(k.substring(0, k.indexOf(':'))));
        return out;
    }

    /**
     * Joins the batch given the stored values of {@link #keys} (missing: none yet; the map gets them); returns the
     * keys whose values changed. Events of erased users from before their erasure give nothing, and versions they
     * gave are passed over.
     */
    public Set<String> apply(List<Event> batch, Map<String, JoinedValues> stored, Erasures erased) {
        Set<String> changed = new LinkedHashSet<>();
        Predicate<JoinedValues.Version> skip =
                erased.isEmpty() ? v -> false : v -> erased.covers(v.giver(), v.recordTime());
        for (Event e : batch) {
            List<String> names = new ArrayList<>();
            List<String> values = new ArrayList<>();
            for (JoinRule r : rules) {
                String k = r.keyOf(e);
                if (k.isEmpty()) {
                    continue;
                }
                String sk = storeKey(r, k);
                JoinedValues jv = stored.computeIfAbsent(sk, x -> new JoinedValues());
                if (r.gives(e)) {
                    if (erased.covers(e.userId, e.kafkaTimestamp)) {
                        continue;
                    }
                    List<String> fn = new ArrayList<>();
                    List<String> fv = new ArrayList<>();
                    for (String f : r.fields()) {
                        String v = JoinRule.read(e, f);
                        if (!v.isEmpty()) {
                            fn.add(r.outputName(f));
                            fv.add(v);
                        }
                    }
                    JoinedValues.Version version =
                            new JoinedValues.Version(e.eventTime, e.eventId, fn, fv, e.userId, e.kafkaTimestamp);
                    if (jv.add(version, horizonMs)) {
                        changed.add(sk);
                    }
                } else if (r.receives(e)) {
                    JoinedValues.Version v = jv.at(e.eventTime, skip);
                    if (v != null) {
                        names.addAll(v.names());
                        values.addAll(v.values());
                    }
                }
            }
            if (!names.isEmpty()) {
                addProperties(e, names, values);
            }
        }
        return changed;
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
        List<String> keys = new ArrayList<>(e.propertyKeys == null ? List.of() : Arrays.asList(e.propertyKeys));
        List<String> vals = new ArrayList<>(e.propertyValues == null ? List.of() : Arrays.asList(e.propertyValues));
        for (int i = 0; i < names.size(); i++) {
            if (!keys.contains(names.get(i))) {
                keys.add(names.get(i));
                vals.add(values.get(i));
            }
        }
        e.propertyKeys = keys.toArray(new String[0]);
        e.propertyValues = vals.toArray(new String[0]);
    }
}
