-- A session a late event merged into an earlier one, or renamed after an earlier event (its id derives from its
-- earliest event), is retired: a row with retired = 1 and a version one above its last row's replaces it. Reports
-- read the current rows: FROM sessions FINAL WHERE NOT retired (docs/processing.md "Late events").
ALTER TABLE ${database}.sessions_local ON CLUSTER ${cluster} ADD COLUMN retired UInt8;

-- The Distributed table is made again with the column, as in V005.
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
    record_time    UInt64,
    retired        UInt8
)
ENGINE = Distributed(${cluster}, ${database}, sessions_local, cityHash64(user_id));
