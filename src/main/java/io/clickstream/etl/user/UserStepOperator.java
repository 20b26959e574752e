package io.clickstream.etl.user;

import io.clickstream.etl.cache.StateCache;
import io.clickstream.etl.event.Event;
import io.clickstream.etl.funnel.FunnelDefinitions;
import io.clickstream.etl.funnel.FunnelTracker;
import io.clickstream.etl.funnel.FunnelUpdate;
import io.clickstream.etl.funnel.FunnelVersions;
import io.clickstream.etl.funnel.SessionFunnels;
import io.clickstream.etl.join.Joiner;
import io.clickstream.etl.privacy.ErasureFeed;
import io.clickstream.etl.privacy.ErasureTracker;
import io.clickstream.etl.privacy.Erasures;
import io.clickstream.etl.redis.BatchingRedisOperator;
import io.clickstream.etl.redis.HashStore;
import io.clickstream.etl.session.JoinedFix;
import io.clickstream.etl.session.SessionAssigner;
import io.clickstream.etl.session.SessionAssignment;
import io.clickstream.etl.session.SessionCorrection;
import io.clickstream.etl.session.SessionRow;
import io.clickstream.etl.session.SessionRows;
import io.clickstream.etl.session.UserHistory;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.flink.api.common.state.BroadcastState;
import org.apache.flink.api.common.state.ListState;
import org.apache.flink.api.common.state.ListStateDescriptor;
import org.apache.flink.api.common.state.MapStateDescriptor;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.Histogram;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.runtime.metrics.DescriptiveStatisticsHistogram;
import org.apache.flink.runtime.state.StateInitializationContext;
import org.apache.flink.runtime.state.StateSnapshotContext;
import org.apache.flink.streaming.api.operators.OneInputStreamOperator;
import org.apache.flink.streaming.api.watermark.Watermark;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.util.OutputTag;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one keyed step per user: sessions, the joins keyed by user and the funnels, over one Redis hash per user
 * ({@link UserRecord}). Runs chained after the event-time ordering, so a user's events arrive in time order and each
 * user has one writer, which lets a bounded cache of records skip most reads. Per batch (see
 * {@link BatchingRedisOperator}): one read of the uncached users' hashes; the fields that changed are written with the
 * batch, or while catching up once per checkpoint (see {@code unwritten}).
 *
 * <p>Per user and batch, in this order: sessions (ids, numbers, indexes), joins (values given before an event's time,
 * in time order), funnels (a session's events in index order, so a funnel step may test a joined property, as the
 * stored row shows it). The funnel definitions are read from their topic by the step itself
 * ({@link FunnelDefinitions}) and kept in broadcast state, so a restored job knows them at once.
 *
 * <p>Erasures ({@link ErasureTracker}): an erased user's inputs up to the erasure are left out, a newly erased user's
 * cached state and pending session rows are forgotten, and a stored record that holds nothing newer than the erasure
 * is taken for a new user's (tools.Erase deletes it once every task has acknowledged the erasure).
 */
