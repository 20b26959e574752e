package io.clickstream.etl.event;

/** An input that was rejected, with why, and where it was read from. A Flink POJO. */
public class DeadLetter {
    /** A {@link RejectReason} code, or another stage's reason code. */
    public String reason;
    /** What exactly was wrong, naming the field: "user_id is blank". */
    public String detail;

    public String topic;
    public int partition;
    public long offset;
    public long timestamp;
    public byte[] key;
    /** The payload exactly as read (may be any bytes). */
    public byte[] payload;

    public DeadLetter() {}

    public static DeadLetter of(RawEvent raw, String reason, String detail) {
        DeadLetter d = new DeadLetter();
        d.reason = reason;
        d.detail = detail;
        d.topic = raw.topic;
        d.partition = raw.partition;
        d.offset = raw.offset;
        d.timestamp = raw.timestamp;
        d.key = raw.key;
        d.payload = raw.value;
        return d;
    }

    @Override
    public String toString() {
        return "DeadLetter{" + reason + ": " + detail + " at " + topic + "/" + partition + "@" + offset + "}";
    }
}
