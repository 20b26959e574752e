package io.clickstream.etl.session;

/**
 * Late events changed rows stored before them: the user's stored events whose times lie in {@code [start, end]}
 * (epoch ms) are this session's — its id and number, their indexes by (time, event id) — and there are
 * {@code events} of them once every row the job sent is in the table. A correction holds the session as it stands,
 * not a change to it, so applying it again (a replay) gives the same rows. With {@code funnels} (the definitions'
 * JSON, in funnel id order) the rows' funnel tags are computed again from the rows, in that order, under those
 * definitions; without (null), the tags stay as stored. Its {@code joined} fixes are applied to the rows first. A
 * Flink POJO.
 */
public class SessionCorrection {
    public String userId;
    public String sessionId;
    public int sessionNumber;
    public long start;
    public long end;
    public int events;
    public String[] funnels;
    /** Joined values late givers changed in its rows, in the order they came; null: none. */
    public JoinedFix[] joined;

    public SessionCorrection() {}

    /** The correction of a user's session as it stands now, its tags left as stored. */
    public static SessionCorrection of(String userId, UserHistory.Session s) {
        return new SessionCorrection(userId, s.id, s.number, s.start, s.end, s.count);
    }

    public SessionCorrection(String userId, String sessionId, int sessionNumber, long start, long end, int events) {
        this.userId = userId;
        this.sessionId = sessionId;
        this.sessionNumber = sessionNumber;
        this.start = start;
        this.end = end;
        this.events = events;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof SessionCorrection c
                && userId.equals(c.userId)
                && sessionId.equals(c.sessionId)
                && sessionNumber == c.sessionNumber
                && start == c.start
                && end == c.end
                && events == c.events
                && java.util.Arrays.equals(funnels, c.funnels)
                && java.util.Arrays.equals(joined, c.joined);
    }

    @Override
    public int hashCode() {
        return java.util.Objects.hash(userId, sessionId, sessionNumber, start, end, events)
                + 31 * java.util.Arrays.hashCode(funnels);
    }

    @Override
    public String toString() {
        return "SessionCorrection{" + sessionId + " #" + sessionNumber + " [" + start + ", " + end + "] " + events
                + " events"
                + (funnels == null ? "" : ", " + funnels.length + " funnels")
                + (joined == null ? "" : ", " + joined.length + " joined fixes") + "}";
    }
}
