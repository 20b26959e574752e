package io.clickstream.etl.session;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.clickstream.etl.event.Event;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.Histogram;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.runtime.metrics.DescriptiveStatisticsHistogram;
import org.apache.flink.streaming.api.operators.AbstractStreamOperator;
import org.apache.flink.streaming.api.operators.BoundedOneInput;
import org.apache.flink.streaming.api.operators.OneInputStreamOperator;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.util.OutputTag;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Gives every event its session (id, number, index inside the session), with the users' histories in Redis.
 * Runs after keyBy(user_id), so each user's history has one writer, which lets a bounded cache of histories skip
 * most reads. Events are assigned in batches ({@code batchSize} events or every {@code batchDelayMs}): one MGET for
 * the batch's uncached users, one pipelined write of the changed histories — two round trips per batch at most.
 * A batch is also completed before each checkpoint barrier and at the end of input, so a checkpoint never covers
 * an event that has not been emitted. Redis failures are retried with backoff while the task waits (back-pressure):
 * no event leaves without its session.
 */
public class SessionOperator extends AbstractStreamOperator<Event> implements OneInputStreamOperator<Event, Event>,
        BoundedOneInput {
    private static final long serialVersionUID = 1L;

    /** The state of every session a batch touched, for the sessions table (replays included: they repair a lost update). */
    public static final OutputTag<SessionRow> SESSION_UPDATES = new OutputTag<>("session-updates", TypeInformation.of(SessionRow.class));

    private static final Logger LOG = LoggerFactory.getLogger(SessionOperator.class);

    private final SessionRules rules;
    private final SessionStore.Factory storeFactory;
    private final int batchSize;
    private final long batchDelayMs;
    private final long stateTtlMs;
    private final long cacheSize;
    private final long maxBackoffMs;

    private transient SessionStore store;
    private transient SessionAssigner assigner;
    private transient Cache<String, UserHistory> cache;
    private transient List<Event> buffer;
    private transient Counter roundTrips;
    private transient Counter redisFailures;
    private transient Counter sessionsStarted;
    private transient Counter replayedEvents;
    private transient Counter damagedHistories;
    private transient Histogram redisLatencyMs;
    private transient long eventsAssigned;

    public SessionOperator(SessionRules rules, SessionStore.Factory storeFactory, int batchSize, long batchDelayMs,
                           long stateTtlMs, long cacheSize, long maxBackoffMs) {
        this.rules = rules;
        this.storeFactory = storeFactory;
        this.batchSize = batchSize;
        this.batchDelayMs = batchDelayMs;
        this.stateTtlMs = stateTtlMs;
        this.cacheSize = cacheSize;
        this.maxBackoffMs = maxBackoffMs;
    }

    @Override
    public void open() throws Exception {
        super.open();
        store = storeFactory.open();
        assigner = new SessionAssigner(rules);
        cache = Caffeine.newBuilder().maximumSize(cacheSize).build();
        buffer = new ArrayList<>(batchSize);
        MetricGroup g = getMetricGroup().addGroup("sessions");
        roundTrips = g.counter("redisRoundTrips");
        redisFailures = g.counter("redisFailures");
        sessionsStarted = g.counter("started");
        replayedEvents = g.counter("replayedEvents");
        damagedHistories = g.counter("damagedHistories");
        redisLatencyMs = g.histogram("redisLatencyMs", new DescriptiveStatisticsHistogram(1000));
        g.gauge("redisRoundTripsPerEvent", () -> eventsAssigned == 0 ? 0.0 : (double) roundTrips.getCount() / eventsAssigned);
        scheduleFlush();
    }

    private void scheduleFlush() {
        long now = getProcessingTimeService().getCurrentProcessingTime();
        getProcessingTimeService().registerTimer(now + batchDelayMs, t -> {
            flush();
            scheduleFlush();
        });
    }

    @Override
    public void processElement(StreamRecord<Event> element) throws Exception {
        buffer.add(element.getValue());
        if (buffer.size() >= batchSize) {
            flush();
        }
    }

    @Override
    public void prepareSnapshotPreBarrier(long checkpointId) throws Exception {
        flush();
    }

    @Override
    public void endInput() throws Exception {
        flush();
    }

    @Override
    public void finish() throws Exception {
        flush();
        super.finish();
    }

    @Override
    public void close() throws Exception {
        if (store != null) {
            store.close();
        }
        super.close();
    }

    private void flush() throws Exception {
        if (buffer.isEmpty()) {
            return;
        }
        Map<String, List<Event>> byUser = new LinkedHashMap<>();
        for (Event e : buffer) {
            byUser.computeIfAbsent(e.userId, u -> new ArrayList<>()).add(e);
        }
        List<String> uncached = new ArrayList<>();
        for (String user : byUser.keySet()) {
            if (cache.getIfPresent(user) == null) {
                uncached.add(user);
            }
        }
        if (!uncached.isEmpty()) {
            List<byte[]> loaded = withRetries(() -> store.load(uncached));
            for (int i = 0; i < uncached.size(); i++) {
                cache.put(uncached.get(i), read(uncached.get(i), loaded.get(i)));
            }
        }
        Map<String, byte[]> changed = new LinkedHashMap<>();
        Map<String, List<UserHistory.Session>> touched = new LinkedHashMap<>();
        byUser.forEach((user, events) -> {
            UserHistory history = cache.getIfPresent(user);
            if (history == null) { // evicted between load and use (a batch larger than the cache)
                history = new UserHistory();
            }
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
        if (!changed.isEmpty()) {
            withRetries(() -> {
                store.store(changed, stateTtlMs);
                return null;
            });
        }
        eventsAssigned += buffer.size();
        for (Event e : buffer) {
            output.collect(new StreamRecord<>(e));
        }
        touched.forEach((user, list) -> list.forEach(s -> output.collect(SESSION_UPDATES, new StreamRecord<>(row(user, s)))));
        buffer.clear();
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
        return r;
    }

    private UserHistory read(String user, byte[] bytes) {
        try {
            return UserHistory.fromBytes(bytes);
        } catch (IllegalArgumentException e) {
            // Not ours or damaged: start the user afresh rather than stop the stream; counted for alerting.
            damagedHistories.inc();
            LOG.warn("Session history of user {} cannot be read ({}); starting it afresh", user, e.getMessage());
            return new UserHistory();
        }
    }

    @FunctionalInterface
    private interface RedisCall<T> {
        T call() throws Exception;
    }

    private <T> T withRetries(RedisCall<T> call) throws InterruptedException {
        long backoff = 100;
        for (int attempt = 1; ; attempt++) {
            long start = System.nanoTime();
            try {
                T result = call.call();
                roundTrips.inc();
                redisLatencyMs.update(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start));
                return result;
            } catch (InterruptedException e) {
                throw e;
            } catch (Exception e) {
                redisFailures.inc();
                if (attempt == 1 || attempt % 10 == 0) {
                    LOG.warn("Redis call failed (attempt {}), retrying in {} ms; events wait: {}", attempt, backoff, e.toString());
                }
                Thread.sleep(backoff);
                backoff = Math.min(backoff * 2, maxBackoffMs);
            }
        }
    }
}
