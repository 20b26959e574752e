package io.clickstream.etl.config;

import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * Every setting of the job in one place. flink-conf/clickstream.yaml is the commented reference; a test keeps
 * the two in step. Flink's own settings (parallelism, checkpointing, state backend, restart strategy) stay in
 * Flink's configuration.
 */
public final class Options {
    private Options() {}

    // ------------------------------------------------------------------------------------------------ Kafka

    public static final ConfigOption<String> KAFKA_BOOTSTRAP_SERVERS = string(
            "kafka.bootstrap-servers",
            "127.0.0.1:9092",
            "Kafka brokers to read events from and write dead letters to.");

    public static final ConfigOption<List<String>> KAFKA_TOPICS = list(
            "kafka.topics",
            "clickstream-web,clickstream-app,clickstream-backend",
            "Topics holding JSON events, keyed by user_id. An event without a 'source' field gets its topic as source.");

    public static final ConfigOption<String> KAFKA_GROUP_ID = string(
            "kafka.group-id",
            "clickstream-etl",
            "Consumer group; offsets are committed to it on each completed checkpoint.");

    public static final ConfigOption<String> KAFKA_START_FROM = new Builder<>(
                    "kafka.start-from", "string", Parsers::string)
            .defaultValue("group-offsets")
            .check(v ->
                    List.of("earliest", "latest", "group-offsets", "timestamp").contains(v)
                            ? null
                            : "expected earliest, latest, group-offsets or timestamp")
            .describe("Where a job without a checkpoint or savepoint starts: earliest, latest, group-offsets "
                    + "(the group's committed offsets, falling back to kafka.group-offsets-reset) or timestamp "
                    + "(kafka.start-timestamp). A restored job always continues from its checkpoint.");

    public static final ConfigOption<String> KAFKA_START_TIMESTAMP = new Builder<>(
                    "kafka.start-timestamp", "string", Parsers::string)
            .check(v -> {
                try {
                    Timestamps.parseMillis(v);
                    return null;
                } catch (IllegalArgumentException e) {
                    return e.getMessage();
                }
            })
            .describe("With kafka.start-from: timestamp, the first record time to read: epoch milliseconds or "
                    + "ISO-8601 (2026-11-22T08:00:00Z).");

    public static final ConfigOption<String> KAFKA_GROUP_OFFSETS_RESET = new Builder<>(
                    "kafka.group-offsets-reset", "string", Parsers::string)
            .defaultValue("earliest")
            .check(v -> List.of("earliest", "latest").contains(v) ? null : "expected earliest or latest")
            .describe("With kafka.start-from: group-offsets, where partitions without a committed offset start.");

    public static final ConfigOption<Boolean> KAFKA_BOUNDED = bool(
            "kafka.bounded",
            "false",
            "Stop at the offsets that are the latest when the job starts (backfills, tests). "
                    + "False: run until cancelled.");

    public static final ConfigOption<Integer> KAFKA_TOPIC_REPLICATION = new Builder<>(
                    "kafka.topic-replication-factor", "integer", Parsers::integer)
            .check(positiveInt())
            .describe(
                    "Replication factor of the topics the job and its tools create (the backfill, funnel definitions, "
                            + "erasure list and import-progress topics, generated test topics). Unset: the brokers' "
                            + "default.replication.factor.");

    public static final ConfigOption<Duration> KAFKA_PARTITION_DISCOVERY = duration(
            "kafka.partition-discovery-interval", "60s", "How often new partitions of the topics are picked up.");

    public static final ConfigOption<Duration> KAFKA_BACKLOG_LAG = durationOrZero(
            "kafka.backlog-lag",
            "30s",
            "A source subtask reads a backlog while the newest record it read (about every thousand records) was "
                    + "published at least this long ago; it tells Flink, which then checkpoints at "
                    + "execution.checkpointing.interval-during-backlog instead of execution.checkpointing.interval "
                    + "(Flink's setting; flink-conf/config.yaml): fewer checkpoints while catching up, so larger "
                    + "inserts and fewer Redis writes. 0s: never reports a backlog.");

