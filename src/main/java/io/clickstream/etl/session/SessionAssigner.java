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
 * {@code EventTimeOrder} step puts them in that order across batches), so the same events give the same sessions; an
 * event the history already holds gets back exactly its earlier session and index: a replay (read again from the same
 * source position), or a duplicate delivery (the same event id from another position), which the caller leaves out.
 * A new event joins the session it falls into or borders within the gap, or starts a new one whose id derives from
 * the user and the event's time. An event that comes after later ones (late) gets what the event-time truth gives it
 * within the history: it may move the later events' indexes, rename the session it now starts, merge the two it
 * bridges, or take the number of the sessions after it; the sessions whose stored rows that changes are given by
 * {@link #corrections} and the sessions it ended by {@link #retired}.
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
    /** The sessions whose stored events late events of the last batch changed ({@link #corrections}). */
    private final List<UserHistory.Session> corrected = new ArrayList<>();
    /** Rows that retire the sessions the last batch merged away or renamed. */
    private final List<SessionRow> retired = new ArrayList<>();
    /** Old id to new id of the sessions the last batch renamed. */
    private final java.util.Map<String, String> renamed = new java.util.LinkedHashMap<>();

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
        corrected.clear();
        retired.clear();
        renamed.clear();
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
        corrected.retainAll(history.sessions); // not one a later event of the batch merged away
        return Arrays.asList(result);
    }

    /**
     * What the last {@link #assign} changed in rows stored before it: each corrected session as it stands now (its
     * stored events, those whose times lie within its bounds, get its id and number and are ranked again by time).
     */
    public List<SessionCorrection> corrections(String userId) {
        if (corrected.isEmpty()) {
            return List.of();
        }
        List<SessionCorrection> out = new ArrayList<>(corrected.size());
        for (UserHistory.Session s : corrected) {
            out.add(SessionCorrection.of(userId, s));
        }
        return out;
    }

    /**
     * The sessions the last {@link #assign} merged into another or renamed, as rows that retire them (a view, until
     * the next {@link #assign}).
     */
    public List<SessionRow> retired() {
        return retired.isEmpty() ? List.of() : java.util.Collections.unmodifiableList(retired);
    }

    /**
     * The sessions the last {@link #assign} renamed: old id to new id (their funnel progress moves with them; a view,
     * until the next {@link #assign}).
     */
    public java.util.Map<String, String> renamed() {
        return renamed.isEmpty() ? java.util.Map.of() : java.util.Collections.unmodifiableMap(renamed);
    }

    /**
     * The sessions whose stored rows the last {@link #assign} changed, as {@link #corrections} names them: their
     * session rows are due again too (a renumbered one may have had no event in the batch).
     */
    public List<UserHistory.Session> corrected() {
        return java.util.Collections.unmodifiableList(corrected);
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
                if (s.late(entry) && !duplicate) {
                    // Its corrections may have been lost with the run that made them (Redis keeps what the
                    // checkpoint had not): asked for again, they give the same rows.
                    correctFrom(history, s);
                }
                return new SessionAssignment(s.id, s.number, s.index(entry), true, duplicate);
            }
        }
        UserHistory.Session before = null;
        UserHistory.Session after = null;
        UserHistory.Session inside = null;
        long newest = Long.MIN_VALUE;
        for (UserHistory.Session s : history.sessions) {
            newest = Math.max(newest, s.end);
            if (!fits(s, ts)) {
                continue;
            }
            if (ts >= s.start && ts <= s.end) {
                inside = s;
            } else if (ts > s.end) {
                before = before == null || s.end > before.end ? s : before;
            } else {
                after = after == null || s.start < after.start ? s : after;
            }
        }
        UserHistory.Session session;
        int index;
        boolean late = false;
        if (inside != null) {
            session = inside;
            summarize(session, event, ts);
            index = session.count++;
            // Events after it in time got their indexes already: its rows are ranked again by time.
            late = ts < session.end;
        } else if (before != null && after != null && mergeable(before, after)) {
            session = before;
            summarize(session, event, ts);
            index = session.count++;
            merge(userId, history, before, after);
            late = true;
        } else if (before != null) {
            session = before;
            summarize(session, event, ts);
            index = session.count++;
        } else if (after != null) {
            session = after;
            // The session's earliest event now: the session is named after it, and the others move up one.
            retired.add(SessionRows.retired(userId, after));
            String newId = SessionKeys.sessionId(userId, ts);
            renamed.put(after.id, newId);
            after.rename(newId, ts);
            after.shiftIndexes(1);
            summarize(session, event, ts);
            session.count++;
            index = 0;
            late = true;
        } else {
            int number = ++history.lastNumber;
            if (ts >= newest - rules.history().toMillis()) {
                // Sessions after it in time were numbered before it came: it takes the first such number. (An event
                // older than the history cannot know the sessions the history forgot: it takes the next number.)
                for (UserHistory.Session s : history.sessions) {
                    if (s.start > ts) {
                        number = Math.min(number, s.number);
                    }
                }
                for (UserHistory.Session s : history.sessions) {
                    if (s.start > ts) {
                        s.renumber(s.number + 1);
                        late = true;
                    }
                }
            }
            session = new UserHistory.Session(SessionKeys.sessionId(userId, ts), number, ts, ts, ts, 0);
            history.sessions.add(session);
            summarize(session, event, ts);
            index = session.count++;
        }
        session.changed();
        touched.add(session);
        if (session.remembered() < rules.maxEventsPerSession()) {
            session.remember(key, tag, late ? index | UserHistory.LATE : index);
        }
        if (late) {
            correctFrom(history, session);
        }
        return new SessionAssignment(session.id, session.number, index, false);
    }

    /** Whether a session fits an event at {@code ts}: within the gap and the session rules' bounds. */
    private boolean fits(UserHistory.Session s, long ts) {
        long distance = ts < s.start ? s.start - ts : Math.max(0, ts - s.end);
        if (distance >= gapMs) {
            return false;
        }
        if (Math.max(s.end, ts) - Math.min(s.start, ts) > maxLengthMs) {
            return false;
        }
        return rules.splitAtMidnight() == null || day(ts).equals(day(s.start));
    }

    /** Whether an event between the two may make them one session under the session rules. */
    private boolean mergeable(UserHistory.Session a, UserHistory.Session b) {
        return b.end - a.start <= maxLengthMs
                && (rules.splitAtMidnight() == null || day(a.start).equals(day(b.end)));
    }

    /**
     * {@code later} joins {@code earlier}, which has just taken the event that bridges them: its events follow with
     * their indexes moved up, its summary adds to the earlier's, and the sessions after it move down one number.
     */
    private void merge(String userId, UserHistory history, UserHistory.Session earlier, UserHistory.Session later) {
        retired.add(SessionRows.retired(userId, later));
        int offset = earlier.count;
        for (int i = 0; i < later.remembered() && earlier.remembered() < rules.maxEventsPerSession(); i++) {
            earlier.remember(later.keyAndTag(i), (later.index(i) + offset) | (later.late(i) ? UserHistory.LATE : 0));
        }
        earlier.count += later.count;
        earlier.end = later.end;
        earlier.exitUrl = later.exitUrl;
        earlier.pageViews += later.pageViews;
        for (String source : later.sources) {
            if (earlier.sources.size() < MAX_SOURCES_PER_SESSION) {
                earlier.sources.add(source);
            }
        }
        if (!earlier.entryGeo && earlier.entryIp.isEmpty() && later.entryGeo) {
            earlier.entryGeo = true;
            earlier.countryCode = later.countryCode;
            earlier.country = later.country;
            earlier.region = later.region;
            earlier.city = later.city;
        }
        if (!earlier.entryDevice && earlier.entryUserAgent.isEmpty() && later.entryDevice) {
            earlier.entryDevice = true;
            earlier.browser = later.browser;
            earlier.os = later.os;
            earlier.deviceType = later.deviceType;
            earlier.bot = later.bot;
        }
        earlier.entryChanged();
        history.sessions.remove(later);
        for (UserHistory.Session s : history.sessions) {
            if (s.number > later.number) {
                s.renumber(s.number - 1);
            }
        }
        history.lastNumber--;
    }

    /** The session's stored rows, and those of the sessions after it (their numbers may have moved), are corrected. */
    private void correctFrom(UserHistory history, UserHistory.Session from) {
        for (UserHistory.Session s : history.sessions) {
            if (s.number >= from.number && !corrected.contains(s)) {
                corrected.add(s);
            }
        }
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

    private LocalDate day(long millis) {
        return Instant.ofEpochMilli(millis).atZone(rules.splitAtMidnight()).toLocalDate();
    }
}
