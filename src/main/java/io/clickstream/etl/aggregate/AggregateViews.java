package io.clickstream.etl.aggregate;

import java.time.LocalDate;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The materialized views that keep the aggregates (sql/V003, V004), as the server holds them, and the statements
 * that recompute a past day from the stored events. The views' own definitions are the one truth: a rebuild runs
 * each view's SELECT over the day's rows of the events table instead of over an inserted block.
 */
public final class AggregateViews {
    /** A view: its name, the table it writes to, and its SELECT over {@code <db>.events_local}. */
    public record View(String name, String target, String select) {}

    private static final Pattern DEFINITION = Pattern.compile(
            "(?s)^CREATE MATERIALIZED VIEW \\S+ TO `?[^`.\\s]+`?\\.`?([^`.\\s(]+)`?.*?\\) AS (SELECT .*)$");

    private AggregateViews() {}

    /**
     * The views among {@code definitions} (name to {@code create_table_query}) that read {@code <db>.events_local}
     * and write to a {@code *_local} table, in name order.
     *
     * @throws IllegalArgumentException for a view whose definition this version cannot read
     */
    public static List<View> parse(String db, Map<String, String> definitions) {
        List<View> views = new ArrayList<>();
        new java.util.TreeMap<>(definitions).forEach((name, query) -> {
            Matcher m = DEFINITION.matcher(query.trim());
            if (!m.matches()) {
                throw new IllegalArgumentException(
                        "materialized view " + name + ": cannot read its definition: " + query);
            }
            if (!source(db).matcher(m.group(2)).find()) {
                return; // not one of the event aggregates
            }
            if (!m.group(1).endsWith("_local")) {
                throw new IllegalArgumentException("materialized view " + name + " writes to " + m.group(1)
                        + ", not to a shard's *_local table behind a Distributed one");
            }
            views.add(new View(name, m.group(1), m.group(2)));
        });
        return views;
    }

    private static Pattern source(String db) {
        return Pattern.compile("FROM\\s+`?" + Pattern.quote(db) + "`?\\.`?events_local`?(?=[\\s)]|$)");
    }

    /** The Distributed table in front of a view's {@code *_local} target. */
    public static String distributed(View view) {
        return view.target().substring(0, view.target().length() - "_local".length());
    }

    /** The targets of the views, each with its views. */
    public static Map<String, List<View>> byTarget(List<View> views) {
        Map<String, List<View>> out = new LinkedHashMap<>();
        views.forEach(
                v -> out.computeIfAbsent(v.target(), t -> new ArrayList<>()).add(v));
        return out;
    }

    /**
     * The statement that recomputes one day of a view into its Distributed table: the view's SELECT over the day's
     * rows of {@code <db>.events} (every shard; the states are merged where the query runs and sent back to the
     * shard of their sharding key).
     */
    public static String rebuildInsert(String db, View view, LocalDate day) {
        return rebuildInsert(db, view, "dt = '" + day + "'");
    }

    /**
     * The statement that recomputes a view over the current rows (FINAL) of {@code <db>.events} that {@code where}
     * selects: a row a late event's correction replaced counts at its newest version only.
     */
    public static String rebuildInsert(String db, View view, String where) {
        String rows = "FROM (SELECT * FROM " + db + ".events FINAL WHERE " + where + ")";
        return "INSERT INTO " + db + "." + distributed(view) + " "
                + source(db).matcher(view.select()).replaceFirst(Matcher.quoteReplacement(rows));
    }
}