    public static final ConfigOption<String> DEAD_LETTER_TOPIC = string(
            "kafka.dead-letter-topic",
            "clickstream-dead-letter",
            "Topic receiving every rejected input with its reason, as JSON.");

    // ----------------------------------------------------------------------------------------- Event time

    public static final ConfigOption<Duration> EVENT_TIME_OUT_OF_ORDERNESS = durationOrZero(
            "event-time.max-out-of-orderness",
            "500ms",
            "How far out of time order the events of one partition may arrive and still be put in order: "
                    + "each user's events wait until the watermark (the partitions' newest event time minus this) "
                    + "passes them, then get their sessions and funnel tags in (time, event id) order. This is the "
                    + "latency it adds live; an event later than this is processed at once and counted as late.");

    public static final ConfigOption<Duration> EVENT_TIME_IDLE_TIMEOUT = duration(
            "event-time.idle-timeout",
            "2s",
            "A partition without records for this long stops holding the watermark back (a quiet topic must not "
                    + "stall the others); one that has delivered nothing yet is waited for at least 10 s. Once every "
                    + "partition has been quiet this long, the wall clock stands in for the watermark for the events "
                    + "held then.");

    public static final ConfigOption<Duration> EVENT_TIME_MAX_DRIFT = duration(
            "event-time.max-drift",
            "1min",
            "Watermark alignment: a partition whose event time is this far ahead of the slowest one is paused, so "
                    + "that a catch-up reads all topics in step and the events held for ordering stay few (about "
                    + "this much event time's worth of the faster partitions). Not in a bounded run (kafka.bounded): "
                    + "Flink's Kafka connector 5.0.0 fails a partition that alignment pauses as it ends (FLINK-39728).");

    public static final ConfigOption<Duration> EVENT_TIME_MAX_SOURCE_DELAY = durationOrZero(
            "event-time.max-source-delay",
            "0s",
            "How far a live partition's watermark may stay behind the newest time its records were published (0: no "
                    + "bound). A source whose events always arrive late (an hour, say) holds the watermark, and by "
                    + "alignment every other topic, back by that much: all live events wait as long. With a bound, "
                    + "that source's events beyond it count as late (processed on arrival, in no event-time order) "
                    + "and the other topics' latency stays within it. A catch-up is not affected (its records were "
                    + "published long ago too), nor is backfill.topic.");

    public static final ConfigOption<Duration> EVENT_TIME_ALIGNMENT_INTERVAL = duration(
            "event-time.alignment-update-interval",
            "200ms",
            "How often the parallel readers agree on the slowest partition's event time (watermark alignment).");

    // ----------------------------------------------------------------------------------------- Validation

    public static final ConfigOption<Long> MAX_EVENT_BYTES = new Builder<>(
                    "validation.max-event-bytes", "size", Parsers::bytes)
            .defaultValue("64kb")
            .check(positive())
            .describe("Larger messages are rejected as 'oversize' before parsing.");

    public static final ConfigOption<Integer> MAX_FIELD_LENGTH = new Builder<>(
                    "validation.max-field-length", "integer", Parsers::integer)
            .defaultValue("8192")
            .check(positiveInt())
            .describe("Longest url, referrer, user agent or property value, in characters.");

    public static final ConfigOption<Integer> MAX_PROPERTIES = new Builder<>(
                    "validation.max-properties", "integer", Parsers::integer)
            .defaultValue("100")
            .check(positiveInt())
            .describe("Most entries in an event's 'properties' object.");

    public static final ConfigOption<Duration> MAX_FUTURE_SKEW = duration(
            "validation.max-future-skew",
            "1h",
            "Latest accepted event time, after the Kafka record's timestamp (clock skew of producers); neither the "
                    + "event time nor the record's timestamp may be later than the job's clock plus this (a record "
                    + "stamped a year ahead is a dead letter, not an event held until then).");

