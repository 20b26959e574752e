package io.clickstream.etl.backfill;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * How far the import of one file got, as committed with its records in one Kafka transaction (the progress topic,
 * compacted, keyed by the file's SHA-256): a file counts by its content, so a renamed copy is the same file.
 *
 * @param records input records (lines, or elements of a JSON array) consumed, blank ones included
 * @param events  records sent to the backfill topic
 */
public record ImportProgress(String sha256, String file, long bytes, long records, long events, boolean done, long at) {
    private static final JsonMapper JSON = new JsonMapper();

    public static ImportProgress start(String sha256, String file, long bytes) {
        return new ImportProgress(sha256, file, bytes, 0, 0, false, 0);
    }

    public ImportProgress advanced(long moreRecords, long moreEvents, boolean finished, long now) {
        return new ImportProgress(sha256, file, bytes, records + moreRecords, events + moreEvents, finished, now);
    }

    public byte[] toJson() {
        ObjectNode n = JSON.createObjectNode()
                .put("sha256", sha256)
                .put("file", file)
                .put("bytes", bytes)
                .put("records", records)
                .put("events", events)
                .put("done", done)
                .put("at", at);
        return n.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8);
    }

    public static ImportProgress fromJson(byte[] bytes) {
        try {
            JsonNode n = JSON.readTree(bytes);
            return new ImportProgress(
                    n.get("sha256").asText(),
                    n.get("file").asText(),
                    n.get("bytes").asLong(),
                    n.get("records").asLong(),
                    n.get("events").asLong(),
                    n.get("done").asBoolean(),
                    n.get("at").asLong());
        } catch (Exception e) {
            throw new IllegalStateException(
                    "an import progress record is unreadable (written by another program?): "
                            + new String(bytes, java.nio.charset.StandardCharsets.UTF_8),
                    e);
        }
    }
}
