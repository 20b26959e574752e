package io.clickstream.etl.testing;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.function.Predicate;
import org.apache.kafka.clients.producer.ProducerRecord;

/**
 * A generated clickstream of many users over three sources (web, app, backend), and what the job must make of it,
 * computed here from the events' times alone and without the job's code: sessions (the session gap over all sources
 * of a user, numbered and indexed in (time, event id) order), the plan that backend events carry into later web and
 * app events of the same user, and funnel tags (an event is tagged with the level it raises its session to).
 *
 * <p>A share of the gaps inside sessions are bursts of under 1.5 s, which disorder can swap.
 */
public final class ClickstreamTruth {
    public static final String[] SOURCES = {"web", "app", "backend"};

    /**
     * The time scale of a stream: the session gap, how far apart users start, sessions per user and events per
     * session (at most), the gaps inside a session (a share of bursts of under 1.5 s, the rest up to
     * {@code innerMaxMs}) and between sessions (at least {@code betweenMinMs}, at most that plus
     * {@code betweenExtraMs}).
     */
    public record Timing(
            long gapMs,
            long startSpreadMs,
            int maxSessions,
            int maxEvents,
            int burstPercent,
            long innerMaxMs,
            long betweenMinMs,
            long betweenExtraMs) {
        /** Sessions of real clickstreams: a 30-minute gap, 16 hours of history. */
        public static Timing hours() {
            return new Timing(30 * 60_000L, 3_600_000L, 4, 10, 30, 10 * 60_000L, 31 * 60_000L, 90 * 60_000L);
        }

        /** The same shapes in seconds (session.gap 3s), for a stream sent in real time in under a minute. */
        public static Timing seconds() {
            return new Timing(3_000L, 20_000L, 3, 6, 100, 1_500L, 3_100L, 1_900L);
        }
    }

    /** One generated event. {@code plan} is set on backend events (what the join carries). */
    public record Generated(String id, String user, String source, String type, long ts, String url, String plan) {
        public String json() {
            StringBuilder b = new StringBuilder("{\"event_id\":\"")
                    .append(id)
                    .append("\",\"user_id\":\"")
                    .append(user)
                    .append("\",\"event_type\":\"")
                    .append(type)
                    .append("\",\"source\":\"")
                    .append(source)
                    .append("\",\"ts\":")
                    .append(ts);
            if (url != null) {
                b.append(",\"url\":\"").append(url).append('"');
            }
            if (plan != null) {
                b.append(",\"properties\":{\"plan\":\"").append(plan).append("\"}");
            }
            return b.append('}').toString();
        }

        public ProducerRecord<byte[], byte[]> record(Map<String, String> topicBySource) {
            return new ProducerRecord<>(
                    topicBySource.get(source),
                    user.getBytes(StandardCharsets.UTF_8),
                    json().getBytes(StandardCharsets.UTF_8));
        }
    }

    /** A generated event with what the truth joined into it (null: nothing). */
    public record Joined(Generated event, String plan) {}

    /** A funnel as the truth sees it: its steps as predicates; an event counts as the first step it matches. */
    public record Funnel(String id, boolean strict, long windowMs, List<Predicate<Joined>> steps) {
        int stepOf(Joined e) {
            for (int i = 0; i < steps.size(); i++) {
                if (steps.get(i).test(e)) {
                    return i + 1;
                }
            }
            return 0;
        }
    }

    /** What one event must get. {@code tags}: "funnel:step", sorted; {@code plan}: joined plan or "". */
    public record Expected(String user, int sessionNumber, int index, List<String> tags, String plan) {
        public String sessionKey() {
            return user + "#" + sessionNumber;
        }
    }

    public final List<Generated> events;
    private final long gapMs;

    private ClickstreamTruth(List<Generated> events, long gapMs) {
        this.events = List.copyOf(events);
        this.gapMs = gapMs;
    }