    public static final ConfigOption<Duration> MAX_EVENT_AGE = duration(
            "validation.max-event-age",
            "30d",
            "Earliest accepted event time, before the Kafka record's timestamp (late or replayed devices). "
                    + "Measured against the record, not the wall clock, so a replay accepts the same events.");

    // ----------------------------------------------------------------------------------------- ClickHouse

    public static final ConfigOption<List<String>> CLICKHOUSE_URLS = list(
            "clickhouse.urls",
            "http://127.0.0.1:8123",
            "HTTP endpoints of ClickHouse nodes; inserts go to the first that answers, the others are failover.");

    public static final ConfigOption<String> CLICKHOUSE_USER = string(
            "clickhouse.user",
            "default",
            "ClickHouse user. The password comes from clickhouse.password-file or the environment variable "
                    + "CLICKSTREAM_CLICKHOUSE_PASSWORD, never from this file or the command line.");

    public static final ConfigOption<String> CLICKHOUSE_PASSWORD_FILE =
            string("clickhouse.password-file", null, "File whose first line is the ClickHouse password.");

    public static final ConfigOption<String> CLICKHOUSE_PASSWORD = new Builder<>(
                    "clickhouse.password", "string", Parsers::string)
            .secret()
            .describe("Set only through CLICKSTREAM_CLICKHOUSE_PASSWORD.");

    public static final ConfigOption<String> CLICKHOUSE_DATABASE = new Builder<>(
                    "clickhouse.database", "string", Parsers::string)
            .defaultValue("clickstream")
            .check(identifier())
            .describe("Database holding the tables of sql/.");

    public static final ConfigOption<String> CLICKHOUSE_CLUSTER = new Builder<>(
                    "clickhouse.cluster", "string", Parsers::string)
            .defaultValue("clickstream_cluster")
            .check(identifier())
            .describe("Cluster name in the servers' remote_servers, used by the migrations' ON CLUSTER DDL.");

    public static final ConfigOption<String> CLICKHOUSE_TABLE = new Builder<>(
                    "clickhouse.table", "string", Parsers::string)
            .defaultValue("events")
            .check(identifier())
            .describe("The Distributed table events are inserted into.");

    public static final ConfigOption<String> CLICKHOUSE_SESSIONS_TABLE = new Builder<>(
                    "clickhouse.sessions-table", "string", Parsers::string)
            .defaultValue("sessions")
            .check(identifier())
            .describe("The Distributed table session rows are inserted into.");

    public static final ConfigOption<Integer> SINK_BATCH_ROWS = new Builder<>(
                    "clickhouse.sink.batch-rows", "integer", Parsers::integer)
            .defaultValue("100000")
            .check(positiveInt())
            .describe("A batch is sent when it holds this many rows ...");

    public static final ConfigOption<Long> SINK_BATCH_BYTES = new Builder<>(
                    "clickhouse.sink.batch-bytes", "size", Parsers::bytes)
            .defaultValue("32mb")
            .check(positive())
            .describe("... or this many encoded bytes ...");

    public static final ConfigOption<Duration> SINK_FLUSH_INTERVAL = duration(
            "clickhouse.sink.flush-interval",
            "500ms",
            "... or when its first row is this old (checked four times per interval, so a row waits up to 1.25 "
                    + "times this; with the insert that bounds the latency). Every checkpoint also flushes.");

    public static final ConfigOption<Duration> SINK_CATCH_UP_FLUSH_INTERVAL = duration(
            "clickhouse.sink.catch-up-flush-interval",
            "15s",
            "... or, while the job is catching up (see catch-up-lag), when its first row is this old; meanwhile "
                    + "checkpoints keep the partial batch in their state instead of inserting it: fewer, larger "
                    + "inserts, as each insert is a part that every replica merges and registers in ZooKeeper. At or "
                    + "below flush-interval: off.");

    public static final ConfigOption<Duration> SINK_CATCH_UP_LAG = duration(
            "clickhouse.sink.catch-up-lag",
            "30s",
            "The job is catching up (a start from earliest, a replay, an outage's backlog) while the newest buffered "
                    + "row was at least this late by its Kafka timestamp when it reached the sink. Well above what a "
                    + "large insert adds, or a live job that fell this far behind once stays in catch-up mode, kept "
                    + "behind by its own large inserts.");

