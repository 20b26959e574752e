package io.clickstream.etl.aggregate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.LocalDate;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class AggregateViewsTest {
    /** As ClickHouse 18.16 prints a view's create_table_query. */
    private static final String OLD = "CREATE MATERIALIZED VIEW cs.users_daily_mv TO cs.users_daily_local ( dt Date,"
            + "  user_id String,  events AggregateFunction(uniqExact, String)) AS SELECT dt, user_id,"
            + " uniqExactState(event_id) AS events FROM cs.events_local  GROUP BY dt, user_id";
    /** As current versions print it: names quoted. */
    private static final String CURRENT = "CREATE MATERIALIZED VIEW cs.objects_daily_url_mv TO cs.objects_daily_local"
            + " (`dt` Date, `object` String) AS SELECT dt, cutQueryStringAndFragment(url) AS object FROM `cs`.`events_local`"
            + " WHERE url != '' GROUP BY dt, object";

    @Test
    void viewsOverTheEventsAreReadFromEitherVersionsDefinitionAndOthersAreLeftOut() {
        List<AggregateViews.View> views = AggregateViews.parse(
                "cs",
                Map.of(
                        "users_daily_mv",
                        OLD,
                        "objects_daily_url_mv",
                        CURRENT,
                        "other_mv",
                        "CREATE MATERIALIZED VIEW cs.other_mv TO cs.x_local (a UInt8) AS SELECT 1 AS a FROM cs.sessions_local"));
        assertThat(views)
                .extracting(AggregateViews.View::name)
                .containsExactly("objects_daily_url_mv", "users_daily_mv");
        assertThat(views)
                .extracting(AggregateViews.View::target)
                .containsExactly("objects_daily_local", "users_daily_local");
        assertThat(AggregateViews.byTarget(views)).containsOnlyKeys("objects_daily_local", "users_daily_local");
    }

    @Test
    void aRebuildRunsTheViewsSelectOverOneDayOfTheDistributedEventsIntoTheDistributedTable() {
        AggregateViews.View view =
                AggregateViews.parse("cs", Map.of("users_daily_mv", OLD)).get(0);
        assertThat(AggregateViews.rebuildInsert("cs", view, LocalDate.of(2026, 11, 2)))
                .isEqualTo("INSERT INTO cs.users_daily SELECT dt, user_id, uniqExactState(event_id) AS events"
                        + " FROM (SELECT * FROM cs.events FINAL WHERE dt = '2026-11-02')  GROUP BY dt, user_id");
        AggregateViews.View quoted =
                AggregateViews.parse("cs", Map.of("v", CURRENT)).get(0);
        assertThat(AggregateViews.rebuildInsert("cs", quoted, LocalDate.of(2026, 11, 2)))
                .contains("FROM (SELECT * FROM cs.events FINAL WHERE dt = '2026-11-02') WHERE url != ''")
                .startsWith("INSERT INTO cs.objects_daily SELECT");
    }

    @Test
    void aViewThatDoesNotWriteToAShardTableOrCannotBeReadIsRefusedByName() {
        assertThatThrownBy(
                        () -> AggregateViews.parse(
                                "cs",
                                Map.of(
                                        "v",
                                        "CREATE MATERIALIZED VIEW cs.v TO cs.flat (a UInt8) AS SELECT 1 AS a FROM cs.events_local")))
                .hasMessageContaining("materialized view v writes to flat");
        assertThatThrownBy(() -> AggregateViews.parse(
                        "cs", Map.of("w", "CREATE MATERIALIZED VIEW cs.w ENGINE = Memory AS SELECT 1")))
                .hasMessageContaining("materialized view w: cannot read its definition");
    }
}
