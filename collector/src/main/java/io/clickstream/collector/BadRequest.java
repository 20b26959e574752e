package io.clickstream.collector;

/** A request refused as a whole (400): nothing of it was written. {@code reason} is a stable word for clients. */
public final class BadRequest extends Exception {
    private final String reason;
    private final int index;

    public BadRequest(String reason, int index, String detail) {
        super(detail);
        this.reason = reason;
        this.index = index;
    }

    public String reason() {
        return reason;
    }

    /** The event's position in the request, or -1 when the request as a whole is at fault. */
    public int index() {
        return index;
    }
}
