-- Session columns (SessionOperator): the session's id (from user and session start), the user's session number and
-- the event's index inside the session. Same pattern as V002: ALTER the local tables, re-create the Distributed one.
ALTER TABLE ${database}.events_local ON CLUSTER ${cluster}
    ADD COLUMN session_id     String AFTER is_bot,
    ADD COLUMN session_number UInt32 AFTER session_id,
    ADD COLUMN session_index  UInt32 AFTER session_number;

DROP TABLE IF EXISTS ${database}.events ON CLUSTER ${cluster};

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
    session_index   UInt32
)
ENGINE = Distributed(${cluster}, ${database}, events_local, cityHash64(user_id));
