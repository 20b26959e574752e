package io.clickstream.etl.report;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/** Writes reports as a terminal table, as JSON, or as one self-contained HTML page with charts (ECharts, inlined). */
public final class ReportRenderer {
    /** ECharts as the WebJar on the classpath holds it (org.webjars.npm:echarts, see pom.xml). */
    static final String ECHARTS = "META-INF/resources/webjars/echarts/5.3.1/dist/echarts.min.js";

    private static final ObjectMapper JSON = new ObjectMapper();

    private ReportRenderer() {}

    public static String text(ReportRequest r, List<ReportTable> tables) {
        StringBuilder out = new StringBuilder(heading(r)).append('\n');
        for (ReportTable t : tables) {
            out.append('\n').append("== ").append(t.title()).append('\n');
            t.notes().forEach(n -> out.append("   (").append(n).append(")\n"));
            int[] width = new int[t.columns().size()];
            for (int i = 0; i < width.length; i++) {
                width[i] = t.columns().get(i).length();
                for (List<Object> row : t.rows()) {
                    width[i] = Math.max(width[i], String.valueOf(row.get(i)).length());
                }
            }
            appendRow(
                    out,
                    t.columns(),
                    width,
                    t.rows().isEmpty() ? List.of() : t.rows().get(0));
            for (List<Object> row : t.rows()) {
                List<String> cells = new ArrayList<>();
                row.forEach(v -> cells.add(String.valueOf(v)));
                appendRow(out, cells, width, row);
            }
            if (t.rows().isEmpty()) {
                out.append("   (no rows)\n");
            }
        }
        return out.toString();
    }

    /** Numbers right-aligned, text left-aligned, as a terminal table reads best. */
    private static void appendRow(StringBuilder out, List<String> cells, int[] width, List<Object> types) {
        for (int i = 0; i < cells.size(); i++) {
            boolean number = i < types.size() && types.get(i) instanceof Number;
            String format = "%" + (number ? "" : "-") + width[i] + "s";
            out.append(i == 0 ? "" : "  ").append(String.format(format, cells.get(i)));
        }
        out.append('\n');
    }

    private static String heading(ReportRequest r) {
        return "clickstream reports for " + r.database() + ", " + r.from() + " to " + r.to() + " (UTC)"
                + (r.split() == ReportRequest.Split.NONE
                        ? ""
                        : ", split by " + r.split().name().toLowerCase(java.util.Locale.ROOT))
                + (r.sampleDenominator() == 1 ? "" : ", sample 1/" + r.sampleDenominator());
    }

    public static String json(ReportRequest r, List<ReportTable> tables) {
        try {
            return JSON.writerWithDefaultPrettyPrinter().writeValueAsString(document(r, tables));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static ObjectNode document(ReportRequest r, List<ReportTable> tables) {
        ObjectNode doc = JSON.createObjectNode();
        doc.put("title", heading(r));
        doc.put("database", r.database());
        doc.put("from", r.from().toString());
        doc.put("to", r.to().toString());
        doc.put("split", r.split().name().toLowerCase(java.util.Locale.ROOT));
        doc.put("sample", "1/" + r.sampleDenominator());
        ArrayNode reports = doc.putArray("reports");
        for (ReportTable t : tables) {
            ObjectNode report = reports.addObject();
            report.put("id", t.kind().id());
            report.put("title", t.title());
            t.columns().forEach(report.putArray("columns")::add);
            ArrayNode rows = report.putArray("rows");
            for (List<Object> row : t.rows()) {
                ArrayNode cells = rows.addArray();
                row.forEach(v -> {
                    if (v instanceof Long l) {
                        cells.add(l);
                    } else if (v instanceof Double d) {
                        cells.add(d);
                    } else {
                        cells.add(String.valueOf(v));
                    }
                });
            }
            t.notes().forEach(report.putArray("notes")::add);
            ObjectNode chart = report.putObject("chart");
            chart.put("type", t.chart().type());
            chart.put("x", t.chart().x());
            t.chart().y().forEach(chart.putArray("y")::add);
        }
        return doc;
    }

    /**
     * One HTML file that opens offline: the reports' data as JSON, ECharts and the page's script inlined, a chart
     * and a table per report. The page marks itself when every chart is drawn ({@code data-charts-drawn}) and records
     * script errors ({@code data-errors}), for a headless browser to check.
     */
    public static String html(ReportRequest r, List<ReportTable> tables) {
        String data = json(r, tables).replace("</", "<\\/");
        return resource("report.html")
                .replace("/*ECHARTS*/", echarts().replace("</script", "<\\/script"))
                .replace("/*PAGE*/", resource("report.js"))
                .replace("/*DATA*/", data)
                .replace("<!--TITLE-->", escapeHtml(heading(r)));
    }

    static String echarts() {
        try (InputStream in = ReportRenderer.class.getClassLoader().getResourceAsStream(ECHARTS)) {
            if (in == null) {
                throw new IllegalStateException(ECHARTS + " is not on the classpath: the ECharts WebJar is missing");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String resource(String name) {
        try (InputStream in = ReportRenderer.class.getResourceAsStream(name)) {
            if (in == null) {
                throw new IllegalStateException("missing resource " + name);
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String escapeHtml(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }
}
