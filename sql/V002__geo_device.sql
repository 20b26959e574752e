-- Geo (from ip) and device (from user_agent) columns.
-- 18.16 has neither ADD COLUMN IF NOT EXISTS nor ALTER ON CLUSTER for Distributed tables: the local tables get
-- one ALTER each (replicated, so it reaches every replica), the Distributed table is dropped and created anew
-- (it holds no data; inserts arriving in the moment between fail and are retried by the sink).
ALTER TABLE ${database}.events_local ON CLUSTER ${cluster}
    ADD COLUMN country_code    LowCardinality(String) AFTER version,
    ADD COLUMN country         LowCardinality(String) AFTER country_code,
    ADD COLUMN region          LowCardinality(String) AFTER country,
    ADD COLUMN city            String AFTER region,
    ADD COLUMN latitude        Nullable(Float64) AFTER city,
    ADD COLUMN longitude       Nullable(Float64) AFTER latitude,
    ADD COLUMN browser         LowCardinality(String) AFTER longitude,
    ADD COLUMN browser_version LowCardinality(String) AFTER browser,
    ADD COLUMN os              LowCardinality(String) AFTER browser_version,
    ADD COLUMN os_version      LowCardinality(String) AFTER os,
    ADD COLUMN device_type     LowCardinality(String) AFTER os_version,
    ADD COLUMN is_bot          UInt8 AFTER device_type;

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
    is_bot          UInt8
)
ENGINE = Distributed(${cluster}, ${database}, events_local, cityHash64(user_id));
