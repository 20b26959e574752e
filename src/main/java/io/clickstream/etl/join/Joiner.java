package io.clickstream.etl.join;

import io.clickstream.etl.event.Event;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

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

    private static String storeKey(JoinRule r, String key) {
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
     * by rule name in (null or missing where none), the values that changed out, by rule name.
     *
     * @throws IllegalArgumentException naming the rule whose stored values cannot be read
     */
    public Map<String, byte[]> applyToUser(String user, List<Event> events, Map<String, byte[]> storedByRule) {
        Map<String, JoinedValues> stored = new HashMap<>();
        for (JoinRule r : rules) {
            if (!r.keyedByUser()) {
                throw new IllegalStateException("rule " + r.name() + " is keyed by " + r.key() + ", not by user_id");
            }
            try {
                stored.put(storeKey(r, user), JoinedValues.fromBytes(storedByRule.get(r.name())));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("rule " + r.name() + ": " + e.getMessage(), e);
            }
        }
        Map<String, byte[]> out = new LinkedHashMap<>();
        apply(events, stored).forEach((k, v) -> out.put(k.substring(0, k.indexOf(':')), v));
        return out;
    }

    /** Joins the batch given the stored values of {@link #keys}; returns the values to write back. */
    public Map<String, byte[]> apply(List<Event> batch, Map<String, JoinedValues> stored) {
        Set<String> changed = new LinkedHashSet<>();
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
                    List<String> fn = new ArrayList<>();
                    List<String> fv = new ArrayList<>();
                    for (String f : r.fields()) {
                        String v = JoinRule.read(e, f);
                        if (!v.isEmpty()) {
                            fn.add(r.outputName(f));
                            fv.add(v);
                        }
                    }
                    if (jv.add(new JoinedValues.Version(e.eventTime, e.eventId, fn, fv), horizonMs)) {
                        changed.add(sk);
                    }
                } else if (r.receives(e)) {
                    JoinedValues.Version v = jv.at(e.eventTime);
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
        Map<String, byte[]> out = new LinkedHashMap<>();
        for (String k : changed) {
            out.put(k, stored.get(k).toBytes());
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