    public static final ConfigOption<Boolean> SINK_CATCH_UP_HOLD = bool(
            "clickhouse.sink.catch-up-hold",
            "false",
            "While catching up, keep the partial batch in the checkpoint instead of inserting it at the barrier: "
                    + "inserts as large as batch-rows and batch-bytes allow, which ClickHouse stores at about a third "
                    + "of the cost per row (docs/benchmarks.md). Only for jobs that are resumed from their checkpoints "
                    + "or savepoints (Flink HA, flink run -s): a job started afresh from the group's committed offsets "
                    + "would skip the rows the last checkpoint held.");

    public static final ConfigOption<Integer> SINK_MAX_IN_FLIGHT = new Builder<>(
                    "clickhouse.sink.max-in-flight", "integer", Parsers::integer)
            .defaultValue("1")
            .check(positiveInt())
            .describe("Batches being inserted while the next one fills; the writer blocks (back-pressure) beyond.");

    public static final ConfigOption<Integer> SINK_MAX_RETRIES = new Builder<>(
                    "clickhouse.sink.max-retries", "integer", Parsers::integer)
            .defaultValue("8")
            .check(v -> v >= 0 ? null : "must be 0 or more")
            .describe("Retries of a failed insert before the job fails (and restarts from its last checkpoint).");

    public static final ConfigOption<Duration> SINK_RETRY_BACKOFF = duration(
            "clickhouse.sink.retry-backoff", "500ms", "Wait before the first retry; doubles on each further retry.");

    public static final ConfigOption<Duration> SINK_RETRY_MAX_BACKOFF =
            duration("clickhouse.sink.retry-max-backoff", "30s", "Longest wait between two retries.");

    public static final ConfigOption<Duration> SINK_REQUEST_TIMEOUT =
            duration("clickhouse.sink.request-timeout", "60s", "Socket timeout of one insert request.");

    public static final ConfigOption<Boolean> SINK_DISTRIBUTED_SYNC = bool(
            "clickhouse.sink.insert-distributed-sync",
            "true",
            "Insert returns once every shard has the rows (insert_distributed_sync=1), so a checkpoint "
                    + "means the data is on the shards, not only queued on the node that took the insert.");

    public static final ConfigOption<Boolean> SINK_REPLAY_CHECK = bool(
            "clickhouse.sink.replay-check",
            "true",
            "Before an insert, look up rows an earlier run may have stored (a restore or a rewind re-reads them) and "
                    + "leave out those found, so a replay stores each event once without FINAL. Marks in Redis "
                    + "(<prefix>:inserted:<database.table>) say which rows to look up; in steady state none are.");

    // ---------------------------------------------------------------------------------------------- Redis

    public static final ConfigOption<String> REDIS_HOST =
            string("redis.host", "127.0.0.1", "Redis holding the session state.");

    public static final ConfigOption<Integer> REDIS_PORT = new Builder<>("redis.port", "integer", Parsers::integer)
            .defaultValue("6379")
            .check(v -> v > 0 && v < 65536 ? null : "expected a port number")
            .describe("Redis port.");

    public static final ConfigOption<List<String>> REDIS_CLUSTER_NODES = new Builder<>(
                    "redis.cluster-nodes", "list", Parsers::list)
            .describe("Seed nodes (host:port, comma-separated) of a Redis Cluster holding the state instead of "
                    + "redis.host; unset: one Redis server at redis.host. A few masters are enough: the client finds "
                    + "the rest, follows MOVED/ASK and a failover.");

    public static final ConfigOption<Boolean> REDIS_TLS = bool(
            "redis.tls",
            "false",
            "Connect to Redis (every node of a cluster) over TLS. The server's certificate must be signed by a "
                    + "certificate of redis.tls.trust-store and name the host connected to.");

