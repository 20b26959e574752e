package io.clickstream.etl.session;

import io.clickstream.etl.event.Event;
import java.time.Instant;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;

/**
 * Puts a user's events into sessions, given what is remembered of the user ({@link UserHistory}), and updates it.
 * Plain Java: the Flink operator around it batches users and reads and writes the histories in Redis.
 *
 * <p>Events are taken in (event time, event id) order, whatever order they came in within a batch (the job's
 * {@code EventTimeOrder} step puts them in that order across batches), so the same events give the same sessions; an event the history already holds gets back exactly its earlier session and index: a
 * replay (read again from the same source position), or a duplicate delivery (the same event id from another
 * position), which the caller leaves out. A new event joins the session it falls into or borders within the gap (the closest
 * one when two qualify; sessions are never merged after the fact), or starts a new one whose id derives from the
 * user and the event's time and whose number follows the user's last.
 */
public final class SessionAssigner {
    /**
     * 'source' is producer input: a session's set of sources is capped, so that a producer sending a new source per
     * event cannot grow one user's stored history without end. The first sources by event time are kept.
     */
    static final int MAX_SOURCES_PER_SESSION = 16;

    private final SessionRules rules;
    private final long gapMs;
    private final long maxLengthMs;
    /** The sessions the batch of one user touched (an assigner serves one task, one user at a time). */
    private final List<UserHistory.Session> touched = new ArrayList<>();

    public SessionAssigner(SessionRules rules) {
        this.rules = rules;
        this.gapMs = rules.gap().toMillis();
        this.maxLengthMs =
                rules.maxLength() == null ? Long.MAX_VALUE : rules.maxLength().toMillis();
    }

    /** Assignments in the order of {@code events}. */
    public List<SessionAssignment> assign(String userId, UserHistory history, List<Event> events) {
        int n = events.size();
        SessionAssignment[] result = new SessionAssignment[n];
        // A user has a few sessions: a list (by identity, as the sessions do not define equality) serves.
        List<UserHistory.Session> touched = this.touched;
        touched.clear();
        long reference = Long.MIN_VALUE;
        if (n == 1) { // most batches hold one event of a user: no order to find
            reference = assignAt(0, userId, history, events, result, touched);
        } else {
            Integer[] order = new Integer[n];
            for (int i = 0; i < n; i++) {
                order[i] = i;
            }
            Arrays.sort(
                    order,
                    Comparator.<Integer>comparingLong(i -> events.get(i).eventTime)
                            .thenComparing(i -> events.get(i).eventId));
            for (int i : order) {
                reference = Math.max(reference, assignAt(i, userId, history, events, result, touched));
            }
        }
        // Forget what lies more than the history before this batch's time, judged like the watermark (never beyond a
        // record's write time, so one event stamped far ahead cannot make the user's current sessions look old) and
        // never a session this batch touched (a late event older than the history would start one per batch).
        if (n > 0) {
            history.trim(reference - rules.history().toMillis(), touched);
        }
        touched.clear();
        return Arrays.asList(result);
    }

    /** Assigns {@code events[i]} into {@code result[i]}; its time as the watermark would judge it. */
    private long assignAt(
            int i,
            String userId,
            UserHistory history,
            List<Event> events,
            SessionAssignment[] result,
            List<UserHistory.Session> touched) {
        Event e = events.get(i);
        result[i] = assignOne(
                userId,
                history,
                e,
                SessionKeys.eventKey(e.eventId),
                SessionKeys.positionTag(e.kafkaTopic, e.kafkaPartition, e.kafkaOffset),
                touched);
        return e.vouchedTime();
    }

    private SessionAssignment assignOne(
            String userId, UserHistory history, Event event, long key, int tag, List<UserHistory.Session> touched) {
        long ts = event.eventTime;
        for (UserHistory.Session s : history.sessions) {
            // A session holds only events within [start, end]: the others need no look-up (and no decoding).
            int entry = ts < s.start || ts > s.end ? -1 : s.find(key);
            if (entry >= 0) {
                touched.add(s);
                int knownTag = s.tag(entry);
                // From the same position (or one not known): a replay, given its answer again. From another: the
                // same event delivered twice.
                boolean duplicate = knownTag != 0 && tag != 0 && knownTag != tag;
                return new SessionAssignment(s.id, s.number, s.index(entry), true, duplicate);
            }
        }
        UserHistory.Session session = closestFitting(history, ts);
        if (session == null) {
            session = new UserHistory.Session(SessionKeys.sessionId(userId, ts), ++history.lastNumber, ts, ts, ts, 0);
            history.sessions.add(session);
        }
        session.changed();
        touched.add(session);
        summarize(session, event, ts);
        int index = session.count++;
        if (session.remembered() < rules.maxEventsPerSession()) {
            session.remember(key, tag, index);
        }
        return new SessionAssignment(session.id, session.number, index, false);
    }

    /** Keeps the sessions-table summary: entry from the earliest event, exit from the latest. */
    private static void summarize(UserHistory.Session s, Event e, long ts) {
        boolean first = s.count == 0;
        if (first || ts < s.start) {
            s.entryChanged();
            s.start = ts;
            s.entryUrl = orEmpty(e.url);
            s.referrer = orEmpty(e.referrer);
        }
        if (first || ts >= s.end) {
            s.end = ts;
            s.exitUrl = orEmpty(e.url);
        }
        // Geo and device of the earliest event with an IP / a user agent, as the event got them (looked up before
        // the shuffle): the session's row needs no lookup of its own. A session stored before format 3 keeps its
        // entry IP / user agent (its row is looked up) until an earlier event brings its own.
        if (!orEmpty(e.ip).isEmpty() && ((!s.entryGeo && s.entryIp.isEmpty()) || ts <= s.start)) {
            s.entryChanged();
            s.entryGeo = true;
            s.entryIp = "";
            s.countryCode = orEmpty(e.countryCode);
            s.country = orEmpty(e.country);
            s.region = orEmpty(e.region);
            s.city = orEmpty(e.city);
        }
        if (!orEmpty(e.userAgent).isEmpty() && ((!s.entryDevice && s.entryUserAgent.isEmpty()) || ts <= s.start)) {
            s.entryChanged();
            s.entryDevice = true;
            s.entryUserAgent = "";
            s.browser = orEmpty(e.browser);
            s.os = orEmpty(e.os);
            s.deviceType = orEmpty(e.deviceType);
            s.bot = e.bot;
        }
        if ("page_view".equals(e.eventType)) {
            s.pageViews++;
        }
        if (e.source != null && !e.source.isEmpty() && s.sources.size() < MAX_SOURCES_PER_SESSION) {
            s.sources.add(e.source);
        }
    }

    private static String orEmpty(String s) {
        return s == null ? "" : s;
    }

    private UserHistory.Session closestFitting(UserHistory history, long ts) {
        UserHistory.Session best = null;
        long bestDistance = Long.MAX_VALUE;
        for (UserHistory.Session s : history.sessions) {
            long distance = ts < s.start ? s.start - ts : Math.max(0, ts - s.end);
            if (distance >= gapMs) {
                continue;
            }
            if (Math.max(s.end, ts) - Math.min(s.start, ts) > maxLengthMs) {
                continue;
            }
            if (rules.splitAtMidnight() != null && !day(ts).equals(day(s.start))) {
                continue;
            }
            if (distance < bestDistance || (distance == bestDistance && best != null && s.start > best.start)) {
                best = s;
                bestDistance = distance;
            }
        }
        return best;
    }

    private LocalDate day(long millis) {
        return Instant.ofEpochMilli(millis).atZone(rules.splitAtMidnight()).toLocalDate();
    }
}
