-- error_log: the values of an event that did not fit the column a schema file declares for them (issue 29;
-- docs/schema.md): the column's name, the value as the event sent it (cut at 1,000 characters; the whole value stays
-- in props) and why (wrong_type, not_a_number, not_an_integer, out_of_range, too_many_decimals, bad_format). The
-- column holds its default and the event is stored. Rows written before this column existed read empty arrays.
ALTER TABLE ${database}.events_local ON CLUSTER ${cluster} ADD COLUMN error_log.field Array(String);

ALTER TABLE ${database}.events_local ON CLUSTER ${cluster} ADD COLUMN error_log.value Array(String);

ALTER TABLE ${database}.events_local ON CLUSTER ${cluster} ADD COLUMN error_log.reason Array(String);

-- The Distributed table is made again with the columns, as in V005 (18.16 refuses an ALTER ON CLUSTER of a table that
-- is not replicated on a cluster whose shards are). It holds no rows (the job inserts synchronously); an insert in
-- the moment between is refused and retried by the sink.
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
    session_index   UInt32,
    funnels         Nested(id String, step UInt8),
    error_log       Nested(field String, value String, reason String)
)
ENGINE = Distributed(${cluster}, ${database}, events_local, cityHash64(user_id));
