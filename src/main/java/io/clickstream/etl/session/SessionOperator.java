package io.clickstream.etl.session;

import io.clickstream.etl.event.Event;
import io.clickstream.etl.redis.BatchingRedisOperator;
import io.clickstream.etl.redis.BlobStore;
import io.clickstream.etl.redis.StateCache;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.metrics.Counter;
import org.apache.flink.streaming.api.operators.OneInputStreamOperator;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.util.OutputTag;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Gives every event its session (id, number, index inside the session), with the users' histories in Redis.
 * Runs after keyBy(user_id), so each user's history has one writer, which lets a bounded cache of histories skip
 * most reads. Per batch (see {@link BatchingRedisOperator}): one MGET for the batch's uncached users, one pipelined
 * write of the changed histories.
 */
public class SessionOperator extends BatchingRedisOperator<Event, Event> implements OneInputStreamOperator<Event, Event> {
    private static final long serialVersionUID = 1L;

    /**
     * The state of the sessions touched since the last update, for the sessions table (replays included: they
     * repair a lost update): one row per session per update interval and checkpoint, not per batch, which would
     * come close to one row per event.
     */
    public static final OutputTag<SessionRow> SESSION_UPDATES = new OutputTag<>("session-updates", TypeInformation.of(SessionRow.class));

    private static final Comparator<Event> TIME_ORDER = Comparator.<Event>comparingLong(e -> e.eventTime)
            .thenComparing(e -> e.eventId);
    /** Bounds the memory of pending session rows between updates. */
    private static final int MAX_PENDING_ROWS = 100_000;

    private final SessionRules rules;
    private final long stateTtlMs;
    private final long cacheSize;
    private final long updateIntervalMs;

    private transient SessionAssigner assigner;
    private transient Map<String, SessionRow> pendingRows;
    private transient StateCache<String, UserHistory> cache;
    private transient Counter sessionsStarted;
    private transient Counter replayedEvents;

    public SessionOperator(SessionRules rules, BlobStore.Factory storeFactory, int batchSize, long batchDelayMs,
                           long stateTtlMs, long cacheSize, long maxBackoffMs, long updateIntervalMs) {
        super("sessions", storeFactory, batchSize, batchDelayMs, maxBackoffMs);
        this.rules = rules;
        this.stateTtlMs = stateTtlMs;
        this.cacheSize = cacheSize;
        this.updateIntervalMs = updateIntervalMs;
    }

    @Override
    public void open() throws Exception {
        super.open();
        assigner = new SessionAssigner(rules);
        cache = new StateCache<>(cacheSize);
        sessionsStarted = metrics().counter("started");
        replayedEvents = metrics().counter("replayedEvents");
        pendingRows = new LinkedHashMap<>();
        scheduleSessionRows();
    }

    private void scheduleSessionRows() {
        long now = getProcessingTimeService().getCurrentProcessingTime();
        getProcessingTimeService().registerTimer(now + updateIntervalMs, t -> {
            emitSessionRows();
            scheduleSessionRows();
        });
    }

    /** Emits the pending session rows; each row follows the events it sums up, so also before every barrier. */
    private void emitSessionRows() throws Exception {
        flush();
        pendingRows.values().forEach(r -> output.collect(SESSION_UPDATES, new StreamRecord<>(r)));
        pendingRows.clear();
    }

    @Override
    public void prepareSnapshotPreBarrier(long checkpointId) throws Exception {
        super.prepareSnapshotPreBarrier(checkpointId);
        emitSessionRows();
    }

    @Override
    public void endInput() throws Exception {
        super.endInput();
        emitSessionRows();
    }

    @Override
    public void finish() throws Exception {
        emitSessionRows();
        super.finish();
    }

    @Override
    public void processElement(StreamRecord<Event> element) throws Exception {
        add(element.getValue());
    }

