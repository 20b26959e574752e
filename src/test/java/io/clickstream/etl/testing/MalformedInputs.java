package io.clickstream.etl.testing;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** One input per way of being wrong, with the dead-letter reason each must get. */
public final class MalformedInputs {
    private MalformedInputs() {}

    /** A payload and its reason; {@code text} is the payload as the dead letter shows it (null: not UTF-8). */
    public record Malformed(byte[] payload, String reason, String text) {}

    /**
     * Every kind, event ids {@code <prefix>1...} and user "u" (so none can be mistaken for a valid event);
     * {@code huge}: also payloads near Kafka's 1 MiB record limit.
     */
    public static List<Malformed> all(String prefix, long now, boolean huge) {
        String ok = "\"event_type\":\"click\",\"ts\":" + (now - 1000);
        String id = "\"event_id\":\"" + prefix;
        List<Malformed> out = new ArrayList<>();
        text(out, "{not json", "malformed_json");
        text(out, "[1,2,3]", "not_an_object");
        text(out, "{\"user_id\":\"u\"," + ok + "}", "missing_field");
        text(out, "{\"event_id\":\"  \",\"user_id\":\"u\"," + ok + "}", "blank_field");
        text(out, "{" + id + "1\",\"user_id\":12.5," + ok + "}", "wrong_type");
        text(out, "{" + id + "2\",\"user_id\":\"u\",\"event_type\":\"click\",\"ts\":\"soon\"}", "invalid_timestamp");
        text(
                out,
                "{" + id + "3\",\"user_id\":\"u\",\"event_type\":\"click\",\"ts\":" + now / 1000 + "}",
                "timestamp_out_of_range");
        text(
                out,
                "{" + id + "4\",\"user_id\":\"u\",\"event_type\":\"click\",\"ts\":" + (now + 2 * 86_400_000L) + "}",
                "timestamp_out_of_range");
        text(
                out,
                "{" + id + "5\",\"user_id\":\"u\"," + ok + ",\"url\":\"" + "u".repeat(9000) + "\"}",
                "field_too_long");
        text(out, "{" + id + "6\",\"user_id\":\"u\"," + ok + ",\"url\":\"" + "o".repeat(70_000) + "\"}", "oversize");
        StringBuilder props = new StringBuilder("{");
        for (int i = 0; i < 150; i++) {
            props.append(i == 0 ? "" : ",")
                    .append("\"p")
                    .append(i)
                    .append("\":")
                    .append(i);
        }
        text(out, "{" + id + "7\",\"user_id\":\"u\"," + ok + ",\"properties\":" + props + "}}", "too_many_properties");
        text(out, "", "empty_payload");
        byte[] badUtf8 = ("{" + id + "8\",\"user_id\":\"u\"," + ok + "}").getBytes(StandardCharsets.UTF_8);
        badUtf8[5] = (byte) 0xFF;
        out.add(new Malformed(badUtf8, "invalid_utf8", null));
        if (huge) {
            text(
                    out,
                    "{" + id + "9\",\"user_id\":\"u\",\"event_type\":\"click\",\"ts\":\"1900-01-01T00:00:00Z\"}",
                    "timestamp_out_of_range");
            text(
                    out,
                    "{" + id + "10\",\"user_id\":\"u\",\"event_type\":\"click\",\"ts\":\"2999-01-01T00:00:00Z\"}",
                    "timestamp_out_of_range");
            // Near 1 MiB: control characters (6 bytes each when escaped in the dead letter) and bytes that are not
            // UTF-8.
            byte[] control = new byte[1_000_000];
            Arrays.fill(control, (byte) 1);
            out.add(new Malformed(control, "oversize", new String(control, StandardCharsets.UTF_8)));
            byte[] binary = new byte[1_000_000];
            Arrays.fill(binary, (byte) 0xFE);
            out.add(new Malformed(binary, "oversize", null));
        }
        return out;
    }

    private static void text(List<Malformed> out, String payload, String reason) {
        out.add(new Malformed(payload.getBytes(StandardCharsets.UTF_8), reason, payload));
    }
}