    public static final ConfigOption<String> REDIS_TLS_TRUST_STORE = string(
            "redis.tls.trust-store",
            null,
            "PKCS12 or JKS file with the CA certificates Redis's certificate is checked against; unset: the JVM's "
                    + "default ones. Its password, if any: CLICKSTREAM_REDIS_TLS_TRUST_STORE_PASSWORD or "
                    + "redis.tls.trust-store-password-file.");

    public static final ConfigOption<String> REDIS_TLS_TRUST_STORE_PASSWORD_FILE =
            string("redis.tls.trust-store-password-file", null, "File whose first line is the trust store's password.");

    public static final ConfigOption<String> REDIS_TLS_TRUST_STORE_PASSWORD = new Builder<>(
                    "redis.tls.trust-store-password", "string", Parsers::string)
            .secret()
            .describe("Set only through CLICKSTREAM_REDIS_TLS_TRUST_STORE_PASSWORD.");

    public static final ConfigOption<String> REDIS_USER = string(
            "redis.user",
            null,
            "Redis ACL user, if any. The password comes from CLICKSTREAM_REDIS_PASSWORD or redis.password-file.");

    public static final ConfigOption<String> REDIS_PASSWORD_FILE =
            string("redis.password-file", null, "File whose first line is the Redis password.");

    public static final ConfigOption<String> REDIS_PASSWORD = new Builder<>("redis.password", "string", Parsers::string)
            .secret()
            .describe("Set only through CLICKSTREAM_REDIS_PASSWORD.");

    public static final ConfigOption<Duration> REDIS_TIMEOUT = duration(
            "redis.timeout",
            "2s",
            "Connect and read timeout of a Redis call; a call that fails for a passing reason is retried with backoff "
                    + "while the job waits (10 timeouts in a row fail the job).");

    public static final ConfigOption<String> REDIS_KEY_PREFIX =
            string("redis.key-prefix", "clickstream", "Prefix of every key the job writes: <prefix>:user:<user_id>.");

    public static final ConfigOption<Integer> REDIS_BATCH_SIZE = new Builder<>(
                    "redis.batch-size", "integer", Parsers::integer)
            .defaultValue("5000")
            .check(positiveInt())
            .describe(
                    "Events per Redis batch in each Redis-backed step (sessions, funnels, joins): at most two round trips "
                            + "per batch and step. Batches reach it only when events come faster than batch-delay lets them "
                            + "collect (catching up). Formerly session.batch-size (still read, with a warning).");

    public static final ConfigOption<Duration> REDIS_BATCH_DELAY = duration(
            "redis.batch-delay",
            "100ms",
            "Longest wait for a batch to fill; bounds the latency each Redis-backed step adds. Formerly "
                    + "session.batch-delay (still read, with a warning).");

    public static final ConfigOption<Integer> REDIS_CACHE_SIZE = new Builder<>(
                    "redis.cache-size", "integer", Parsers::integer)
            .defaultValue("100000")
            .check(positiveInt())
            .describe(
                    "User states (sessions, funnel progress, joined values) kept in memory per parallel task; each task "
                            + "is the only writer of its users. Formerly session.cache-size (still read, with a warning).");

    public static final ConfigOption<Duration> REDIS_HOLD_WRITES_LAG = durationOrZero(
            "redis.hold-writes-lag",
            "30s",
            "While the per-user step is catching up (a batch's newest event published at least this long ago, by its "
                    + "Kafka timestamp), a user's changes wait in the task for the next checkpoint barrier: a user with "
                    + "many events in the backlog is written to Redis once per checkpoint instead of once per batch. "
                    + "Live, each batch writes the users it changed, so that a barrier has little to write and stops "
                    + "the step only briefly. 0s: always wait for the barrier.");

    public static final ConfigOption<Duration> REDIS_REJECTED_ROWS_TTL = duration(
            "redis.rejected-rows-ttl",
            "90d",
            "How long the record of a row ClickHouse refused (sent as a dead letter) is kept, so that a replay of its "
                    + "input does not send it again: at least as long as Kafka keeps the topics.");

    // -------------------------------------------------------------------------------------------- Sessions

