package io.clickstream.etl.report;

import io.clickstream.etl.report.ReportQueries.Chart;
import io.clickstream.etl.report.ReportRequest.Kind;
import java.util.List;

/**
 * One report's answer: its columns and rows (numbers as Long or Double, the rest as String), what to know about it
 * (sampling, what it could not do), and how to draw it.
 */
public record ReportTable(
        Kind kind, String title, List<String> columns, List<List<Object>> rows, List<String> notes, Chart chart) {}
