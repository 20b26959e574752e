package io.clickstream.etl.funnel;

import io.clickstream.etl.clickhouse.ClickHouseSql;
import io.clickstream.etl.clickhouse.TabSeparated;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * Conversion of a funnel over a date range, computed two ways from the events table: retroactively from the
 * stored events (any definition, also one defined after the fact) and from the tags the stream wrote. On sessions
 * streamed entirely after the definition was published, the two columns are equal.
 */
public record FunnelReport(
        FunnelDefinition definition,
        LocalDate from,
        LocalDate to,
        long sessions,
        List<Long> retroactive,
        List<Long> streamed) {

    /** Sessions that reached step {@code step} (1-based) or further, per the stored events. */
    public long retroactiveReached(int step) {
        return retroactive.get(step - 1);
    }

    public long streamedReached(int step) {
        return streamed.get(step - 1);
    }

    public static FunnelReport compute(
            ClickHouseSql sql, String table, FunnelDefinition d, LocalDate from, LocalDate to) throws Exception {
        Map<Integer, Long> retro = levels(sql.execute(FunnelSql.retroactive(d, table, from, to)));
        Map<Integer, Long> stream = levels(sql.execute(FunnelSql.streamed(d.id(), table, from, to)));
        long sessions = retro.values().stream().mapToLong(Long::longValue).sum();
        return new FunnelReport(
                d,
                from,
                to,
                sessions,
                reached(retro, d.steps().size()),
                reached(stream, d.steps().size()));
    }

    private static Map<Integer, Long> levels(String tsv) {
        Map<Integer, Long> out = new TreeMap<>();
        for (String[] f : TabSeparated.rows(tsv)) {
            out.put(Integer.parseInt(f[0].trim()), Long.parseLong(f[1].trim()));
        }
        return out;
    }

    /** From "sessions whose level is exactly k" to "sessions that reached step k or further". */
    private static List<Long> reached(Map<Integer, Long> levels, int steps) {
        List<Long> out = new ArrayList<>();
        for (int k = 1; k <= steps; k++) {
            long n = 0;
            for (Map.Entry<Integer, Long> e : levels.entrySet()) {
                if (e.getKey() >= k) {
                    n += e.getValue();
                }
            }
            out.add(n);
        }
        return out;
    }

    /** A plain-text table: step, name, sessions reaching it (retroactive), conversion, stream-tagged sessions. */
    public String table() {
        StringBuilder b = new StringBuilder();
        b.append(String.format(
                Locale.ROOT,
                "Funnel %s (%s, window %s) over %s .. %s: %d sessions%n",
                definition.id(),
                definition.mode().name().toLowerCase(Locale.ROOT),
                definition.windowMs() == FunnelDefinition.NO_WINDOW_MS ? "session" : definition.windowMs() / 1000 + "s",
                from,
                to,
                sessions));
        b.append(String.format(
                Locale.ROOT,
                "%-5s %-28s %12s %9s %9s %14s%n",
                "step",
                "name",
                "retroactive",
                "of prev",
                "of all",
                "stream-tagged"));
        for (int k = 1; k <= retroactive.size(); k++) {
            long n = retroactive.get(k - 1);
            long prev = k == 1 ? sessions : retroactive.get(k - 2);
            b.append(String.format(
                    Locale.ROOT,
                    "%-5d %-28s %12d %8.1f%% %8.1f%% %14d%n",
                    k,
                    truncate(definition.steps().get(k - 1).name()),
                    n,
                    pct(n, prev),
                    pct(n, sessions),
                    streamed.get(k - 1)));
        }
        return b.toString();
    }

    private static double pct(long n, long of) {
        return of == 0 ? 0.0 : 100.0 * n / of;
    }

    private static String truncate(String s) {
        return s.length() <= 28 ? s : s.substring(0, 27) + "…";
    }
}