    public static final ConfigOption<Duration> SESSION_GAP =
            duration("session.gap", "30min", "Inactivity that ends a session.");

    public static final ConfigOption<String> SESSION_MIDNIGHT_ZONE = new Builder<>(
                    "session.split-at-midnight", "string", Parsers::string)
            .check(v -> {
                try {
                    java.time.ZoneId.of(v);
                    return null;
                } catch (java.time.DateTimeException e) {
                    return "expected a time zone such as Europe/Berlin or UTC";
                }
            })
            .describe("Time zone whose midnight ends every session. Unset: sessions may span midnight.");

    public static final ConfigOption<Duration> SESSION_MAX_LENGTH = new Builder<>(
                    "session.max-length", "duration", Parsers::duration)
            .check(d -> d.isNegative() || d.isZero() ? "must be more than zero" : null)
            .describe("Longest session from first to last event; a later event starts a new one. Unset: no limit.");

    public static final ConfigOption<Duration> SESSION_HISTORY = duration(
            "session.history",
            "48h",
            "How far back sessions are remembered event by event: replays and late events within it get exactly "
                    + "their first answers (the replay window).");

    public static final ConfigOption<Duration> SESSION_STATE_TTL = duration(
            "session.state-ttl",
            "90d",
            "A user's state expires after this long without events; a user back after longer starts at session 1.");

    public static final ConfigOption<Integer> SESSION_MAX_EVENTS = new Builder<>(
                    "session.max-remembered-events", "integer", Parsers::integer)
            .defaultValue("10000")
            .check(positiveInt())
            .describe("Events remembered per session (12 bytes each in Redis); later events of a longer session "
                    + "still get indexes, but replays of them are not guaranteed the same.");

    public static final ConfigOption<Duration> SESSION_UPDATE_INTERVAL = duration(
            "session.update-interval",
            "10s",
            "How often the sessions table gets the state of a live session touched since its last row (one row per "
                    + "session and interval); a session that is being caught up with gets its row once the watermark "
                    + "passed its end plus the gap, and every waiting row is written when the input goes quiet and "
                    + "before every checkpoint (so a session's row is stored by the checkpoint that commits its "
                    + "events' offsets).");

    // ------------------------------------------------------------------------------------------------ Geo

    public static final ConfigOption<List<String>> GEO_DATABASES = new Builder<>("geo.databases", "list", Parsers::list)
            .describe(
                    "MaxMind-format .mmdb files on every TaskManager: GeoIP2/GeoLite2 City or Country, "
                            + "or DB-IP Lite's flat city files (IPv4 and IPv6 are two files; list both). Unset: no geo. "
                            + "Replace a file by renaming a new one over it; the job notices within geo.reload-check-interval.");

    public static final ConfigOption<Duration> GEO_RELOAD_CHECK = duration(
            "geo.reload-check-interval", "60s", "How often the job looks whether the geo database files changed.");

    public static final ConfigOption<Integer> GEO_CACHE_SIZE = new Builder<>(
                    "geo.cache-size", "integer", Parsers::integer)
            .defaultValue("100000")
            .check(positiveInt())
            .describe("IP addresses whose geo answer is kept per parallel task.");

    // --------------------------------------------------------------------------------------------- Device

    public static final ConfigOption<Boolean> DEVICE_ENABLED = bool(
            "device.enabled",
            "true",
            "Parse user agents into browser, OS, device type and bot flag (Yauaa: one analyzer per TaskManager, "
                    + "a few seconds and a few hundred MB of heap at start).");

    public static final ConfigOption<Integer> DEVICE_CACHE_SIZE = new Builder<>(
                    "device.cache-size", "integer", Parsers::integer)
            .defaultValue("20000")
            .check(positiveInt())
            .describe("User agents whose parse is kept per parallel task.");

    // ------------------------------------------------------------------------------------------- Backfill

    public static final ConfigOption<String> BACKFILL_TOPIC = string(
            "backfill.topic",
            null,
            "Topic that tools.Backfill imports history into (created if missing); the job reads it with kafka.topics, "
                    + "in event-time order with them. Its events may be of any age (validation.max-event-age does not "
                    + "apply to it). Unset: no backfill topic.");

