-- Events: one row per accepted input event, with its session, geo and device.
-- Runs on ClickHouse 18.16 and current versions. Placeholders: ${database}, ${cluster} (tools.Migrate fills
-- them in). Statements end with ';' at the end of a line.
--
-- events_local: one ReplicatedReplacingMergeTree per replica (macros {shard}/{replica}). Rows with the same
-- sorting key collapse on merge to the highest `version` (the Kafka record time), so a replayed event is stored
-- once after merges, and at once with FINAL.
-- uh: the user hash, MATERIALIZED so that FINAL and SAMPLE work together on 18.16.
-- funnels: the funnels the event advanced and the step (1-based) it reached in each (docs/funnels.md).
-- ts has second precision (no DateTime64 on 18.16); ts_ms holds the milliseconds.
CREATE TABLE IF NOT EXISTS ${database}.events_local ON CLUSTER ${cluster}
(
    dt              Date,
    ts              DateTime,
    ts_ms           UInt16,
    event_id        String,
    user_id         String,
    uh              UInt64 MATERIALIZED cityHash64(user_id),
    event_type      LowCardinality(String),
    source          LowCardinality(String),
    url             String,
    referrer        String,
    ip              String,
    user_agent      String,
    props           Nested(key String, value String),
    kafka_topic     LowCardinality(String),
    kafka_partition UInt32,
    kafka_offset    UInt64,
    version         UInt64,
    country_code    LowCardinality(String),
    country         LowCardinality(String),
    region          LowCardinality(String),
    city            String,
    latitude        Nullable(Float64),
    longitude       Nullable(Float64),
    browser         LowCardinality(String),
    browser_version LowCardinality(String),
    os              LowCardinality(String),
    os_version      LowCardinality(String),
    device_type     LowCardinality(String),
    is_bot          UInt8,
    session_id      String,
    session_number  UInt32,
    session_index   UInt32,
    funnels         Nested(id String, step UInt8)
)
ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/${database}/events_local', '{replica}', version)
PARTITION BY dt
ORDER BY (event_type, uh, ts, event_id)
SAMPLE BY uh;

-- events: what the job inserts into and analysts query. Sharded by the user hash, so all events of a user
-- live on one shard (per-user queries and session analysis stay local to a shard). Its columns are spelled out
-- rather than copied (AS events_local): a MATERIALIZED uh here would be forwarded to the shards, which 18.16
-- refuses (Code 44), so here uh is an ALIAS.
CREATE TABLE IF NOT EXISTS ${database}.events ON CLUSTER ${cluster}
(
    dt              Date,
    ts              DateTime,
    ts_ms           UInt16,
    event_id        String,
    user_id         String,
    uh              UInt64 ALIAS cityHash64(user_id),
    event_type      LowCardinality(String),
    source          LowCardinality(String),
    url             String,
    referrer        String,
    ip              String,
    user_agent      String,
    props           Nested(key String, value String),
    kafka_topic     LowCardinality(String),
    kafka_partition UInt32,
    kafka_offset    UInt64,
    version         UInt64,
    country_code    LowCardinality(String),
    country         LowCardinality(String),
    region          LowCardinality(String),
    city            String,
    latitude        Nullable(Float64),
    longitude       Nullable(Float64),
    browser         LowCardinality(String),
    browser_version LowCardinality(String),
    os              LowCardinality(String),
    os_version      LowCardinality(String),
    device_type     LowCardinality(String),
    is_bot          UInt8,
    session_id      String,
    session_number  UInt32,
    session_index   UInt32,
    funnels         Nested(id String, step UInt8)
)
ENGINE = Distributed(${cluster}, ${database}, events_local, cityHash64(user_id));
