package io.clickstream.etl.aggregate;

/**
 * The current rows of user_days (sql/V006) for a reader: the rows of the user-days no late event's correction
 * touched, and, for those listed in corrected_days (sql/V008), the same states counted from their current events
 * (FINAL). A state cannot take back the session id a merge retired or a funnel tag a row lost, so the stored rows of a
 * corrected user-day over-count; its events are exact. Each user-day comes from exactly one of the two, so an event is
 * never counted twice, and both read the user's own shard (the lists are sharded as the events).
 */
public final class CurrentUserDays {
    private CurrentUserDays() {}

    /**
     * A subquery with user_days' columns and states, read with {@code sample} (a SAMPLE clause or "") where
     * {@code days} (a condition on {@code dt} alone) holds.
     */
    public static String rows(String db, String sample, String days) {
        String listed =
                "(dt, uh, user_id) IN (SELECT dt, uh, user_id FROM " + db + ".corrected_days_local WHERE " + days + ")";
        return "(SELECT dt, user_id, uh, source, country, browser, device_type, events, sessions, page_views,"
                + " first_ts, last_ts, funnel_steps FROM " + db + ".user_days" + sample + " WHERE " + days
                + " AND NOT " + listed
                + " UNION ALL SELECT dt, user_id, cityHash64(user_id) AS uh, CAST(source AS String) AS source,"
                + " CAST(country AS String) AS country, CAST(browser AS String) AS browser,"
                + " CAST(device_type AS String) AS device_type, uniqExactState(event_id) AS events,"
                + " uniqExactState(session_id) AS sessions,"
                + " uniqExactIfState(event_id, toUInt8(event_type = 'page_view')) AS page_views,"
                + " minState(ts) AS first_ts, maxState(ts) AS last_ts,"
                + " groupUniqArrayArrayState(arrayMap((f, s) -> concat(f, ':', toString(s)), `funnels.id`,"
                + " `funnels.step`)) AS funnel_steps FROM " + db + ".events FINAL" + sample + " WHERE " + days
                + " AND " + listed + " GROUP BY dt, user_id, source, country, browser, device_type)";
    }

    /** Whether any user-day in {@code days} was corrected: the statement answers a count. */
    public static String anyCorrected(String db, String days) {
        return "SELECT count() FROM " + db + ".corrected_days WHERE " + days;
    }
}
