package io.clickstream.etl.quality;

import io.clickstream.etl.quality.QualityChecks.Result;
import java.time.Instant;
import java.util.List;

/** The checks as a JUnit XML report, the format Jenkins, GitLab and Airflow's plugins read: a test case per check. */
public final class JUnitReport {
    private JUnitReport() {}

    public static String xml(String suite, List<Result> results, Instant at) {
        long failures = results.stream().filter(r -> !r.passed()).count();
        StringBuilder out = new StringBuilder("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
        out.append("<testsuite name=\"")
                .append(escape(suite))
                .append("\" tests=\"")
                .append(results.size())
                .append("\" failures=\"")
                .append(failures)
                .append("\" errors=\"0\" skipped=\"0\" timestamp=\"")
                .append(at.toString())
                .append("\">\n");
        for (Result r : results) {
            out.append("  <testcase classname=\"")
                    .append(escape(r.group()))
                    .append("\" name=\"")
                    .append(escape(r.name()))
                    .append("\"");
            if (r.passed()) {
                out.append(">\n    <system-out>").append(escape(r.message())).append("</system-out>\n  </testcase>\n");
            } else {
                out.append(">\n    <failure message=\"")
                        .append(escape(r.message()))
                        .append("\"/>\n  </testcase>\n");
            }
        }
        return out.append("</testsuite>\n").toString();
    }

    private static String escape(String s) {
        StringBuilder out = new StringBuilder(s.length());
        for (char c : s.toCharArray()) {
            switch (c) {
                case '&' -> out.append("&amp;");
                case '<' -> out.append("&lt;");
                case '>' -> out.append("&gt;");
                case '"' -> out.append("&quot;");
                default -> {
                    if (c >= 0x20 || c == '\t' || c == '\n') {
                        out.append(c);
                    }
                }
            }
        }
        return out.toString();
    }
}