    /**
     * {@code users} users starting within {@code timing.startSpreadMs()} from {@code start}, with sessions whose
     * sources are mixed (web 55 %, app 35 %, backend 10 %). Sessions are unambiguous by construction: gaps inside a
     * session are below the session gap, gaps between sessions above it.
     */
    public static ClickstreamTruth generate(long seed, int users, Timing timing, long start) {
        return generate(seed, users, timing, start, "u");
    }

    /** As {@link #generate(long, int, Timing, long)}, with user ids {@code <userPrefix><n>}. */
    public static ClickstreamTruth generate(long seed, int users, Timing timing, long start, String userPrefix) {
        if (timing.innerMaxMs >= timing.gapMs || timing.betweenMinMs <= timing.gapMs) {
            throw new IllegalArgumentException("ambiguous sessions: " + timing);
        }
        Random random = new Random(seed);
        List<Generated> out = new ArrayList<>();
        String[] webTypes = {
            "page_view",
            "page_view",
            "page_view",
            "page_view",
            "page_view",
            "search",
            "search",
            "add_to_cart",
            "add_to_cart",
            "purchase",
            "click"
        };
        for (int u = 0; u < users; u++) {
            String user = userPrefix + u;
            long t = start + (long) (random.nextDouble() * timing.startSpreadMs);
            int sessions = 1 + random.nextInt(timing.maxSessions);
            int n = 0;
            for (int s = 0; s < sessions; s++) {
                if (s > 0) {
                    t += timing.betweenMinMs + (long) (random.nextDouble() * timing.betweenExtraMs);
                }
                int size = 2 + random.nextInt(timing.maxEvents - 1);
                for (int i = 0; i < size; i++) {
                    if (i > 0) {
                        t += random.nextInt(100) < timing.burstPercent
                                ? 50 + random.nextInt(1450)
                                : 5_000 + (long) (random.nextDouble() * (timing.innerMaxMs - 5_000));
                    }
                    int roll = random.nextInt(100);
                    String source = roll < 55 ? "web" : roll < 90 ? "app" : "backend";
                    String id = user + "-" + n++;
                    if (source.equals("backend")) {
                        out.add(new Generated(
                                id,
                                user,
                                source,
                                random.nextBoolean() ? "plan_change" : "payment",
                                t,
                                null,
                                random.nextBoolean() ? "pro" : "free"));
                    } else {
                        String type = webTypes[random.nextInt(webTypes.length)];
                        String url = type.equals("page_view") ? "https://shop.example/p/" + random.nextInt(50) : null;
                        out.add(new Generated(id, user, source, type, t, url, null));
                    }
                }
            }
        }
        return new ClickstreamTruth(out, timing.gapMs);
    }

    /** One truth over the events of both (of different users or not: the truth is computed over all of them). */
    public ClickstreamTruth plus(ClickstreamTruth other) {
        List<Generated> all = new ArrayList<>(events);
        all.addAll(other.events);
        return new ClickstreamTruth(all, gapMs);
    }

    /** The same truth over only some of the events (those a job started at a later position reads). */
    public ClickstreamTruth only(Predicate<Generated> read) {
        return new ClickstreamTruth(events.stream().filter(read).toList(), gapMs);
    }

    /** The events of one source, in time order (as one producer would send them). */
    public List<Generated> of(String source) {
        return events.stream()
                .filter(e -> e.source.equals(source))
                .sorted(Comparator.comparingLong(Generated::ts).thenComparing(Generated::id))
                .toList();
    }

