package io.clickstream.etl.session;

/**
 * Late events changed rows stored before them: the user's stored events whose times lie in {@code [start, end]}
 * (epoch ms) are this session's — its id and number, their indexes by (time, event id) — and there are
 * {@code events} of them once every row the job sent is in the table. A correction holds the session as it stands,
 * not a change to it, so applying it again (a replay) gives the same rows. A Flink POJO.
 */
public class SessionCorrection {
    public String userId;
    public String sessionId;
    public int sessionNumber;
    public long start;
    public long end;
    public int events;

    public SessionCorrection() {}

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
                && events == c.events;
    }

    @Override
    public int hashCode() {
        return java.util.Objects.hash(userId, sessionId, sessionNumber, start, end, events);
    }

    @Override
    public String toString() {
        return "SessionCorrection{" + sessionId + " #" + sessionNumber + " [" + start + ", " + end + "] " + events
                + " events}";
    }
}
