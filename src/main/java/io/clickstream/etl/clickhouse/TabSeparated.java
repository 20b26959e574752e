package io.clickstream.etl.clickhouse;

import java.util.ArrayList;
import java.util.List;

/**
 * Reads ClickHouse's TabSeparated answers, the one format every read here asks for: ClickHouse 18.16 ignores the
 * format header that typed reads rely on (see {@link ClickHouseSql}).
 */
public final class TabSeparated {
    private TabSeparated() {}

    /** The rows of an answer, each field with its escapes undone; empty lines are no rows. */
    public static List<String[]> rows(String answer) {
        List<String[]> rows = new ArrayList<>();
        int start = 0;
        while (start < answer.length()) {
            int end = answer.indexOf('\n', start);
            if (end < 0) {
                end = answer.length();
            }
            if (end > start) {
                String[] fields = answer.substring(start, end).split("\t", -1);
                for (int i = 0; i < fields.length; i++) {
                    fields[i] = unescape(fields[i]);
                }
                rows.add(fields);
            }
            start = end + 1;
        }
        return rows;
    }

    /** The first field of each row: an answer of one column. */
    public static List<String> column(String answer) {
        return rows(answer).stream().map(r -> r[0]).toList();
    }

    /** A field with its escapes (\\t, \\n, \\0, \\', \\\\) undone. */
    public static String unescape(String field) {
        if (field.indexOf('\\') < 0) {
            return field;
        }
        StringBuilder out = new StringBuilder(field.length());
        for (int i = 0; i < field.length(); i++) {
            char c = field.charAt(i);
            if (c == '\\' && i + 1 < field.length()) {
                char next = field.charAt(++i);
                out.append(
                        switch (next) {
                            case 't' -> '\t';
                            case 'n' -> '\n';
                            case '0' -> '\0';
                            default -> next;
                        });
            } else {
                out.append(c);
            }
        }
        return out.toString();
    }
}