    // -------------------------------------------------------------------------------------------- Privacy

    public static final ConfigOption<String> PRIVACY_IP = new Builder<>("privacy.ip", "string", Parsers::string)
            .defaultValue("keep")
            .check(v -> List.of("keep", "truncate", "drop").contains(v) ? null : "expected keep, truncate or drop")
            .describe("What is stored of an event's IP address after the geo lookup: keep it, truncate it (IPv4 to "
                    + "its /24, IPv6 to its /48: 81.2.69.0, 2001:db8:1::) or drop it (empty).");

    public static final ConfigOption<List<String>> PRIVACY_PSEUDONYMIZE = list(
            "privacy.pseudonymize",
            null,
            "Fields replaced by a keyed hash (HMAC-SHA256, 32 hex digits) before anything else uses them: user_id, url, "
                    + "referrer, user_agent, properties.<name>. The same value gives the same pseudonym in every run, "
                    + "so sessions, joins and funnels work as before. The key: privacy.key-file or the environment "
                    + "variable CLICKSTREAM_PRIVACY_KEY of the TaskManagers (at least 16 bytes).");

    public static final ConfigOption<String> PRIVACY_KEY_FILE = string(
            "privacy.key-file",
            null,
            "A file, readable on every TaskManager (and by tools.Erase), holding the pseudonymization key.");

    public static final ConfigOption<String> PRIVACY_DEAD_LETTER_PAYLOAD = new Builder<>(
                    "privacy.dead-letter-payload", "string", Parsers::string)
            .defaultValue("drop")
            .check(v -> List.of("keep", "drop").contains(v) ? null : "expected keep or drop")
            .describe("When privacy.pseudonymize or privacy.ip change events: whether dead letters keep the input's "
                    + "payload (raw user ids, IPs) or drop it, keeping reason, detail and source position (the input "
                    + "stays in its topic as long as Kafka keeps it); the key becomes the user id's pseudonym. Without "
                    + "privacy settings dead letters keep the payload.");

    public static final ConfigOption<String> PRIVACY_ERASURE_TOPIC = string(
            "privacy.erasure-topic",
            "clickstream-erasures",
            "Compacted topic of the users erased by tools.Erase (created if missing): every task that keeps state or "
                    + "writes rows follows it, leaves out the erased users' inputs up to their erasure (a replay, a "
                    + "restore of an older checkpoint) and forgets their state. Keep it as long as the event topics.");

    public static final ConfigOption<Duration> PRIVACY_ERASURE_CHECK = duration(
            "privacy.erasure-check-interval",
            "2s",
            "How often each TaskManager reads the erasure list to its end (one consumer per TaskManager).");

    public static final ConfigOption<Duration> PRIVACY_ERASURE_LEAD = duration(
            "privacy.erasure-lead",
            "30s",
            "How far ahead tools.Erase dates an erasure: it covers the user's inputs published up to that moment, "
                    + "and a task whose erasure list is older than this processes no newer input (it waits) - so "
                    + "that an input after the erasure never meets the state from before it. At least twice "
                    + "privacy.erasure-check-interval plus 10 s.");

    // -------------------------------------------------------------------------------------------- Funnels

    public static final ConfigOption<String> FUNNEL_TOPIC = string(
            "funnel.definitions-topic",
            "clickstream-funnels",
            "Compacted topic of funnel definitions (key: funnel id, value: JSON, empty value: removed); see "
                    + "docs/funnels.md. Changes apply while the job runs.");

    public static final ConfigOption<Duration> FUNNEL_STATE_TTL = duration(
            "funnel.state-ttl",
            "7d",
            "How long a session's funnel progress and tags stay in Redis after its last change; replays within it "
                    + "return the same tags from Redis.");

    // ---------------------------------------------------------------------------------------------- Joins

