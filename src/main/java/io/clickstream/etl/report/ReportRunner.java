package io.clickstream.etl.report;

import io.clickstream.etl.aggregate.CurrentUserDays;
import io.clickstream.etl.clickhouse.TabSeparated;
import io.clickstream.etl.report.ReportQueries.Query;
import io.clickstream.etl.report.ReportRequest.Kind;
import io.clickstream.etl.report.ReportRequest.Split;
import java.util.ArrayList;
import java.util.List;

/**
 * Runs the reports of a request and reads their answers: scales sampled counts up and states their error, leaves
 * out the split column when nothing is split.
 */
public final class ReportRunner {
    /** Runs one statement and returns its TabSeparated answer. */
    @FunctionalInterface
    public interface Sql {
        String query(String sql) throws Exception;
    }

    /** 95 % of a normal distribution lies within this many standard deviations. */
    private static final double Z95 = 1.96;

    private final Sql sql;

    public ReportRunner(Sql sql) {
        this.sql = sql;
    }

    public List<ReportTable> run(ReportRequest request) throws Exception {
        request.sanityCheck();
        List<ReportTable> tables = new ArrayList<>();
        boolean corrected = request.kinds().contains(Kind.PAGES)
                && Long.parseLong(sql.query(CurrentUserDays.anyCorrected(
                                                request.database(),
                                                "dt >= '" + request.from() + "' AND dt <= '" + request.to() + "'")
                                        + " FORMAT TabSeparated")
                                .trim())
                        > 0;
        for (Kind kind : request.kinds()) {
            tables.add(read(request, ReportQueries.of(request, kind, corrected)));
        }
        return tables;
    }

    private ReportTable read(ReportRequest r, Query q) throws Exception {
        List<String> notes = new ArrayList<>();
        boolean sampled = r.sampleDenominator() > 1 && !q.scale().users().isEmpty();
        if (q.kind() == Kind.PAGES && q.columns().contains("split")) {
            notes.add(
                    r.split() == Split.NONE && r.sampleDenominator() == 1
                            ? "from the current events, not from the daily aggregates: late events' corrections changed"
                                    + " sessions in these days, whose pages' aggregates count them as they were"
                            : "from the events themselves (split by each event's own value, exits by the session's), not from"
                                    + " the daily aggregates");
        }
        if (sampled) {
            notes.add(String.format(
                    java.util.Locale.ROOT,
                    "a 1/%d sample of users (by user hash): counts are scaled by %d;"
                            + " ±: 95 %% interval of a user count, a sum's taken as its row's user count's",
                    r.sampleDenominator(),
                    r.sampleDenominator()));
        }
        List<String> columns = new ArrayList<>();
        for (String c : q.columns()) {
            if (c.equals("split") && r.split() == Split.NONE) {
                continue;
            }
            columns.add(c);
            if (sampled && (q.scale().users().contains(c) || q.scale().sums().contains(c))) {
                columns.add(c + "_pm95");
            }
        }
        List<List<Object>> rows = new ArrayList<>();
        for (String[] fields : TabSeparated.rows(sql.query(q.sql() + " FORMAT TabSeparated"))) {
            if (fields.length != q.columns().size()) {
                throw new IllegalStateException(q.kind().id() + ": " + fields.length + " fields in a row, expected "
                        + q.columns().size() + ": " + String.join("\t", fields));
            }
            double relativeError = 0;
            if (sampled) {
                long n = Long.parseLong(
                        fields[q.columns().indexOf(q.scale().users().get(0))]);
                relativeError = n == 0 ? 0 : Z95 * Math.sqrt(n * (1 - r.sampleRate())) / n;
            }
            List<Object> row = new ArrayList<>();
            for (int i = 0; i < fields.length; i++) {
                String c = q.columns().get(i);
                if (c.equals("split") && r.split() == Split.NONE) {
                    continue;
                }
                Object value = value(fields[i]);
                if (sampled && value instanceof Long n && q.scale().users().contains(c)) {
                    row.add(n * r.sampleDenominator());
                    row.add(Math.round(Z95 * Math.sqrt(n * (1 - r.sampleRate())) * r.sampleDenominator()));
                } else if (sampled
                        && value instanceof Long n
                        && q.scale().sums().contains(c)) {
                    row.add(n * r.sampleDenominator());
                    row.add(Math.round(n * r.sampleDenominator() * relativeError));
                } else {
                    row.add(value);
                }
            }
            rows.add(row);
        }
        return new ReportTable(q.kind(), q.kind().title, columns, rows, notes, q.chart());
    }

    private static Object value(String field) {
        if (field.matches("-?\\d{1,18}")) {
            return Long.parseLong(field);
        }
        if (field.matches("-?\\d+\\.\\d+([eE][-+]?\\d+)?")) {
            return Double.parseDouble(field);
        }
        return field;
    }
}
