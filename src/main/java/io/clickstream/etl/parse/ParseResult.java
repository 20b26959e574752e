package io.clickstream.etl.parse;

import io.clickstream.etl.event.Event;
import io.clickstream.etl.event.RejectReason;

/** Either an event or the reason it was rejected. */
public final class ParseResult {
    private final Event event;
    private final RejectReason reason;
    private final String detail;

    private ParseResult(Event event, RejectReason reason, String detail) {
        this.event = event;
        this.reason = reason;
        this.detail = detail;
    }

    static ParseResult ok(Event event) {
        return new ParseResult(event, null, null);
    }

    public static ParseResult rejected(RejectReason reason, String detail) {
        return new ParseResult(null, reason, detail);
    }

    public boolean isValid() {
        return event != null;
    }

    public Event event() {
        return event;
    }

    public RejectReason reason() {
        return reason;
    }

    public String detail() {
        return detail;
    }

    @Override
    public String toString() {
        return isValid() ? "ok(" + event + ")" : "rejected(" + reason.code() + ": " + detail + ")";
    }
}