    @Override
    protected void processBatch(List<Event> buffer) throws Exception {
        Map<String, List<Event>> byUser = new LinkedHashMap<>();
        for (Event e : buffer) {
            byUser.computeIfAbsent(e.userId, u -> new ArrayList<>()).add(e);
        }
        // The batch works on its own map: the bounded cache drops entries while a batch puts more than it holds.
        Map<String, UserHistory> histories = new LinkedHashMap<>();
        List<String> uncached = new ArrayList<>();
        for (String user : byUser.keySet()) {
            UserHistory cached = cache.getIfPresent(user);
            if (cached == null) {
                uncached.add(user);
            } else {
                histories.put(user, cached);
            }
        }
        if (!uncached.isEmpty()) {
            List<byte[]> loaded = load(uncached);
            for (int i = 0; i < uncached.size(); i++) {
                histories.put(uncached.get(i), read(uncached.get(i), loaded.get(i)));
            }
        }
        Map<String, byte[]> changed = new LinkedHashMap<>();
        Map<String, List<UserHistory.Session>> touched = new LinkedHashMap<>();
        byUser.forEach((user, events) -> {
            UserHistory history = histories.get(user);
            List<SessionAssignment> assigned = assigner.assign(user, history, events);
            boolean anyNew = false;
            for (int i = 0; i < events.size(); i++) {
                SessionAssignment a = assigned.get(i);
                Event e = events.get(i);
                e.sessionId = a.sessionId();
                e.sessionNumber = a.sessionNumber();
                e.sessionIndex = a.index();
                if (a.replayed()) {
                    replayedEvents.inc();
                } else {
                    anyNew = true;
                    if (a.index() == 0) {
                        sessionsStarted.inc();
                    }
                }
            }
            if (anyNew) {
                changed.put(user, history.toBytes());
            }
            cache.put(user, history);
            touched.put(user, touchedSessions(history, assigned));
        });
        store(changed, stateTtlMs);
        // Each user's events leave in (time, event id) order, as they were assigned: the joins take the values given
        // before an event's time, and the funnels take an index at or below the highest they have seen for a replay,
        // so within a session indexes must only grow along the stream (new events get indexes in that order).
        for (List<Event> events : byUser.values()) {
            events.sort(TIME_ORDER);
            events.forEach(this::emit);
        }
        touched.forEach((user, list) -> list.forEach(s -> pendingRows.put(s.id, row(user, s))));
        if (pendingRows.size() >= MAX_PENDING_ROWS) {
            emitSessionRows();
        }
    }

    private static List<UserHistory.Session> touchedSessions(UserHistory history, List<SessionAssignment> assigned) {
        List<UserHistory.Session> out = new ArrayList<>();
        for (UserHistory.Session s : history.sessions) {
            for (SessionAssignment a : assigned) {
                if (a.sessionId().equals(s.id)) {
                    out.add(s);
                    break;
                }
            }
        }
        return out;
    }

    static SessionRow row(String user, UserHistory.Session s) {
        SessionRow r = new SessionRow();
        r.sessionId = s.id;
        r.userId = user;
        r.sessionNumber = s.number;
        r.origin = s.origin;
        r.start = s.start;
        r.end = s.end;
        r.events = s.count;
        r.pageViews = s.pageViews;
        r.entryUrl = s.entryUrl;
        r.exitUrl = s.exitUrl;
        r.referrer = s.referrer;
        r.sources = s.sources.toArray(new String[0]);
        r.ip = s.entryIp;
        r.userAgent = s.entryUserAgent;
        if (s.entryGeo) {
            r.geoGiven = true;
            r.countryCode = s.countryCode;
            r.country = s.country;
            r.region = s.region;
            r.city = s.city;
        }
        if (s.entryDevice) {
            r.deviceGiven = true;
            r.browser = s.browser;
            r.os = s.os;
            r.deviceType = s.deviceType;
            r.bot = s.bot;
        }
        return r;
    }

    private UserHistory read(String user, byte[] bytes) {
        try {
            return UserHistory.fromBytes(bytes);
        } catch (IllegalArgumentException e) {
            throw unreadable(user, "The session history of user '" + user + "'", e);
        }
    }
}