    /** Every event's expected answers, by event id. */
    public Map<String, Expected> expected(List<Funnel> funnels) {
        Map<String, List<Generated>> byUser = new TreeMap<>();
        for (Generated e : events) {
            byUser.computeIfAbsent(e.user, u -> new ArrayList<>()).add(e);
        }
        Map<String, Expected> out = new HashMap<>();
        for (List<Generated> userEvents : byUser.values()) {
            userEvents.sort(Comparator.comparingLong(Generated::ts).thenComparing(Generated::id));
            String plan = null;
            List<List<Joined>> sessions = new ArrayList<>();
            long last = Long.MIN_VALUE;
            for (Generated e : userEvents) {
                if (sessions.isEmpty() || e.ts - last >= gapMs) {
                    sessions.add(new ArrayList<>());
                }
                last = e.ts;
                if (e.source.equals("backend")) {
                    plan = e.plan;
                    sessions.get(sessions.size() - 1).add(new Joined(e, null));
                } else {
                    sessions.get(sessions.size() - 1).add(new Joined(e, plan));
                }
            }
            for (int s = 0; s < sessions.size(); s++) {
                List<Joined> session = sessions.get(s);
                Map<Integer, List<String>> tags = tags(session, funnels);
                for (int i = 0; i < session.size(); i++) {
                    Joined j = session.get(i);
                    out.put(
                            j.event.id,
                            new Expected(
                                    j.event.user,
                                    s + 1,
                                    i,
                                    tags.getOrDefault(i, List.of()),
                                    j.plan == null ? "" : j.plan));
                }
            }
        }
        return out;
    }

    /** Per event position, the tags it gets: the levels it raises its session to, funnel by funnel. */
    private static Map<Integer, List<String>> tags(List<Joined> session, List<Funnel> funnels) {
        Map<Integer, List<String>> out = new HashMap<>();
        for (Funnel f : funnels) {
            int[] steps = new int[session.size()];
            long[] times = new long[session.size()];
            for (int i = 0; i < session.size(); i++) {
                steps[i] = f.stepOf(session.get(i));
                times[i] = session.get(i).event.ts;
            }
            int before = 0;
            for (int p = 0; p < session.size(); p++) {
                int level = f.strict
                        ? strictLevel(steps, times, p, f.windowMs)
                        : sequentialLevel(steps, times, p, f.windowMs);
                if (level > before) {
                    out.computeIfAbsent(p, k -> new ArrayList<>()).add(f.id + ":" + level);
                    before = level;
                }
            }
        }
        out.values().forEach(l -> l.sort(null));
        return out;
    }

    /**
     * The longest k such that events 0..last hold a subsequence of steps 1..k whose last is within the window of
     * its first: for each start, matching each next step at its earliest chance is the best a chain can do.
     */
    static int sequentialLevel(int[] steps, long[] times, int last, long windowMs) {
        int best = 0;
        for (int start = 0; start <= last; start++) {
            if (steps[start] != 1) {
                continue;
            }
            int level = 1;
            for (int i = start + 1; i <= last; i++) {
                if (steps[i] == level + 1 && times[i] - times[start] <= windowMs) {
                    level++;
                }
            }
            best = Math.max(best, level);
        }
        return best;
    }

    /** The longest run of consecutive events 1, 2, ..., k within events 0..last, the last within the window of the first. */
    static int strictLevel(int[] steps, long[] times, int last, long windowMs) {
        int best = 0;
        for (int start = 0; start <= last; start++) {
            int level = 0;
            while (start + level <= last
                    && steps[start + level] == level + 1
                    && times[start + level] - times[start] <= windowMs) {
                level++;
            }
            best = Math.max(best, level);
        }
        return best;
    }

    /** Sessions reaching each step (1-based index k-1), over all sessions, as the funnel report counts them. */
    public static List<Long> reached(Map<String, Expected> expected, String funnelId, int steps) {
        Map<String, Integer> levelBySession = new LinkedHashMap<>();
        for (Expected e : expected.values()) {
            int level = levelBySession.getOrDefault(e.sessionKey(), 0);
            for (String tag : e.tags) {
                if (tag.startsWith(funnelId + ":")) {
                    level = Math.max(level, Integer.parseInt(tag.substring(funnelId.length() + 1)));
                }
            }
            levelBySession.put(e.sessionKey(), level);
        }
        List<Long> out = new ArrayList<>();
        for (int k = 1; k <= steps; k++) {
            int step = k;
            out.add(levelBySession.values().stream().filter(l -> l >= step).count());
        }
        return out;
    }
}
