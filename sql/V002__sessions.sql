-- Sessions: one row per session, re-inserted as the session grows; ReplicatedReplacingMergeTree keeps the row with
-- the most events (version). Sharded like events (by user), so all updates of a session meet on one shard and
-- FINAL collapses them. dt is the UTC day of the session's first seen event (its id's origin).
--   SELECT dt, count() AS sessions, sum(page_views) AS page_views FROM sessions FINAL GROUP BY dt ORDER BY dt
CREATE TABLE IF NOT EXISTS ${database}.sessions_local ON CLUSTER ${cluster}
(
    dt             Date,
    session_id     String,
    user_id        String,
    uh             UInt64 MATERIALIZED cityHash64(user_id),
    session_number UInt32,
    start          DateTime,
    end            DateTime,
    duration_s     UInt32,
    events         UInt32,
    page_views     UInt32,
    entry_url      String,
    exit_url       String,
    referrer       String,
    sources        Array(String),
    country_code   LowCardinality(String),
    country        LowCardinality(String),
    region         LowCardinality(String),
    city           String,
    browser        LowCardinality(String),
    os             LowCardinality(String),
    device_type    LowCardinality(String),
    is_bot         UInt8,
    version        UInt64
)
ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/${database}/sessions_local', '{replica}', version)
PARTITION BY dt
ORDER BY (uh, session_id)
SAMPLE BY uh;

CREATE TABLE IF NOT EXISTS ${database}.sessions ON CLUSTER ${cluster}
(
    dt             Date,
    session_id     String,
    user_id        String,
    uh             UInt64 ALIAS cityHash64(user_id),
    session_number UInt32,
    start          DateTime,
    end            DateTime,
    duration_s     UInt32,
    events         UInt32,
    page_views     UInt32,
    entry_url      String,
    exit_url       String,
    referrer       String,
    sources        Array(String),
    country_code   LowCardinality(String),
    country        LowCardinality(String),
    region         LowCardinality(String),
    city           String,
    browser        LowCardinality(String),
    os             LowCardinality(String),
    device_type    LowCardinality(String),
    is_bot         UInt8,
    version        UInt64
)
ENGINE = Distributed(${cluster}, ${database}, sessions_local, cityHash64(user_id));
