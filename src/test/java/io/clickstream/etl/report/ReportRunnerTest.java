package io.clickstream.etl.report;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.clickstream.etl.report.ReportRequest.Kind;
import io.clickstream.etl.report.ReportRequest.Split;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Reading the reports' answers, with ClickHouse's answers given: scaling, intervals, splits, notes; and the renderers. */
class ReportRunnerTest {
    private static final LocalDate FROM = LocalDate.of(2026, 11, 2);

    private static ReportRequest request(List<Kind> kinds, Split split, int sample) {
        return new ReportRequest("cs", FROM, FROM.plusDays(1), kinds, split, sample, 7, 1, 20);
    }

    @Test
    void aSampledUserCountIsScaledWithItsIntervalAndASumTakesItsRowsRelativeError() throws Exception {
        List<String> asked = new ArrayList<>();
        ReportRunner runner = new ReportRunner(sql -> {
            asked.add(sql);
            return "2026-11-02\t\t900\t40\t100\n";
        });
        ReportTable t =
                runner.run(request(List.of(Kind.TRAFFIC), Split.NONE, 10)).get(0);
        assertThat(asked.get(0)).contains("FROM cs.user_days SAMPLE 1/10").endsWith("FORMAT TabSeparated");
        assertThat(t.columns())
                .containsExactly(
                        "day", "page_views", "page_views_pm95", "sessions", "sessions_pm95", "users", "users_pm95");
        long usersPm = Math.round(1.96 * Math.sqrt(100 * 0.9) * 10);
        double relative = 1.96 * Math.sqrt(100 * 0.9) / 100;
        assertThat(t.rows())
                .containsExactly(List.of(
                        "2026-11-02",
                        9000L,
                        Math.round(9000 * relative),
                        400L,
                        Math.round(400 * relative),
                        1000L,
                        usersPm));
        assertThat(t.notes()).singleElement().asString().contains("1/10 sample of users");
    }

    @Test
    void pagesSplitOrSampledComeFromTheEventsAndSaySo() throws Exception {
        List<String> asked = new ArrayList<>();
        ReportTable t = new ReportRunner(answering(0, asked, "shop/p\tFrance\t10\t3\t4\t2\t1\n"))
                .run(request(List.of(Kind.PAGES), Split.COUNTRY, 1))
                .get(0);
        assertThat(asked.get(1))
                .contains(".events FINAL ARRAY JOIN [toString(country)] AS split")
                .contains("LIMIT 20 BY split");
        assertThat(t.rows()).containsExactly(List.of("shop/p", "France", 10L, 3L, 4L, 2L, 1L));
        assertThat(t.notes()).singleElement().asString().startsWith("from the events themselves");
        assertThat(new ReportRunner(answering(0, new ArrayList<>(), ""))
                        .run(request(List.of(Kind.PAGES), Split.NONE, 1))
                        .get(0)
                        .notes())
                .isEmpty();
    }

    @Test
    void pagesOfDaysALateEventCorrectedComeFromTheCurrentEventsAndSaySo() throws Exception {
        List<String> asked = new ArrayList<>();
        ReportTable t = new ReportRunner(answering(3, asked, "shop/p\t\t10\t3\t4\t2\t1\n"))
                .run(request(List.of(Kind.PAGES), Split.NONE, 1))
                .get(0);
        assertThat(asked.get(0)).startsWith("SELECT count() FROM cs.corrected_days WHERE dt >= '" + FROM + "'");
        assertThat(asked.get(1)).contains(".events FINAL ARRAY JOIN ['']").doesNotContain("objects_daily");
        assertThat(t.columns()).doesNotContain("split");
        assertThat(t.rows()).containsExactly(List.of("shop/p", 10L, 3L, 4L, 2L, 1L));
        assertThat(t.notes()).singleElement().asString().startsWith("from the current events");
    }

    /** A server whose corrected_days holds {@code corrected} user-days in the range and that answers all else so. */
    private static ReportRunner.Sql answering(long corrected, List<String> asked, String answer) {
        return sql -> {
            asked.add(sql);
            return sql.contains(".corrected_days WHERE") ? corrected + "\n" : answer;
        };
    }

    @Test
    void anAnswerOfAnotherShapeFailsWithTheReportsName() {
        assertThatThrownBy(() -> new ReportRunner(sql -> "x\t1\n").run(request(List.of(Kind.FUNNELS), Split.NONE, 1)))
                .hasMessageStartingWith("funnels: 2 fields in a row, expected 4");
    }

    @Test
    void badRequestsNameTheOptionToFix() {
        assertThatThrownBy(
                        () -> new ReportRequest("cs; DROP", FROM, FROM, List.of(Kind.ACTIVE), Split.NONE, 1, 7, 1, 20)
                                .sanityCheck())
                .hasMessageStartingWith("clickhouse.database");
        assertThatThrownBy(() -> new ReportRequest(
                                "cs", FROM, FROM.minusDays(1), List.of(Kind.ACTIVE), Split.NONE, 1, 7, 1, 20)
                        .sanityCheck())
                .hasMessageStartingWith("--from/--to");
        assertThatThrownBy(() -> new ReportRequest("cs", FROM, FROM, List.of(Kind.ACTIVE), Split.NONE, 1, 0, 1, 20)
                        .sanityCheck())
                .hasMessageStartingWith("--retention-days");
    }

    @Test
    void theRenderersShowEveryRowAndTheHtmlPageCarriesItsScriptsAndDataInline() throws Exception {
        ReportRequest r = request(List.of(Kind.ACTIVE), Split.SOURCE, 1);
        List<ReportTable> tables =
                new ReportRunner(sql -> "2026-11-02\tweb\t3\t5\t8\n2026-11-02\tapp\t1\t1\t2\n").run(r);
        assertThat(ReportRenderer.text(r, tables))
                .contains("== active users: DAU, WAU, MAU")
                .contains("day         split  dau  wau  mau")
                .contains("2026-11-02  web      3    5    8");
        assertThat(ReportRenderer.json(r, tables)).contains("\"rows\" : [ [ \"2026-11-02\", \"web\", 3, 5, 8 ]");
        String html = ReportRenderer.html(r, tables);
        assertThat(html)
                .contains(ReportRenderer.echarts().substring(0, 200))
                .contains("\"id\" : \"active\"")
                .doesNotContain("/*DATA*/")
                .doesNotContain("/*PAGE*/")
                .doesNotContain("<script src");
    }

    @Test
    void aValueThatLooksLikeTheEndOfAScriptCannotEndThePagesDataBlock() throws Exception {
        ReportRequest r = request(List.of(Kind.PAGES), Split.NONE, 1);
        List<ReportTable> tables =
                new ReportRunner(answering(0, new ArrayList<>(), "x</script><script>alert(1)\t1\t1\t1\t1\t1\n")).run(r);
        String html = ReportRenderer.html(r, tables);
        String data = html.substring(html.indexOf("id=\"report-data\""));
        data = data.substring(0, data.indexOf("</script>"));
        assertThat(data).contains("x<\\/script><script>alert(1)");
    }

    @Test
    void theClickHousePageShowsTheReportsQueriesAsTheyAre() throws Exception {
        assertThat(java.nio.file.Files.readString(java.nio.file.Path.of("docs/clickhouse.md")))
                .contains(ReportQueries.markdown());
    }
}
