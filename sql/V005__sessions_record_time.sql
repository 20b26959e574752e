-- The newest record time (Kafka timestamp, epoch ms) of the inputs behind each session row: tools.Erase deletes a
-- user's rows from before the erasure (record_time at or before it) and keeps a session the user started afresh
-- after it. Rows written before this column existed read 0: from before any erasure made with it.
ALTER TABLE ${database}.sessions_local ON CLUSTER ${cluster} ADD COLUMN record_time UInt64;

-- The Distributed table is made again with the column: 18.16 refuses an ALTER ON CLUSTER of a table that is not
-- replicated on a cluster whose shards are ("Table sessions isn't replicated, but shard #2 is replicated"). It holds
-- no rows (the job inserts synchronously); an insert in the moment between is refused and retried by the sink.
DROP TABLE IF EXISTS ${database}.sessions ON CLUSTER ${cluster};

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
    version        UInt64,
    record_time    UInt64
)
ENGINE = Distributed(${cluster}, ${database}, sessions_local, cityHash64(user_id));
