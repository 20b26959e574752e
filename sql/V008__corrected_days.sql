-- The (day, user) pairs whose events a late event's correction wrote again. The aggregates (user_days,
-- objects_daily) are states merged from the rows as inserted, and a state cannot take back what an older row put
-- in: the session id a merge retired, a funnel tag a row lost, an entry that is no longer one. So the rows of such a
-- user-day in user_days are not current, and the current figures of a user-day listed here are counted from its
-- current events instead (events FINAL): exact either way, each user-day from exactly one of the two.
-- The current user-days, with the same columns as user_days (split and sample both as there):
--   SELECT dt, user_id, source, events, sessions, page_views, funnel_steps FROM user_days
--   WHERE (dt, uh, user_id) NOT IN (SELECT dt, uh, user_id FROM corrected_days_local)
--   UNION ALL
--   SELECT dt, user_id, CAST(source AS String) AS source, uniqExactState(event_id) AS events,
--       uniqExactState(session_id) AS sessions,
--       uniqExactIfState(event_id, toUInt8(event_type = 'page_view')) AS page_views,
--       groupUniqArrayArrayState(arrayMap((f, s) -> concat(f, ':', toString(s)), `funnels.id`, `funnels.step`))
--           AS funnel_steps
--   FROM events FINAL WHERE (dt, uh, user_id) IN (SELECT dt, uh, user_id FROM corrected_days_local)
--   GROUP BY dt, user_id, source
-- (tools.Report and tools.Quality read them so; the IN reads each shard's own list, which holds its users' days.)
-- A pair is written before the rows it corrects: while a correction runs, its user-day is already counted from the
-- events, where every event is once (at its old or its new version, never both). tools.Aggregates rebuild of a
-- day empties the day's list (a partition per day) and counts its aggregates from the current events: the
-- reports read user_days alone for it again.
CREATE TABLE IF NOT EXISTS ${database}.corrected_days_local ON CLUSTER ${cluster}
(
    dt      Date,
    user_id String,
    uh      UInt64 MATERIALIZED cityHash64(user_id)
)
ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/${database}/corrected_days_local', '{replica}')
PARTITION BY dt
ORDER BY (dt, uh, user_id);

-- Sharded by the user as events and user_days are, so that each shard's list names the user-days it holds.
CREATE TABLE IF NOT EXISTS ${database}.corrected_days ON CLUSTER ${cluster}
(
    dt      Date,
    user_id String,
    uh      UInt64 ALIAS cityHash64(user_id)
)
ENGINE = Distributed(${cluster}, ${database}, corrected_days_local, cityHash64(user_id));