    public static final ConfigOption<String> JOIN_RULES = new Builder<>("join.rules", "json", Parsers::string)
            .check(v -> {
                try {
                    io.clickstream.etl.join.JoinRule.parseAll(v);
                    return null;
                } catch (IllegalArgumentException e) {
                    return e.getMessage();
                }
            })
            .describe("Cross-source rules: a list of {from, key, fields, into, name, prefix} (docs/funnels.md#joins); "
                    + "events of the 'into' sources get 'fields' of the latest 'from' event with the same key. "
                    + "Unset: no joins.");

    public static final ConfigOption<Duration> JOIN_STATE_TTL =
            duration("join.state-ttl", "30d", "How long the values of a join key stay in Redis after its last update.");

    public static final ConfigOption<String> SCHEMA_FILE = new Builder<>("schema.file", "path", Parsers::string)
            .describe("A schema file (docs/schema.md): typed columns of the events table filled from the events' "
                    + "properties, with the values that do not fit in error_log. Read when the job starts; its "
                    + "columns must be in the tables first (tools.DeclareColumns). Unset: no declared columns.");

    // ------------------------------------------------------------------------------------------ helpers

    /** All options, in declaration order. */
    public static List<ConfigOption<?>> all() {
        List<ConfigOption<?>> options = new ArrayList<>();
        for (Field f : Options.class.getDeclaredFields()) {
            if (Modifier.isStatic(f.getModifiers()) && f.getType() == ConfigOption.class) {
                try {
                    options.add((ConfigOption<?>) f.get(null));
                } catch (IllegalAccessException e) {
                    throw new IllegalStateException(e);
                }
            }
        }
        return Collections.unmodifiableList(options);
    }

    private static ConfigOption<String> string(String key, String def, String description) {
        return new Builder<>(key, "string", Parsers::string).defaultValue(def).describe(description);
    }

    private static ConfigOption<Boolean> bool(String key, String def, String description) {
        return new Builder<>(key, "boolean", Parsers::bool).defaultValue(def).describe(description);
    }

    private static ConfigOption<List<String>> list(String key, String def, String description) {
        return new Builder<>(key, "list", Parsers::list).defaultValue(def).describe(description);
    }

    /** A duration where 0 has a meaning (the description says which). */
    private static ConfigOption<Duration> durationOrZero(String key, String def, String description) {
        return duration(key, def, description, d -> d.isNegative() ? "must be 0 or more" : null);
    }

    private static ConfigOption<Duration> duration(String key, String def, String description) {
        return duration(key, def, description, d -> d.isNegative() || d.isZero() ? "must be more than zero" : null);
    }

    private static ConfigOption<Duration> duration(
            String key, String def, String description, ConfigOption.Check<Duration> check) {
        return new Builder<>(key, "duration", Parsers::duration)
                .defaultValue(def)
                .check(check)
                .describe(description);
    }

    private static ConfigOption.Check<Long> positive() {
        return v -> v > 0 ? null : "must be more than zero";
    }

    private static ConfigOption.Check<Integer> positiveInt() {
        return v -> v > 0 ? null : "must be more than zero";
    }

    /** Names go into SQL text (18.16 has no query parameters), so only plain identifiers are allowed. */
    private static ConfigOption.Check<String> identifier() {
        return v -> v.matches("[A-Za-z_][A-Za-z0-9_]*") ? null : "expected letters, digits and '_' only";
    }

    private static final class Builder<T> {
        private final String key;
        private final String typeName;
        private final ConfigOption.Parser<T> parser;
        private String defaultText;
        private ConfigOption.Check<T> check;
        private boolean secret;

        Builder(String key, String typeName, ConfigOption.Parser<T> parser) {
            this.key = key;
            this.typeName = typeName;
            this.parser = parser;
        }

        Builder<T> defaultValue(String text) {
            this.defaultText = text;
            return this;
        }

        Builder<T> check(ConfigOption.Check<T> check) {
            this.check = check;
            return this;
        }

        Builder<T> secret() {
            this.secret = true;
            return this;
        }

        ConfigOption<T> describe(String description) {
            return new ConfigOption<>(key, typeName, parser, defaultText, description, check, secret);
        }
    }
}
