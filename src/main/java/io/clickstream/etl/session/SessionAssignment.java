package io.clickstream.etl.session;

/**
 * What an event gets: its session's id, the session's number among the user's sessions (1, 2, ...) and the event's
 * index inside the session (0, 1, ...). {@code replayed} is true when the event was already part of the session;
 * {@code duplicate} when it came then from another source position (delivered twice: it is not stored again).
 */
public record SessionAssignment(String sessionId, int sessionNumber, int index, boolean replayed, boolean duplicate) {
    public SessionAssignment(String sessionId, int sessionNumber, int index, boolean replayed) {
        this(sessionId, sessionNumber, index, replayed, false);
    }
}
