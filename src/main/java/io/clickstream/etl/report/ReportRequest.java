package io.clickstream.etl.report;

import java.time.LocalDate;
import java.util.List;

/**
 * What a report run asks for: the days (UTC, inclusive), the reports, the dimension to split by, the share of users
 * to read (1 = all), and the reports' own knobs.
 */
public record ReportRequest(
        String database,
        LocalDate from,
        LocalDate to,
        List<Kind> kinds,
        Split split,
        int sampleDenominator,
        int retentionDays,
        int urlDepth,
        int top) {

    /** The standard reports. */
    public enum Kind {
        ACTIVE("active users: DAU, WAU, MAU"),
        DAYS("days in service (last 7 and 28 days)"),
        RETENTION("retention by first-seen cohort"),
        TRAFFIC("page views and sessions per day"),
        PAGES("top pages by URL hierarchy"),
        FUNNELS("funnel conversion");

        public final String title;

        Kind(String title) {
            this.title = title;
        }

        public String id() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    /** The dimension a report is split by: the value each event had (a user counts under every value of theirs). */
    public enum Split {
        NONE("''", "['']", "['']"),
        SOURCE("source", "[toString(source)]", "sources"),
        COUNTRY("country", "[toString(country)]", "[toString(country)]"),
        BROWSER("browser", "[toString(browser)]", "[toString(browser)]"),
        DEVICE("device_type", "[toString(device_type)]", "[toString(device_type)]");

        /** The value of a row of user_days: one of its key columns. */
        final String column;
        /** The values of a row of the events table: the event's own. */
        final String ofEvent;
        /** The values of a row of the sessions table: its sources, its entry's geo and device. */
        final String ofSession;

        Split(String column, String ofEvent, String ofSession) {
            this.column = column;
            this.ofEvent = ofEvent;
            this.ofSession = ofSession;
        }
    }

    /** The sampled share of users, 1/{@code sampleDenominator}. */
    public double sampleRate() {
        return 1.0 / sampleDenominator;
    }

    public void sanityCheck() {
        if (database == null || !database.matches("[A-Za-z_][A-Za-z0-9_]*")) {
            throw new IllegalArgumentException("clickhouse.database: '" + database + "' is not a plain database name");
        }
        if (from == null || to == null || to.isBefore(from)) {
            throw new IllegalArgumentException("--from/--to: " + from + " to " + to + " is not a range of days");
        }
        if (kinds.isEmpty()) {
            throw new IllegalArgumentException("--reports: none chosen");
        }
        if (sampleDenominator < 1) {
            throw new IllegalArgumentException("--sample: 1/" + sampleDenominator + " is not a share of users");
        }
        if (retentionDays < 1 || retentionDays > 90) {
            throw new IllegalArgumentException("--retention-days: " + retentionDays + " is not within 1..90");
        }
        if (urlDepth < 0 || urlDepth > 10) {
            throw new IllegalArgumentException("--url-depth: " + urlDepth + " is not within 0..10");
        }
        if (top < 1) {
            throw new IllegalArgumentException("--top: " + top + " is not a positive number of rows");
        }
    }
}
