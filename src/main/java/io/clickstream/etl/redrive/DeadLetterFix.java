package io.clickstream.etl.redrive;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.clickstream.etl.event.RawEvent;
import io.clickstream.etl.parse.EventParser;
import io.clickstream.etl.parse.ParseResult;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;

/**
 * What becomes of one dead letter under the rules: plain Java, no Kafka. The fixed payload is validated exactly as
 * the job will validate it — by the job's parser, with the input's own record time, as a record of the topic it
 * is sent to — so the tool knows before sending which fixed events the job takes and which fail again, and why.
 */
public final class DeadLetterFix {
    /** Property of a re-driven event naming the input it was a dead letter of: {@code topic/partition@offset}. */
    public static final String LINK_PROPERTY = "redriven_from";
    /** Field of a dead letter written by the re-drive, naming the dead letter it came from. */
    public static final String REDRIVEN_FROM = "redriven_from";

    private static final JsonMapper JSON = new JsonMapper();

    public enum Kind {
        /** Payload cut, not JSON text, dropped by the privacy settings, or not an object: no rule can mend it. */
        NOT_REDRIVABLE,
        /** No rule changed it: sending it again would fail again the same way. */
        UNCHANGED,
        /** Changed and now valid: sent to the job. */
        FIXED,
        /** Changed and still invalid: written as a new dead letter naming this one. */
        STILL_FAILING,
        /** A dead letter the re-drive itself wrote that the rules do not fix: left as it is, not written again. */
        STILL_FAILING_AGAIN
    }

    /**
     * @param why       for NOT_REDRIVABLE what is missing, for STILL_FAILING the job's reason code
     * @param detail    the validation's words for STILL_FAILING
     * @param before    the payload as it was (null when there is none)
     * @param after     the payload after the rules (FIXED, STILL_FAILING)
     * @param key       the Kafka key to send it with: its user_id, else the input's key
     * @param rules     the numbers of the rules that changed it
     */
    public record Outcome(
            Kind kind, String why, String detail, byte[] before, byte[] after, byte[] key, List<Integer> rules) {}

    private final RedriveRules rules;
    private final EventParser parser;
    private final String targetTopic;

    public DeadLetterFix(RedriveRules rules, EventParser parser, String targetTopic) {
        this.rules = rules;
        this.parser = parser;
        this.targetTopic = targetTopic;
    }

    public Outcome apply(StoredDeadLetter d) {
        if (d.truncated()) {
            return notRedrivable("payload cut to fit the dead-letter topic (the input is at its source position)");
        }
        byte[] before = d.payload();
        if (before == null) {
            return notRedrivable("no payload (left out by the privacy settings)");
        }
        JsonNode tree;
        try {
            tree = JSON.readTree(before);
        } catch (IOException e) {
            tree = null;
        }
        if (!(tree instanceof ObjectNode payload)) {
            return new Outcome(Kind.NOT_REDRIVABLE, "not a JSON object", null, before, null, d.key(), List.of());
        }
        List<Integer> applied = rules.apply(payload, d.reason(), d.originTopic());
        if (applied.isEmpty()) {
            return new Outcome(Kind.UNCHANGED, null, null, before, null, d.key(), applied);
        }
        if (!payload.has("source")) {
            payload.put("source", d.originTopic()); // what the job would have given it from its own topic
        }
        JsonNode props = payload.get("properties");
        if (props == null || props.isObject()) {
            (props == null ? payload.putObject("properties") : (ObjectNode) props).put(LINK_PROPERTY, d.origin());
        }
        byte[] after = payload.toString().getBytes(StandardCharsets.UTF_8);
        JsonNode user = payload.get("user_id");
        byte[] key = user != null && user.isValueNode() && !user.isNull()
                ? user.asText().getBytes(StandardCharsets.UTF_8)
                : d.key();
        ParseResult r = parser.parse(new RawEvent(targetTopic, 0, 0, d.sourceTimestamp(), key, after));
        if (r.isValid()) {
            return new Outcome(Kind.FIXED, null, null, before, after, key, applied);
        }
        return new Outcome(
                d.redrivenFrom() != null ? Kind.STILL_FAILING_AGAIN : Kind.STILL_FAILING,
                r.reason().code(),
                r.detail(),
                before,
                after,
                key,
                applied);
    }

    private static Outcome notRedrivable(String why) {
        return new Outcome(Kind.NOT_REDRIVABLE, why, null, null, null, null, List.of());
    }

    /** A record of the dead-letter topic as the job (or the re-drive) wrote it (docs/ingest.md, "Dead letters"). */
    public record StoredDeadLetter(
            int partition,
            long offset,
            byte[] key,
            String reason,
            String sourceTopic,
            int sourcePartition,
            long sourceOffset,
            long sourceTimestamp,
            byte[] payload,
            boolean truncated,
            JsonNode redrivenFrom) {

        /** The topic of the input it all came from (a re-drive's dead letter names it in redriven_from). */
        public String originTopic() {
            return redrivenFrom == null
                    ? sourceTopic
                    : redrivenFrom.path("source_topic").asText(sourceTopic);
        }

        /** The input it all came from, as {@code topic/partition@offset}. */
        public String origin() {
            return redrivenFrom == null
                    ? sourceTopic + "/" + sourcePartition + "@" + sourceOffset
                    : originTopic() + "/"
                            + redrivenFrom.path("source_partition").asInt() + "@"
                            + redrivenFrom.path("source_offset").asLong();
        }

        /** The dead letter in {@code value}, or null when it is not one (anyone can write to the topic). */
        public static StoredDeadLetter read(int partition, long offset, byte[] key, byte[] value) {
            if (value == null || value.length == 0) {
                return null;
            }
            JsonNode n;
            try {
                n = JSON.readTree(value);
            } catch (IOException e) {
                return null;
            }
            if (n == null
                    || !n.isObject()
                    || !n.path("reason").isTextual()
                    || !n.path("source_topic").isTextual()) {
                return null;
            }
            byte[] payload = n.path("payload").isTextual()
                    ? n.get("payload").asText().getBytes(StandardCharsets.UTF_8)
                    : n.path("payload_base64").isTextual()
                            ? Base64.getDecoder().decode(n.get("payload_base64").asText())
                            : null;
            return new StoredDeadLetter(
                    partition,
                    offset,
                    key,
                    n.get("reason").asText(),
                    n.get("source_topic").asText(),
                    n.path("source_partition").asInt(),
                    n.path("source_offset").asLong(),
                    n.path("source_timestamp").asLong(),
                    payload,
                    n.path("payload_truncated").asBoolean(false),
                    n.get(REDRIVEN_FROM));
        }
    }
}