public class UserStepOperator extends BatchingRedisOperator<Event, Event, HashStore>
        implements OneInputStreamOperator<Event, Event> {
    private static final long serialVersionUID = 1L;
    private static final Logger LOG = LoggerFactory.getLogger(UserStepOperator.class);

    /** Corrections of stored events that late events changed (docs/processing.md "Late events"). */
    public static final OutputTag<SessionCorrection> CORRECTIONS =
            new OutputTag<>("corrections", TypeInformation.of(SessionCorrection.class));

    /**
     * The state of the sessions touched since their last row, for the sessions table (replays included: they repair
     * a lost update), when it is due ({@link PendingSessionRows}): not per batch, which would come close to one row
     * per event, and in a catch-up about once per session.
     */
    public static final OutputTag<SessionRow> SESSION_UPDATES =
            new OutputTag<>("session-updates", TypeInformation.of(SessionRow.class));

    static final MapStateDescriptor<String, FunnelUpdate> DEFINITIONS =
            new MapStateDescriptor<>("funnel-definitions", Types.STRING, TypeInformation.of(FunnelUpdate.class));

    private static final Comparator<Event> TIME_ORDER =
            Comparator.<Event>comparingLong(e -> e.eventTime).thenComparing(e -> e.eventId);
    private static final Comparator<Event> SESSION_INDEX_ORDER = Comparator.comparingInt(e -> e.sessionIndex);
    /** Shared by the events without a tag: the arrays are replaced, never written into. */
    private static final String[] NO_FUNNELS = new String[0];

    private static final int[] NO_STEPS = new int[0];
    /** Bounds the memory of pending session rows between updates. */
    private static final int MAX_PENDING_ROWS = 100_000;
    /** How many update intervals a row of a session that neither ended nor is live may wait. */
    private static final int MAX_WAIT_INTERVALS = 6;

    private static final ListStateDescriptor<SessionRow> PENDING_ROWS =
            new ListStateDescriptor<>("pending-session-rows", TypeInformation.of(SessionRow.class));
    /**
     * How far an event's Kafka time may lie before the moment the definitions were last read up to their end and
     * still make the step read them again: the two topics' record times come from different clocks.
     */
    static final long DEFINITIONS_CLOCK_MARGIN_MS = 5_000;

    /**
     * The longest a user's change waits for its write when no checkpoint comes (a job that takes none); well above
     * the checkpoint interval while catching up (execution.checkpointing.interval-during-backlog, 60 s in
     * flink-conf/config.yaml), or a busy user would be written twice per interval.
     */
    static final long MAX_UNWRITTEN_MS = 300_000;

    private static final ListStateDescriptor<Long> ERASURES_APPLIED =
            new ListStateDescriptor<>("erasures-applied", Types.LONG);

    private final UserStepSettings settings;
    private final FunnelDefinitions.Factory definitionsFactory;
    private final ErasureFeed erasureFeed;

    private transient SessionAssigner assigner;
    private transient Joiner joiner;
    private transient FunnelTracker tracker;
    private transient FunnelVersions versions;
    private transient BroadcastState<String, FunnelUpdate> definitionState;
    private transient FunnelDefinitions definitions;
    private transient long definitionsReadAt;
    private transient PendingSessionRows pendingRows;
    private transient ListState<SessionRow> pendingRowsState;
    private transient long watermark = Long.MIN_VALUE;
    private transient long eventsSinceTick;
    private transient StateCache<String, UserRecord> cache;
    /**
     * A batch's events by user (in order of first appearance), the users' records, and the sessions one user's
     * events touched: kept from batch to batch with the users' lists (a user has one or two events in most
     * batches, and a map and list per batch were a good share of what an event allocated).
     */
    private transient LinkedHashMap<String, List<Event>> byUser;

    private transient HashMap<String, UserRecord> records;
    private transient ArrayList<List<Event>> spareLists;
    private transient ArrayList<UserHistory.Session> touched;
    /** The funnel steps one event reached. */
    private transient ArrayList<SessionFunnels.Tag> tags;
    /** The corrections of the stored rows of the user being processed, emitted after its batch. */
    private transient ArrayList<SessionCorrection> userCorrections;
    /** The definitions' texts of the last {@link #funnelSources} answer, and the versions they are of. */
    private transient String[] sources;

    private transient List<FunnelVersions.Version> sourcesOf;
    /**
     * The records changed since their last write, by user. While catching up (redis.hold-writes-lag) they wait for
     * the next checkpoint barrier instead of being written per batch: a user has many events in a backlog, and each key
     * written costs Redis about as much CPU as the rest of an event's work there (docs/benchmarks.md, issue 27), so a
     * user is written once per checkpoint instead of once per batch. The events leave before their state is in Redis:
     * a restore (or a start from the group's committed offsets, which are the last checkpoint's) replays them against
     * the state their checkpoint's barrier wrote, which gives them the same sessions, indexes and tags again; the sink
     * leaves out the rows it stored already (ReplayGuard). Live, each batch writes them (see {@link #catchingUp}).
     * Written earlier when more users wait than the cache holds, before a user's erasure is acknowledged, at the end of
     * input, and {@link #MAX_UNWRITTEN_MS} after the first change.
     */
    private transient Map<String, UserRecord> unwritten;

    private transient long unwrittenSince;
    private transient Counter sessionsStarted;
    private transient Counter replayedEvents;
    private transient Counter tagsGiven;
    private transient Counter replayedTags;
    private transient Counter badDefinitions;
    private transient Counter olderLayoutUsers;
    private transient ErasureTracker erasures;
    private transient ListState<Long> erasuresAppliedState;
    /** The list position the restored state had applied (the least over the subtasks); -1: not restored. */
    private transient long restoredErasures = -1;

    private transient Counter erasedEvents;
    private transient Counter duplicateEvents;
    private transient Counter correctionsMade;
    private transient Counter erasedRecords;
    private transient Counter vanishedRecords;
    private transient Counter keysWritten;
    /** How long the task stops before a barrier to write what waits: the price of one write per user and interval. */
    private transient Histogram barrierWriteMs;

    public UserStepOperator(
            UserStepSettings settings,
            HashStore.Factory storeFactory,
            FunnelDefinitions.Factory definitions,
            ErasureFeed erasures) {
        super(
                "sessions",
                storeFactory,
                settings.batchSize(),
                settings.batchDelay().toMillis(),
                settings.maxBackoff().toMillis());
        this.settings = settings.sanityCheck();
        this.definitionsFactory = definitions;
        this.erasureFeed = erasures;
    }

    @Override
    public void initializeState(StateInitializationContext context) throws Exception {
        super.initializeState(context);
        versions = new FunnelVersions();
        definitionState = context.getOperatorStateStore().getBroadcastState(DEFINITIONS);
        for (Map.Entry<String, FunnelUpdate> e : definitionState.entries()) {
            versions.add(e.getValue()); // stored only after it parsed once
        }
        long interval = settings.sessionUpdateInterval().toMillis();
        pendingRows = new PendingSessionRows(
                settings.sessionRules().gap().toMillis(), interval, MAX_WAIT_INTERVALS * interval, MAX_PENDING_ROWS);
        pendingRowsState = context.getOperatorStateStore().getListState(PENDING_ROWS);
        for (SessionRow row : pendingRowsState.get()) {
            pendingRows.putRestored(row, Long.MIN_VALUE / 2); // waited long enough: written with the first check
        }
        erasuresAppliedState = context.getOperatorStateStore().getUnionListState(ERASURES_APPLIED);
        if (context.isRestored()) {
            restoredErasures = 0; // a state from before erasures were acknowledged: all of them are new to it
            Long least = null;
            for (Long v : erasuresAppliedState.get()) {
                least = least == null ? v : Math.min(least, v);
            }
            if (least != null) {
                restoredErasures = least;
            }
        }
    }

    @Override
    public void snapshotState(StateSnapshotContext context) throws Exception {
        super.snapshotState(context);
        // Empty since the rows leave before the barrier; a state of a release that held them still restores them.
        pendingRowsState.update(new ArrayList<>(pendingRows.all()));
        erasures.snapshotTaken(context.getCheckpointId());
        erasuresAppliedState.update(List.of(erasures.applied().version()));
    }

    @Override
    public void notifyCheckpointComplete(long checkpointId) throws Exception {
        super.notifyCheckpointComplete(checkpointId);
        erasures.checkpointCompleted(checkpointId);
    }

    @Override
    public void open() throws Exception {
        super.open();
        assigner = new SessionAssigner(settings.sessionRules());
        joiner = new Joiner(settings.joinRules(), settings.sessionRules().history());
        tracker = new FunnelTracker();
        cache = new StateCache<>(settings.cacheSize());
        unwritten = new HashMap<>();
        byUser = new LinkedHashMap<>();
        records = new HashMap<>();
        spareLists = new ArrayList<>();
        touched = new ArrayList<>();
        tags = new ArrayList<>(2);
        userCorrections = new ArrayList<>(2);
        sessionsStarted = metrics().counter("started");
        replayedEvents = metrics().counter("replayedEvents");
        olderLayoutUsers = metrics().counter("olderLayoutUsers");
        erasedEvents = metrics().counter("erasedUsersEvents");
        duplicateEvents = metrics().counter("duplicateEvents");
        correctionsMade = metrics().counter("corrections");
        erasedRecords = metrics().counter("erasedUsersRecords");
        vanishedRecords = metrics().counter("vanishedRecords");
        keysWritten = metrics().counter("keysWritten");
        barrierWriteMs = metrics().histogram("barrierWriteMs", new DescriptiveStatisticsHistogram(100));
        erasures = erasureFeed.open(
                "sessions",
                getRuntimeContext().getJobInfo(),
                getRuntimeContext().getTaskInfo());
        erasures.awaitKnown(Long.MIN_VALUE); // the list read once, before anything restored is written
        erasures.refresh();
        if (restoredErasures >= 0) {
            // Rows the restored state holds of users erased since: those from before the erasure go.
            forget(erasures.recordedSince(restoredErasures));
        }
        erasures.ackApplied(); // so that tools.Erase knows to wait for this task
        MetricGroup funnels = metrics().addGroup("funnels");
        tagsGiven = funnels.counter("tags");
        replayedTags = funnels.counter("replayedEvents");
        badDefinitions = funnels.counter("badDefinitions");
        funnels.gauge("activeFunnels", () -> versions.current().size());
        definitions = definitionsFactory.open();
        readDefinitions();
        LOG.info("Funnels at start: {}", versions.current());
        scheduleSessionRows();
    }

    @Override
    public void close() throws Exception {
        if (definitions != null) {
            definitions.close();
        }
        if (erasures != null) {
            erasures.close();
        }
        super.close();
    }

    // ------------------------------------------------------------------------------- funnel definitions

    private void readDefinitions() throws Exception {
        long started = System.currentTimeMillis();
        for (FunnelUpdate u : definitions.readNew()) {
            apply(u);
        }
        definitionsReadAt = started;
    }

    /** Before a batch with events published after the last read: every version published before them is known. */
    private void readDefinitionsFor(List<Event> batch) throws Exception {
        long newest = Long.MIN_VALUE;
        for (Event e : batch) {
            newest = Math.max(newest, e.kafkaTimestamp);
        }
        if (newest >= definitionsReadAt - DEFINITIONS_CLOCK_MARGIN_MS) {
            readDefinitions();
        }
    }

    private void apply(FunnelUpdate u) throws Exception {
        if (definitionState.contains(u.versionKey())) {
            return; // known from the state of a restored job
        }
        try {
            for (FunnelVersions.Version dropped : versions.add(u)) {
                definitionState.remove(
                        new FunnelUpdate(dropped.funnelId(), dropped.publishTime(), dropped.offset(), null)
                                .versionKey());
            }
            definitionState.put(u.versionKey(), u);
            LOG.info(
                    "Funnel {} {} (effective for events published from {})",
                    u.funnelId,
                    u.definition == null ? "removed" : "defined",
                    u.publishTime);
        } catch (IllegalArgumentException e) {
            // A bad definition must not stop the stream: the previous version stays in effect.
            badDefinitions.inc();
            LOG.warn("Ignoring funnel definition {} at offset {}: {}", u.funnelId, u.offset, e.getMessage());
        }
    }

    // ------------------------------------------------------------------------------------- session rows

    /** Four checks per update interval: a live session's row waits at most 1.25 intervals, an ended one a quarter. */
    private void scheduleSessionRows() {
        long now = getProcessingTimeService().getCurrentProcessingTime();
        getProcessingTimeService()
                .registerTimer(
                        now + Math.max(10, settings.sessionUpdateInterval().toMillis() / 4), t -> {
                            flush();
                            boolean quiet = eventsSinceTick == 0;
                            eventsSinceTick = 0;
                            emitSessionRows(pendingRows.takeDue(
                                    watermark,
                                    System.currentTimeMillis(),
                                    getProcessingTimeService().getCurrentProcessingTime(),
                                    quiet));
                            scheduleSessionRows();
                        });
    }

    private void emitSessionRows(List<SessionRow> rows) {
        rows.forEach(r -> output.collect(SESSION_UPDATES, new StreamRecord<>(r)));
    }

    @Override
    protected void tick() throws Exception {
        applyErasures(); // also while no event comes: an idle task must not hold an erasure back
        erasures.refreshAck();
        long now = getProcessingTimeService().getCurrentProcessingTime();
        if (!unwritten.isEmpty() && now - unwrittenSince >= MAX_UNWRITTEN_MS) {
            writeUnwritten();
        }
    }

    @Override
    public void prepareSnapshotPreBarrier(long checkpointId) throws Exception {
        super.prepareSnapshotPreBarrier(checkpointId);
        applyErasures(); // the snapshot, and the acknowledgement that follows it, cover the list as read now
        long start = System.nanoTime();
        writeUnwritten(); // the checkpoint's offsets and the state in Redis meet here
        barrierWriteMs.update((System.nanoTime() - start) / 1_000_000);
        // The checkpoint commits the offsets of these rows' events: a job started afresh from those offsets (not
        // restored) would never write a row held back past the barrier.
        emitSessionRows(pendingRows.takeDue(watermark, 0, 0, true));
    }

    @Override
    public void processWatermark(Watermark mark) throws Exception {
        watermark = mark.getTimestamp();
        super.processWatermark(mark);
    }

    @Override
    public void endInput() throws Exception {
        super.endInput();
        writeUnwritten();
        emitSessionRows(pendingRows.takeDue(watermark, 0, 0, true));
    }

    @Override
    public void finish() throws Exception {
        flush();
        writeUnwritten();
        emitSessionRows(pendingRows.takeDue(watermark, 0, 0, true));
        super.finish();
    }

    // ------------------------------------------------------------------------------------------ events

    @Override
    public void processElement(StreamRecord<Event> element) throws Exception {
        eventsSinceTick++;
        add(element.getValue());
    }

    @Override
    protected void processBatch(List<Event> batch) throws Exception {
        readDefinitionsFor(batch);
        long newest = Long.MIN_VALUE;
        for (Event e : batch) {
            newest = Math.max(newest, e.kafkaTimestamp);
        }
        erasures.awaitKnown(newest);
        applyErasures();
        recycle(); // a batch that failed half-way may have left its lists
        for (Event e : batch) {
            if (erasures.covers(e.userId, e.kafkaTimestamp)) {
                erasedEvents.inc();
                continue;
            }
            List<Event> events = byUser.get(e.userId);
            if (events == null) {
                events = spareLists.isEmpty() ? new ArrayList<>(4) : spareLists.remove(spareLists.size() - 1);
                byUser.put(e.userId, events);
            }
            events.add(e);
        }
        if (byUser.isEmpty()) {
            return;
        }
        load(byUser.keySet(), records);
        long processingTime = getProcessingTimeService().getCurrentProcessingTime();
        for (Map.Entry<String, List<Event>> entry : byUser.entrySet()) {
            String user = entry.getKey();
            List<Event> events = entry.getValue();
            UserRecord record = records.get(user);
            long newestBefore = record.history.newestTime();
            List<SessionAssignment> assigned = sessions(user, record.history, events);
            if (events.isEmpty()) {
                continue; // every event of the user was a duplicate delivery
            }
            // Each user's events leave in (time, event id) order, as they were assigned: the joins take the values
            // given before an event's time, and within a session indexes only grow along the stream.
            events.sort(TIME_ORDER);
            long newestOfUser = Long.MIN_VALUE;
            for (Event e : events) {
                newestOfUser = Math.max(newestOfUser, e.kafkaTimestamp);
            }
            record.applied(newestOfUser);
            userCorrections.clear();
            corrections(user, record, newestOfUser, processingTime);
            if (!joiner.isEmpty()) {
                joins(user, record, events, newestBefore);
            }
            if (!versions.isEmpty()) {
                funnels(record, events);
            }
            if (!userCorrections.isEmpty()) {
                emitCorrections(user, record, newestOfUser);
            }
            SessionRows.touched(record.history, assigned, touched);
            for (int i = 0; i < touched.size(); i++) {
                pendingRows.put(user, touched.get(i), newestOfUser, processingTime);
            }
            if (unwritten.isEmpty()) {
                unwrittenSince = processingTime;
            }
            unwritten.put(user, record);
        }
        if (unwritten.size() > settings.cacheSize() // a record the cache dropped is reachable only through this map
                || !catchingUp(newest)) {
            writeUnwritten();
        }
        for (List<Event> events : byUser.values()) {
            for (int i = 0; i < events.size(); i++) {
                emit(events.get(i));
            }
        }
        recycle();
        if (pendingRows.overfull()) {
            emitSessionRows(pendingRows.takeDue(watermark, 0, 0, true));
        }
    }

    /** Empties the batch's maps, its users' lists kept for the next batch. */
    private void recycle() {
        for (List<Event> events : byUser.values()) {
            events.clear();
            spareLists.add(events);
        }
        byUser.clear();
        records.clear();
        touched.clear();
    }

    /**
     * Whether a batch whose newest event was published at {@code newest} is part of a backlog (redis.hold-writes-lag):
     * then its users' changes wait for the barrier; live they are written with the batch, as a user's events are
     * seconds or minutes apart and would rarely share a write, while a barrier with a whole interval's users to write
     * would hold back the rows behind it.
     */
    private boolean catchingUp(long newest) {
        long lag = settings.holdWritesLag().toMillis();
        return lag == 0 || newest < System.currentTimeMillis() - lag;
    }

    /** Writes the changes of the records changed since their last write, {@code batchSize} keys per round trip. */
    private void writeUnwritten() throws Exception {
        if (unwritten.isEmpty()) {
            return;
        }
        long now = System.currentTimeMillis();
        Map<String, HashStore.Changes> changes = new LinkedHashMap<>();
        Map<String, UserRecord> changed = new HashMap<>();
        for (Map.Entry<String, UserRecord> e : unwritten.entrySet()) {
            HashStore.Changes c = e.getValue().changes(now);
            if (!c.isEmpty()) {
                String key = key(e.getKey());
                changes.put(key, c);
                changed.put(key, e.getValue());
            }
            if (changes.size() >= batchSize) {
                write(changes, changed, now);
                changes = new LinkedHashMap<>();
                changed = new HashMap<>();
            }
        }
        write(changes, changed, now);
        unwritten.clear();
    }

    /**
     * Writes changes; a record whose key vanished from Redis behind the cache (expired, evicted, deleted)
     * is written again whole, never as the few fields it changed.
     */
    private void write(Map<String, HashStore.Changes> changes, Map<String, UserRecord> changed, long now)
            throws Exception {
        if (changes.isEmpty()) {
            return;
        }
        keysWritten.inc(changes.size());
        List<String> missing = withRetries(() -> store.write(changes, settings.keyTtlMs()));
        Map<String, HashStore.Changes> again = new LinkedHashMap<>();
        for (String key : missing) {
            UserRecord record = changed.get(key);
            record.rewriteWhole();
            again.put(key, record.changes(now));
        }
        changes.forEach((key, c) -> {
            if (!again.containsKey(key)) {
                changed.get(key).written(c);
            }
        });
        if (!again.isEmpty()) {
            vanishedRecords.inc(again.size());
            withRetries(() -> store.write(again, settings.keyTtlMs()));
            again.forEach((key, c) -> changed.get(key).written(c));
        }
    }

    /** Takes the erasure list as read now and forgets what this task holds of the users it newly erases. */
    private void applyErasures() throws Exception {
        forget(erasures.refresh());
        if (!erasureFeed.checkpointed()) {
            erasures.ackApplied(); // nothing is held back until a checkpoint: what was emitted has been written
        }
    }

    /**
     * Forgets erased users' cached records (the next event reads the hash, and takes a record from before the
     * erasure for none) and their pending session rows from before the erasure.
     */
    private void forget(Set<String> users) throws Exception {
        if (users.isEmpty()) {
            return;
        }
        Erasures list = erasures.applied();
        for (String user : users) {
            if (unwritten.containsKey(user)) {
                // Written before the erasure is acknowledged, as if per batch: tools.Erase then deletes it whole.
                writeUnwritten();
                break;
            }
        }
        for (String user : users) {
            cache.remove(user);
        }
        pendingRows.removeIf(list::covers);
    }

    private static String key(String user) {
        return "user:" + user;
    }

    /**
     * The batch's users' records: from the cache, else from their hashes (one round trip, which also returns the
     * values of the layout before the hash for users without one; their sessions' funnel progress costs one more).
     * The records read are cached as they are read (the batch changes them in place), and the batch works on its own
     * map ({@code records}): the bounded cache drops entries while a batch puts more than it holds.
     */
    private void load(Iterable<String> users, Map<String, UserRecord> records) throws Exception {
        List<String> uncached = new ArrayList<>();
        for (String user : users) {
            UserRecord cached = cache.getIfPresent(user);
            if (cached == null && (cached = unwritten.get(user)) != null) {
                cache.put(user, cached); // dropped by the cache before its write: Redis does not hold it yet
            }
            if (cached == null) {
                uncached.add(user);
            } else {
                records.put(user, cached);
            }
        }
        if (uncached.isEmpty()) {
            return;
        }
        List<HashStore.Lookup> lookups = new ArrayList<>(uncached.size());
        for (String user : uncached) {
            List<String> older = new ArrayList<>(1 + settings.joinRules().size());
            older.add("session:" + user);
            settings.joinRules().forEach(r -> older.add("join:" + r.name() + ":" + user));
            lookups.add(new HashStore.Lookup(key(user), older));
        }
        List<HashStore.Hash> loaded = withRetries(() -> store.load(lookups));
        long now = System.currentTimeMillis();
        Map<String, List<byte[]>> olderLayout = new LinkedHashMap<>();
        for (int i = 0; i < uncached.size(); i++) {
            String user = uncached.get(i);
            HashStore.Hash hash = loaded.get(i);
            Erasures.Entry erased = erasures.applied().of(user);
            if (!hash.fields().isEmpty()) {
                UserRecord record;
                try {
                    record = UserRecord.fromFields(
                            hash.fields(),
                            now,
                            settings.funnelTtl().toMillis(),
                            settings.joinTtl().toMillis());
                } catch (IllegalArgumentException e) {
                    throw unreadable(key(user), "The state of a user", e);
                }
                if (erased != null && record.recordTime() <= erased.erasedAt()) {
                    // From before the user's erasure (tools.Erase deletes it): the user starts afresh, and the first
                    // write replaces it whole.
                    erasedRecords.inc();
                    record = UserRecord.empty();
                }
                records.put(user, record);
            } else if (erased != null) {
                records.put(user, UserRecord.empty()); // the older layout's keys predate the erasure
            } else if (hash.olderValues().stream().anyMatch(v -> v != null)) {
                olderLayout.put(user, hash.olderValues());
            } else {
                records.put(user, UserRecord.empty());
            }
        }
        if (!olderLayout.isEmpty()) {
            records.putAll(fromOlderLayout(olderLayout));
        }
        for (String user : uncached) {
            cache.put(user, records.get(user));
        }
    }

    /**
     * Users whose state is still in the keys of the layout before the hash ({@code session:<user>},
     * {@code join:<rule>:<user>}, and {@code funnel:<session>}, read here); those keys expire on their own. The
     * next write stores such a user's whole state in the hash.
     */
    private Map<String, UserRecord> fromOlderLayout(Map<String, List<byte[]>> values) throws Exception {
        Map<String, UserHistory> histories = new HashMap<>();
        List<String> funnelKeys = new ArrayList<>();
        values.forEach((user, older) -> {
            try {
                UserHistory h = UserHistory.fromBytes(older.get(0));
                histories.put(user, h);
                h.sessionIds().forEach(s -> funnelKeys.add("funnel:" + s));
            } catch (IllegalArgumentException e) {
                throw unreadable("session:" + user, "The session history of a user", e);
            }
        });
        Map<String, byte[]> funnels = new HashMap<>();
        if (!funnelKeys.isEmpty()) {
            List<byte[]> progress = withRetries(() -> store.loadValues(funnelKeys));
            for (int i = 0; i < funnelKeys.size(); i++) {
                funnels.put(funnelKeys.get(i).substring("funnel:".length()), progress.get(i));
            }
        }
        Map<String, UserRecord> out = new HashMap<>();
        values.forEach((user, older) -> {
            Map<String, byte[]> userFunnels = new HashMap<>();
            histories.get(user).sessionIds().forEach(s -> userFunnels.put(s, funnels.get(s)));
            Map<String, byte[]> joins = new HashMap<>();
            for (int r = 0; r < settings.joinRules().size(); r++) {
                joins.put(settings.joinRules().get(r).name(), older.get(1 + r));
            }
            try {
                out.put(user, UserRecord.fromOlderLayout(histories.get(user), userFunnels, joins));
            } catch (IllegalArgumentException e) {
                throw unreadable("join:<rule>:" + user, "The joined values of a user (earlier layout)", e);
            }
            olderLayoutUsers.inc();
        });
        return out;
    }

    /**
     * Assigns the user's events to sessions; an event id the user's history holds from another source position (a
     * client that sent it again, history imported twice) is taken out of {@code events} and counted: it is stored
     * already, and a second row would count twice until ClickHouse merges them.
     */
    private List<SessionAssignment> sessions(String user, UserHistory history, List<Event> events) {
        List<SessionAssignment> all = assigner.assign(user, history, events);
        boolean duplicates = false;
        for (int i = 0; i < all.size(); i++) {
            duplicates |= all.get(i).duplicate();
        }
        List<SessionAssignment> assigned = all;
        if (duplicates) {
            assigned = new ArrayList<>(all.size());
            int kept = 0;
            for (int i = 0; i < all.size(); i++) {
                if (all.get(i).duplicate()) {
                    duplicateEvents.inc();
                } else {
                    events.set(kept++, events.get(i));
                    assigned.add(all.get(i));
                }
            }
            events.subList(kept, events.size()).clear();
        }
        for (int i = 0; i < events.size(); i++) {
            SessionAssignment a = assigned.get(i);
            Event e = events.get(i);
            e.sessionId = a.sessionId();
            e.sessionNumber = a.sessionNumber();
            e.sessionIndex = a.index();
            if (a.replayed()) {
                replayedEvents.inc();
            } else if (a.index() == 0) {
                sessionsStarted.inc();
            }
        }
        return assigned;
    }

    /**
     * What the user's late events changed in stored rows: the corrections of the stored events, the rows that retire
     * the sessions merged away or renamed, and new rows of the sessions renumbered.
     */
    private void corrections(String user, UserRecord record, long recordTime, long processingTime) {
        List<SessionCorrection> corrections = assigner.corrections(user);
        List<SessionRow> retired = assigner.retired();
        if (corrections.isEmpty() && retired.isEmpty()) {
            return;
        }
        assigner.renamed().forEach(record::sessionRenamed);
        userCorrections.addAll(corrections);
        for (SessionRow r : retired) {
            r.recordTime = recordTime;
            output.collect(SESSION_UPDATES, new StreamRecord<>(r));
        }
        for (UserHistory.Session s : assigner.corrected()) {
            pendingRows.put(user, s, recordTime, processingTime);
        }
    }

    private void joins(String user, UserRecord record, List<Event> events, long newestBefore) {
        Set<String> changed = joiner.applyToUser(events, record.joins());
        if (!changed.isEmpty()) {
            record.joinsChanged(changed);
        }
        List<JoinedFix> fixes = joiner.lateFixes(events, record.joins(), newestBefore);
        for (int i = 0; i < fixes.size(); i++) { // by index: nearly always none, and no iterator per user and batch
            JoinedFix fix = fixes.get(i);
            for (String session : record.history.sessionIdsWithin(fix.start, fix.end)) {
                SessionCorrection c = correction(user, record, session); // a session of the history: never null
                JoinedFix[] joined = c.joined == null ? new JoinedFix[1] : Arrays.copyOf(c.joined, c.joined.length + 1);
                joined[joined.length - 1] = fix;
                c.joined = joined;
            }
        }
    }

    /**
     * The correction of the session among the user's, added as the session stands now if there is none yet; null if
     * the history no longer holds the session.
     */
    private SessionCorrection correction(String user, UserRecord record, String session) {
        for (SessionCorrection c : userCorrections) {
            if (c.sessionId.equals(session)) {
                return c;
            }
        }
        SessionCorrection c = record.history.correction(user, session);
        if (c != null) {
            userCorrections.add(c);
        }
        return c;
    }

    /**
     * Emits the user's corrections. With funnels, each tags its session's rows again from the rows, in time order:
     * the funnels' progress here followed the events in the order they came; so will every later batch of the session.
     */
    private void emitCorrections(String user, UserRecord record, long recordTime) {
        for (SessionCorrection c : userCorrections) {
            if (!versions.isEmpty()) {
                c.funnels = funnelSources(recordTime);
                SessionFunnels state = sessionFunnels(record, user, c.sessionId);
                if (!state.correctedByRows()) {
                    state.markCorrectedByRows();
                    record.funnelsChanged(c.sessionId);
                }
            }
            output.collect(CORRECTIONS, new StreamRecord<>(c));
        }
        correctionsMade.inc(userCorrections.size());
        userCorrections.clear();
    }

    private void funnels(UserRecord record, List<Event> events) {
        String first = events.get(0).sessionId;
        boolean oneSession = true;
        for (Event e : events) {
            oneSession &= e.sessionId.equals(first);
        }
        if (oneSession) { // most users' batches: no grouping needed
            funnels(record, first, events);
            return;
        }
        Map<String, List<Event>> bySession = new LinkedHashMap<>();
        for (Event e : events) {
            bySession.computeIfAbsent(e.sessionId, s -> new ArrayList<>()).add(e);
        }
        bySession.forEach((session, sessionEvents) -> funnels(record, session, sessionEvents));
    }

    private void funnels(UserRecord record, String session, List<Event> sessionEvents) {
        String user = sessionEvents.get(0).userId;
        SessionFunnels state = sessionFunnels(record, user, session);
        if (sessionEvents.size() > 1) {
            sessionEvents.sort(SESSION_INDEX_ORDER);
        }
        boolean dirty = false;
        List<SessionFunnels.Tag> tags = this.tags;
        for (Event e : sessionEvents) {
            if (e.sessionIndex <= state.maxIndex()) {
                replayedTags.inc();
            }
            tags.clear();
            dirty |= tracker.process(state, e, versions.activeAt(e.kafkaTimestamp), tags);
            tag(e, tags);
        }
        if (dirty) {
            record.funnelsChanged(session);
        }
        if (state.correctedByRows()) {
            // A late event changed the session before: the progress here cannot tag its new events as time has them.
            correction(user, record, session);
        }
    }

    private SessionFunnels sessionFunnels(UserRecord record, String user, String session) {
        try {
            return record.funnels(session);
        } catch (IllegalArgumentException e) {
            throw unreadable(key(user), "The funnel progress of session " + session, e);
        }
    }

    /** The texts of the definitions in effect for an input published at {@code time}, in funnel id order. */
    private String[] funnelSources(long time) {
        List<FunnelVersions.Version> active = versions.activeAt(time);
        if (active != sourcesOf) { // the newest versions' list is the same object until a definition changes
            String[] out = new String[active.size()];
            for (int i = 0; i < out.length; i++) {
                out[i] = active.get(i).definition().source();
            }
            sources = out;
            sourcesOf = active;
        }
        return sources;
    }

    private void tag(Event e, List<SessionFunnels.Tag> tags) {
        if (tags.isEmpty()) {
            e.funnelIds = NO_FUNNELS;
            e.funnelSteps = NO_STEPS;
            return;
        }
        e.funnelIds = new String[tags.size()];
        e.funnelSteps = new int[tags.size()];
        for (int i = 0; i < tags.size(); i++) {
            e.funnelIds[i] = tags.get(i).funnelId();
            e.funnelSteps[i] = tags.get(i).step();
        }
        tagsGiven.inc(tags.size());
    }
}
