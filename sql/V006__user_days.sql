-- Per (day, user, source, country, browser, device type) aggregates, which replace users_daily (V003) for new rows:
-- a split of a report counts the events that have the value, where users_daily could only attribute a user's whole
-- day to each source the user had (and to the day's most frequent country, browser and device). An event is in
-- exactly one row, the one of its own values; a user-day is the merge of its rows, so unsplit figures stay exact.
--
-- Exact under retries and replays as users_daily was (uniqExact over event and session ids, min/max,
-- groupUniqArray). The split values are the event's own: a replay that finds another country for an IP (a newer
-- geo database) puts the event under both countries until tools.Aggregates rebuild recomputes the day.
--   DAU:                   SELECT dt, uniqExact(user_id) FROM user_days GROUP BY dt ORDER BY dt
--   events per user-day:   SELECT dt, user_id, uniqExactMerge(events) FROM user_days GROUP BY dt, user_id
--   page views by source:  SELECT dt, source, uniqExactIfMerge(page_views) FROM user_days GROUP BY dt, source
--   days in the last 28:   SELECT user_id, uniqUpTo(28)(dt) FROM user_days WHERE dt > today() - 28 GROUP BY user_id
--
-- users_daily stays as it was, with the days it holds, and is no longer fed (its view goes): fill user_days for
-- those days with tools.Aggregates rebuild --from --to (it recomputes every view over events_local), then drop
-- users_daily and users_daily_local ON CLUSTER when nothing reads them.
CREATE TABLE IF NOT EXISTS ${database}.user_days_local ON CLUSTER ${cluster}
(
    dt           Date,
    user_id      String,
    uh           UInt64,
    source       String,
    country      String,
    browser      String,
    device_type  String,
    events       AggregateFunction(uniqExact, String),
    sessions     AggregateFunction(uniqExact, String),
    page_views   AggregateFunction(uniqExactIf, String, UInt8),
    first_ts     AggregateFunction(min, DateTime),
    last_ts      AggregateFunction(max, DateTime),
    funnel_steps AggregateFunction(groupUniqArrayArray, Array(String))
)
ENGINE = ReplicatedAggregatingMergeTree('/clickhouse/tables/{shard}/${database}/user_days_local', '{replica}')
PARTITION BY dt
ORDER BY (dt, uh, user_id, source, country, browser, device_type)
SAMPLE BY uh;

-- The Distributed table takes its columns from the shards' table (no MATERIALIZED column here to forward).
CREATE TABLE IF NOT EXISTS ${database}.user_days ON CLUSTER ${cluster} AS ${database}.user_days_local
ENGINE = Distributed(${cluster}, ${database}, user_days_local, uh);

-- Funnel steps as 'funnel:step' strings. The LowCardinality columns are cast to String: 18.16 keeps the
-- argument's type in the result's type otherwise.
CREATE MATERIALIZED VIEW IF NOT EXISTS ${database}.user_days_mv ON CLUSTER ${cluster}
TO ${database}.user_days_local
AS SELECT
    dt,
    user_id,
    cityHash64(user_id) AS uh,
    CAST(source AS String) AS source,
    CAST(country AS String) AS country,
    CAST(browser AS String) AS browser,
    CAST(device_type AS String) AS device_type,
    uniqExactState(event_id) AS events,
    uniqExactState(session_id) AS sessions,
    uniqExactIfState(event_id, toUInt8(event_type = 'page_view')) AS page_views,
    minState(ts) AS first_ts,
    maxState(ts) AS last_ts,
    groupUniqArrayArrayState(arrayMap((f, s) -> concat(f, ':', toString(s)), `funnels.id`, `funnels.step`)) AS funnel_steps
FROM ${database}.events_local
GROUP BY dt, user_id, source, country, browser, device_type;

-- Every insert already builds user_days; users_daily's view would only double that cost.
DROP TABLE IF EXISTS ${database}.users_daily_mv ON CLUSTER ${cluster};
