-- Per (day, user) aggregates: one row per user and UTC day (after merges; query with the -Merge functions and
-- GROUP BY, which is exact before merges too), kept next to the user's events: a materialized view on events_local
-- writes each inserted block's aggregate into users_daily_local on the same shard, which replicates it.
--
-- Exact under retries and replays: counts are uniqExact over event ids (and session ids), first/last are min/max,
-- sets are groupUniqArray: a row that arrives twice (a retried insert, a replay the replay check did not catch, a
-- rebuild over a live day) changes none of them. The most frequent country/browser/device are anyHeavy, a
-- heuristic, over the events as inserted.
--   DAU:                   SELECT dt, uniqExact(user_id) FROM users_daily GROUP BY dt ORDER BY dt
--   events per user-day:   SELECT dt, user_id, uniqExactMerge(events) FROM users_daily GROUP BY dt, user_id
--   days in the last 28:   SELECT user_id, uniqUpTo(28)(dt) FROM users_daily WHERE dt > today() - 28 GROUP BY user_id
-- Rows of events stored before this view existed: tools.Aggregates rebuild --from --to.
CREATE TABLE IF NOT EXISTS ${database}.users_daily_local ON CLUSTER ${cluster}
(
    dt           Date,
    user_id      String,
    uh           UInt64,
    events       AggregateFunction(uniqExact, String),
    sessions     AggregateFunction(uniqExact, String),
    page_views   AggregateFunction(uniqExactIf, String, UInt8),
    first_ts     AggregateFunction(min, DateTime),
    last_ts      AggregateFunction(max, DateTime),
    sources      AggregateFunction(groupUniqArray, String),
    country      AggregateFunction(anyHeavy, String),
    browser      AggregateFunction(anyHeavy, String),
    device_type  AggregateFunction(anyHeavy, String),
    funnel_steps AggregateFunction(groupUniqArrayArray, Array(String))
)
ENGINE = ReplicatedAggregatingMergeTree('/clickhouse/tables/{shard}/${database}/users_daily_local', '{replica}')
PARTITION BY dt
ORDER BY (dt, uh, user_id)
SAMPLE BY uh;

-- The Distributed table takes its columns from the shards' table (no MATERIALIZED column here to forward).
CREATE TABLE IF NOT EXISTS ${database}.users_daily ON CLUSTER ${cluster} AS ${database}.users_daily_local
ENGINE = Distributed(${cluster}, ${database}, users_daily_local, uh);

-- Funnel steps as 'funnel:step' strings. The LowCardinality columns are cast to String: 18.16 keeps the
-- argument's type in the state's type otherwise.
CREATE MATERIALIZED VIEW IF NOT EXISTS ${database}.users_daily_mv ON CLUSTER ${cluster}
TO ${database}.users_daily_local
AS SELECT
    dt,
    user_id,
    cityHash64(user_id) AS uh,
    uniqExactState(event_id) AS events,
    uniqExactState(session_id) AS sessions,
    uniqExactIfState(event_id, toUInt8(event_type = 'page_view')) AS page_views,
    minState(ts) AS first_ts,
    maxState(ts) AS last_ts,
    groupUniqArrayState(CAST(source AS String)) AS sources,
    anyHeavyState(CAST(country AS String)) AS country,
    anyHeavyState(CAST(browser AS String)) AS browser,
    anyHeavyState(CAST(device_type AS String)) AS device_type,
    groupUniqArrayArrayState(arrayMap((f, s) -> concat(f, ':', toString(s)), `funnels.id`, `funnels.step`)) AS funnel_steps
FROM ${database}.events_local
GROUP BY dt, user_id;
