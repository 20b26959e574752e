-- Per (day, object) aggregates: one row per page (its URL without query string and fragment, object_key 'url')
-- and per value of each property key listed in object_keys (e.g. item_id) per UTC day: events, page views, unique
-- users, sessions, and entries (sessions that began there). Kept by materialized views on events_local, as
-- users_daily is, and exact under retries and replays the same way (uniqExact over ids). A shard holds the part of
-- an object's day its users made; the Distributed table merges the shards' states:
--   SELECT object, uniqExactIfMerge(page_views) AS views, uniqExactMerge(users) AS users
--   FROM objects_daily WHERE object_key = 'url' AND dt = yesterday() GROUP BY object ORDER BY views DESC LIMIT 20
-- Exits need a session's last event, which later events change: they come from the sessions table (exit_url).
--
-- object_keys: the property keys counted as objects, changeable while the job runs (INSERT INTO object_keys
-- VALUES ('item_id'); one replicated table shared by every node, so each node's view sees the same list; rows
-- inserted from then on count). tools.Aggregates rebuild recomputes past days with the current list.
CREATE TABLE IF NOT EXISTS ${database}.object_keys ON CLUSTER ${cluster}
(
    key String
)
ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/all/${database}/object_keys', '{replica}')
ORDER BY key;

CREATE TABLE IF NOT EXISTS ${database}.objects_daily_local ON CLUSTER ${cluster}
(
    dt         Date,
    object_key String,
    object     String,
    events     AggregateFunction(uniqExact, String),
    page_views AggregateFunction(uniqExactIf, String, UInt8),
    users      AggregateFunction(uniqExact, String),
    sessions   AggregateFunction(uniqExact, String),
    entries    AggregateFunction(uniqExactIf, String, UInt8)
)
ENGINE = ReplicatedAggregatingMergeTree('/clickhouse/tables/{shard}/${database}/objects_daily_local', '{replica}')
PARTITION BY dt
ORDER BY (dt, object_key, object);

-- The Distributed table takes its columns from the shards' table (no MATERIALIZED column here to forward).
CREATE TABLE IF NOT EXISTS ${database}.objects_daily ON CLUSTER ${cluster} AS ${database}.objects_daily_local
ENGINE = Distributed(${cluster}, ${database}, objects_daily_local, rand());

CREATE MATERIALIZED VIEW IF NOT EXISTS ${database}.objects_daily_url_mv ON CLUSTER ${cluster}
TO ${database}.objects_daily_local
AS SELECT
    dt,
    'url' AS object_key,
    cutQueryStringAndFragment(url) AS object,
    uniqExactState(event_id) AS events,
    uniqExactIfState(event_id, toUInt8(event_type = 'page_view')) AS page_views,
    uniqExactState(user_id) AS users,
    uniqExactState(session_id) AS sessions,
    uniqExactIfState(session_id, toUInt8(session_index = 0)) AS entries
FROM ${database}.events_local
WHERE url != ''
GROUP BY dt, object_key, object;

CREATE MATERIALIZED VIEW IF NOT EXISTS ${database}.objects_daily_keys_mv ON CLUSTER ${cluster}
TO ${database}.objects_daily_local
AS SELECT
    dt,
    k AS object_key,
    v AS object,
    uniqExactState(event_id) AS events,
    uniqExactIfState(event_id, toUInt8(event_type = 'page_view')) AS page_views,
    uniqExactState(user_id) AS users,
    uniqExactState(session_id) AS sessions,
    uniqExactIfState(session_id, toUInt8(session_index = 0)) AS entries
FROM ${database}.events_local
ARRAY JOIN `props.key` AS k, `props.value` AS v
WHERE k IN (SELECT key FROM ${database}.object_keys) AND v != ''
GROUP BY dt, object_key, object;
