package io.clickstream.etl;

import io.clickstream.etl.clickhouse.ClickHouseEndpoints;
import io.clickstream.etl.clickhouse.ClickHouseInserter;
import io.clickstream.etl.clickhouse.ClickHouseSink;
import io.clickstream.etl.clickhouse.ClickHouseStoredEvents;
import io.clickstream.etl.clickhouse.CorrectionsSink;
import io.clickstream.etl.clickhouse.DeclaredColumnsOnCluster;
import io.clickstream.etl.clickhouse.DeclaredRow;
import io.clickstream.etl.clickhouse.EventRowEncoder;
import io.clickstream.etl.clickhouse.ReplayGuard;
import io.clickstream.etl.clickhouse.RowEncoder;
import io.clickstream.etl.clickhouse.SessionRowEncoder;
import io.clickstream.etl.clickhouse.SinkSettings;
import io.clickstream.etl.config.JobConfig;
import io.clickstream.etl.config.Options;
import io.clickstream.etl.deadletter.DeadLetterLedger;
import io.clickstream.etl.deadletter.DeadLettersOnceFunction;
import io.clickstream.etl.deadletter.TopicIds;
import io.clickstream.etl.device.DeviceInfo;
import io.clickstream.etl.enrich.DeviceFunction;
import io.clickstream.etl.enrich.GeoFunction;
import io.clickstream.etl.event.DeadLetter;
import io.clickstream.etl.event.Event;
import io.clickstream.etl.eventtime.EventTimeOrder;
import io.clickstream.etl.eventtime.EventTimeSettings;
import io.clickstream.etl.eventtime.EventTimeWatermarks;
import io.clickstream.etl.funnel.FunnelDefinitions;
import io.clickstream.etl.funnel.FunnelRowTagging;
import io.clickstream.etl.funnel.FunnelTopic;
import io.clickstream.etl.geo.GeoInfo;
import io.clickstream.etl.geo.GeoLookup;
import io.clickstream.etl.join.JoinOperator;
import io.clickstream.etl.join.JoinRule;
import io.clickstream.etl.join.JoinSettings;
import io.clickstream.etl.kafka.ErasureTopic;
import io.clickstream.etl.kafka.KafkaSinks;
import io.clickstream.etl.kafka.KafkaSources;
import io.clickstream.etl.kafka.KafkaTopicIds;
import io.clickstream.etl.kafka.RejectedRowsToKafka;
import io.clickstream.etl.parse.ParseEventsFunction;
import io.clickstream.etl.parse.ParsedRecord;
import io.clickstream.etl.privacy.ErasureAcks;
import io.clickstream.etl.privacy.ErasureFeed;
import io.clickstream.etl.privacy.ErasureLog;
import io.clickstream.etl.privacy.PrivacyFunction;
import io.clickstream.etl.privacy.PrivacySettings;
import io.clickstream.etl.privacy.PrivateDeadLetters;
import io.clickstream.etl.redis.HashStore;
import io.clickstream.etl.redis.RedisDeadLetterLedger;
import io.clickstream.etl.redis.RedisErasureAcks;
import io.clickstream.etl.redis.RedisInsertMarks;
import io.clickstream.etl.redis.RedisSendLedger;
import io.clickstream.etl.redis.RedisSettings;
import io.clickstream.etl.session.SessionCorrection;
import io.clickstream.etl.session.SessionRow;
import io.clickstream.etl.user.UserStepOperator;
import io.clickstream.etl.user.UserStepSettings;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.connector.sink2.Sink;
import org.apache.flink.api.connector.source.Source;
import org.apache.flink.configuration.PipelineOptions;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The clickstream ETL job. {@link #build} is the data flow, top to bottom; sources and sinks come in as
 * arguments so tests run the same flow on a MiniCluster. {@link #main} only wires the production I/O.
 *
 * <p>Every operator has a fixed uid: savepoints map state by it, so renaming one loses its state.
 */
public final class ClickstreamJob {
    private static final Logger LOG = LoggerFactory.getLogger(ClickstreamJob.class);
    public static final String DEFAULT_JOB_NAME = "clickstream-etl";

    private ClickstreamJob() {}

    /**
     * What the job reads: the events, the funnel definitions (read by the per-user step itself) and the erasure list
     * (followed by every task that keeps state or writes rows).
     */
    public record Sources(
            Source<ParsedRecord, ?, ?> events,
            FunnelDefinitions.Factory funnelDefinitions,
            ErasureLog.Factory erasures) {
        /** The Kafka sources; creates the funnel definitions and erasure topics if they are missing. */
        public static Sources production(JobConfig config, Map<String, String> env) throws Exception {
            FunnelTopic.ensure(config);
            ErasureTopic.ensure(config);
            moveOlderErasureList(config, env);
            KafkaSources.ensureBackfillTopic(config);
            return new Sources(
                    KafkaSources.events(config), FunnelTopic.definitions(config), ErasureTopic.follower(config));
        }

        /** Erasures an earlier version kept in one Redis hash go on the durable list (once). */
        private static void moveOlderErasureList(JobConfig config, Map<String, String> env) throws Exception {
            Map<String, Long> older = RedisErasureAcks.takeOlderList(RedisSettings.from(config, env), list -> {
                Map<String, ErasureTopic.Erasure> records = new java.util.LinkedHashMap<>();
                list.forEach((user, at) -> records.put(user, new ErasureTopic.Erasure(at, List.of())));
                ErasureTopic.publish(config, records);
            });
            if (!older.isEmpty()) {
                LOG.info(
                        "Moved {} erasure(s) from the Redis hash of the earlier version to the erasure topic",
                        older.size());
            }
        }
    }

    /**
     * Where the keyed steps keep their state: one hash per user (sessions, funnel progress, joins keyed by user), and
     * one value per key for the joins keyed by another field.
     */
    public record Stores(HashStore.Factory users, HashStore.Factory joins, ErasureAcks.Factory erasureAcks) {
        public static Stores production(JobConfig config, Map<String, String> env) {
            RedisSettings redis = RedisSettings.from(config, env);
            return new Stores(redis.users(), redis.users(), RedisErasureAcks.factory(redis));
        }
    }

    /**
     * What the job writes, and the ledger of committed dead letters (by topic id) that keeps a replay from writing
     * them again.
     */
    public record Sinks(
            Sink<Event> events,
            Sink<SessionRow> sessions,
            Sink<SessionCorrection> corrections,
            Sink<DeadLetter> deadLetters,
            DeadLetterLedger.Factory deadLetterLedger,
            TopicIds.Factory topicIds) {
        public static Sinks production(JobConfig config, Map<String, String> env) throws Exception {
            // The sinks acknowledge erasures when they learn of them (after sending what they held), whether or not
            // the job takes checkpoints.
            ErasureFeed erasures = ErasureFeed.from(
                    config,
                    ErasureTopic.follower(config),
                    RedisErasureAcks.factory(RedisSettings.from(config, env)),
                    true);
            // The columns a schema file declares: filled as each event is parsed (the source), written by the events
            // sink and carried over by the corrections.
            DeclaredRow declared = DeclaredRow.from(config);
            if (declared != null) {
                new DeclaredColumnsOnCluster(
                                ClickHouseEndpoints.from(config, env),
                                config.get(Options.CLICKHOUSE_CLUSTER),
                                config.get(Options.CLICKHOUSE_DATABASE))
                        .require(declared);
            }
            EventRowEncoder events = EventRowEncoder.withDeclared(declared);
            return new Sinks(
                    clickHouseEvents(config, env, erasures, events),
                    clickHouseSessions(config, env, erasures),
                    CorrectionsSink.clickHouse(
                            ClickHouseEndpoints.from(config, env),
                            config.get(Options.CLICKHOUSE_DATABASE) + "." + config.get(Options.CLICKHOUSE_TABLE),
                            events,
                            config.get(Options.CLICKHOUSE_DATABASE) + "."
                                    + config.get(Options.CLICKHOUSE_SESSIONS_TABLE),
                            new FunnelRowTagging()),
                    KafkaSinks.deadLetters(config),
                    RedisDeadLetterLedger.factory(RedisSettings.from(config, env)),
                    KafkaTopicIds.factory(config));
        }

        /** Events into clickhouse.database.clickhouse.table, with client-v2. */
        static ClickHouseSink<Event> clickHouseEvents(
                JobConfig config, Map<String, String> env, ErasureFeed erasures, EventRowEncoder encoder) {
            String table = config.get(Options.CLICKHOUSE_TABLE);
            ReplayGuard.Factory<Event> guard = null;
            if (config.get(Options.SINK_REPLAY_CHECK)) {
                String database = config.get(Options.CLICKHOUSE_DATABASE);
                guard = new ReplayGuard.Factory<>(
                        RedisInsertMarks.factory(RedisSettings.from(config, env), database + "." + table),
                        ClickHouseStoredEvents.factory(ClickHouseEndpoints.from(config, env), database, table),
                        encoder);
            }
            return clickHouse(config, env, table, encoder, guard, TypeInformation.of(Event.class))
                    .erasures(erasures, "clickhouse-sink")
                    .build();
        }

        /** Session rows into clickhouse.database.clickhouse.sessions-table. */
        static ClickHouseSink<SessionRow> clickHouseSessions(
                JobConfig config, Map<String, String> env, ErasureFeed erasures) {
            return clickHouse(
                            config,
                            env,
                            config.get(Options.CLICKHOUSE_SESSIONS_TABLE),
                            SessionRowEncoder.INSTANCE,
                            null,
                            TypeInformation.of(SessionRow.class))
                    .erasures(erasures, "clickhouse-sessions-sink")
                    .build();
        }

        static <T> ClickHouseSink.Builder<T> clickHouse(
                JobConfig config,
                Map<String, String> env,
                String table,
                RowEncoder<T> encoder,
                ReplayGuard.Factory<T> guard,
                TypeInformation<T> rowType) {
            String qualified = config.get(Options.CLICKHOUSE_DATABASE) + "." + table;
            return ClickHouseSink.<T>builder()
                    .settings(SinkSettings.from(config))
                    .encoder(encoder)
                    .inserter(ClickHouseInserter.factory(
                            ClickHouseEndpoints.from(config, env),
                            qualified,
                            encoder.columns(),
                            config.get(Options.SINK_DISTRIBUTED_SYNC),
                            config.get(Options.SINK_REQUEST_TIMEOUT).toMillis()))
                    .rejectedRows(RejectedRowsToKafka.factory(
                            config,
                            RedisSendLedger.factory(
                                    RedisSettings.from(config, env),
                                    config.get(Options.REDIS_REJECTED_ROWS_TTL).toMillis())))
                    .replayGuard(guard)
                    .rowType(rowType);
        }
    }

    public static void build(
            StreamExecutionEnvironment env, JobConfig config, Sources sources, Stores stores, Sinks sinks) {
        // No defensive copies between chained operators (a deep copy of every event at each step otherwise). Safe
        // here: no operator changes an event after emitting it, and those that buffer events (sessions, funnels,
        // joins) buffer what they received from the network or from an operator that emits each object once.
        env.getConfig().enableObjectReuse();
        EventTimeSettings eventTime = EventTimeSettings.from(config);
        // Every step that keeps state follows the erasure list and acknowledges it after a completed checkpoint
        // (tools.Erase deletes only then); without checkpoints, as soon as it applied it.
        ErasureFeed erasures = ErasureFeed.from(
                config,
                sources.erasures(),
                stores.erasureAcks(),
                env.getCheckpointConfig().getCheckpointInterval() > 0);
        // Per-partition watermarks over the events' times, aligned across partitions and topics: a catch-up reads
        // the topics in step, and each user's events can be put in time order below.
        DataStream<ParsedRecord> parsed = env.fromSource(
                        sources.events(),
                        EventTimeWatermarks.strategy(eventTime, ParsedRecord.times(config.get(Options.BACKFILL_TOPIC))),
                        "Kafka events")
                .uid("kafka-source");

        SingleOutputStreamOperator<Event> events =
                parsed.process(new ParseEventsFunction()).uid("parse-validate").name("Parse and validate");

        // Stateless enrichment before the shuffle, chained to the source: one lookup per event, and the sessions
        // take their rows' geo and device from their entry events instead of looking them up again.
        SingleOutputStreamOperator<Event> enriched = events.map(new GeoFunction<Event>(geo(config)))
                .returns(Event.class)
                .uid("geo")
                .name("Geo from IP")
                .map(new DeviceFunction<Event>(device(config)))
                .returns(Event.class)
                .uid("device")
                .name("Device from user agent");

        // Pseudonyms and the IP as privacy.* says, after geo and device have used the originals and before anything
        // keyed: sessions, joins and funnels work on the pseudonyms. Stateless; absent when nothing is to change.
        PrivacySettings privacy = PrivacySettings.from(config);
        if (privacy.changesEvents()) {
            enriched = enriched.map(new PrivacyFunction(privacy))
                    .returns(Event.class)
                    .uid("privacy")
                    .name("Privacy");
        }

        // Joins keyed by a field other than the user: keyed by that field (one more hop, only when such rules exist),
        // before the per-user step, so that a funnel step may test what they carried in.
        DataStream<Event> joined = enriched;
        for (Map.Entry<String, List<JoinRule>> byKey : otherKeyJoins(config).entrySet()) {
            String field = byKey.getKey();
            joined = joined.keyBy(e -> JoinRule.keyOf(e, field))
                    .transform(
                            "Joins by " + field,
                            TypeInformation.of(Event.class),
                            new JoinOperator(
                                    JoinSettings.from(config, byKey.getValue()),
                                    stores.joins(),
                                    erasures,
                                    "joins-by-" + field))
                    .uid("joins-by-" + field);
        }

        // The one keyed step per user, chained to the ordering (one network hop per event in the whole job): sessions,
        // the joins keyed by user and the funnels, over one Redis hash per user.
        SingleOutputStreamOperator<Event> users = joined.keyBy(e -> e.userId)
                .transform("Order by event time", TypeInformation.of(Event.class), new EventTimeOrder(eventTime))
                .uid("event-time-order")
                .transform(
                        "Sessions, joins, funnels",
                        TypeInformation.of(Event.class),
                        new UserStepOperator(
                                UserStepSettings.from(config), stores.users(), sources.funnelDefinitions(), erasures))
                .uid("sessions");

        users.sinkTo(sinks.events()).uid("clickhouse-sink").name("ClickHouse events");

        // What late events changed in stored events: written again by ClickHouse, once their rows are stored.
        users.getSideOutput(UserStepOperator.CORRECTIONS)
                .sinkTo(sinks.corrections())
                .uid("clickhouse-corrections")
                .name("ClickHouse corrections");

        // Rows of sessions stored before their entry's geo and device were kept still look them up here; the others
        // pass through.
        users.getSideOutput(UserStepOperator.SESSION_UPDATES)
                .map(new GeoFunction<SessionRow>(geo(config)))
                .returns(SessionRow.class)
                .uid("session-geo")
                .name("Session geo")
                .map(new DeviceFunction<SessionRow>(device(config)))
                .returns(SessionRow.class)
                .uid("session-device")
                .name("Session device")
                .sinkTo(sinks.sessions())
                .uid("clickhouse-sessions-sink")
                .name("ClickHouse sessions");

        // Under privacy settings the dead letters lose their raw payload (unless kept) and key by pseudonym.
        DataStream<DeadLetter> deadLetters = events.getSideOutput(ParseEventsFunction.DEAD_LETTERS);
        if (privacy.changesEvents()) {
            deadLetters = deadLetters
                    .map(new PrivateDeadLetters(
                            privacy, "keep".equals(config.get(Options.PRIVACY_DEAD_LETTER_PAYLOAD))))
                    .returns(DeadLetter.class)
                    .uid("dead-letter-privacy")
                    .name("Dead letters, private");
        }
        // Chained to the sink (same parallelism, forward): it records what the sink's committer has committed.
        deadLetters
                .process(new DeadLettersOnceFunction(sinks.deadLetterLedger(), sinks.topicIds()))
                .uid("dead-letters-once")
                .name("Dead letters once")
                .sinkTo(sinks.deadLetters())
                .uid("dead-letter-sink")
                .name("Dead letters to Kafka");
    }

    /** The join rules keyed by a field other than the user, by that field. */
    private static Map<String, List<JoinRule>> otherKeyJoins(JobConfig config) {
        Map<String, List<JoinRule>> out = new TreeMap<>();
        for (JoinRule r : JoinRule.parseAll(config.get(Options.JOIN_RULES))) {
            if (!r.keyedByUser()) {
                out.computeIfAbsent(r.key(), k -> new ArrayList<>()).add(r);
            }
        }
        return out;
    }

    private static GeoFunction.Factory geo(JobConfig config) {
        List<String> files = config.get(Options.GEO_DATABASES);
        if (files == null) {
            return () -> new GeoLookup() {
                @Override
                public GeoInfo lookup(String ip) {
                    return GeoInfo.EMPTY;
                }

                @Override
                public void close() {}
            };
        }
        return GeoFunction.mmdb(files, config.get(Options.GEO_RELOAD_CHECK), config.get(Options.GEO_CACHE_SIZE));
    }

    private static DeviceFunction.Factory device(JobConfig config) {
        return config.get(Options.DEVICE_ENABLED)
                ? DeviceFunction.yauaa(config.get(Options.DEVICE_CACHE_SIZE))
                : () -> ua -> DeviceInfo.EMPTY;
    }

    public static void main(String[] args) throws Exception {
        JobConfig config = JobConfig.fromArgs(args, System.getenv());
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        run(env, config);
    }

    /** Builds the production pipeline on {@code env} and runs it until it ends or is cancelled. */
    static void run(StreamExecutionEnvironment env, JobConfig config) throws Exception {
        LOG.info("Starting clickstream-etl with\n{}", config.describe());
        if (env.getCheckpointConfig().getCheckpointInterval() <= 0) {
            LOG.warn("Checkpointing is off: Kafka offsets are not committed and the ClickHouse sink flushes only on "
                    + "size and time. Set execution.checkpointing.interval (flink-conf/config.yaml).");
        }
        build(
                env,
                config,
                Sources.production(config, System.getenv()),
                Stores.production(config, System.getenv()),
                Sinks.production(config, System.getenv()));
        env.execute(env.getConfiguration().getOptional(PipelineOptions.NAME).orElse(DEFAULT_JOB_NAME));
    }
}
