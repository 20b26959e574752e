package io.clickstream.etl.parse;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;
import io.clickstream.etl.event.Event;
import io.clickstream.etl.event.RawEvent;
import io.clickstream.etl.event.RejectReason;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * The parser as it was before the streaming one (String, then a JsonNode tree), kept frozen as the reference that
 * {@code EventParserEquivalenceTest} holds {@link EventParser} to, input by input. Its field rules repeat the
 * streaming parser's on purpose: a change to validation is made in both, or the equivalence test goes with it. Turns a Kafka record into an
 * {@link Event} or a reason why not. One instance per task
 * (not thread-safe: it keeps a UTF-8 decoder).
 *
 * <p>Time bounds are checked against the record's Kafka timestamp rather than the wall clock, so replaying old
 * offsets accepts and rejects exactly what the first run did.
 */
public final class TreeEventParser {
    static final int MAX_ID_LENGTH = 256;
    static final int MAX_NAME_LENGTH = 128;
    static final int MAX_IP_LENGTH = 64;
    /** ClickHouse DateTime is seconds since 1970 in a UInt32; keep well inside it. */
    static final long MIN_EVENT_TIME = Instant.parse("2000-01-01T00:00:00Z").toEpochMilli();

    static final long MAX_EVENT_TIME = Instant.parse("2100-01-01T00:00:00Z").toEpochMilli();

    /** Events are flat with shallow properties; a deep document is an attack or a bug, not an event. */
    static final int MAX_NESTING_DEPTH = 64;

    private static final JsonMapper MAPPER = JsonMapper.builder(JsonFactory.builder()
                    .streamReadConstraints(StreamReadConstraints.builder()
                            .maxNestingDepth(MAX_NESTING_DEPTH)
                            .build())
                    .build())
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .disable(JsonParser.Feature.ALLOW_COMMENTS)
            .build();

    private final ParseLimits limits;
    private final CharsetDecoder utf8 = StandardCharsets.UTF_8
            .newDecoder()
            .onMalformedInput(CodingErrorAction.REPORT)
            .onUnmappableCharacter(CodingErrorAction.REPORT);

    public TreeEventParser(ParseLimits limits) {
        this.limits = limits;
    }

    public ParseResult parse(RawEvent raw) {
        try {
            return ParseResult.ok(parseOrThrow(raw));
        } catch (Rejected r) {
            return ParseResult.rejected(r.reason, r.getMessage());
        }
    }

    private Event parseOrThrow(RawEvent raw) throws Rejected {
        byte[] bytes = raw.value;
        if (bytes == null || bytes.length == 0) {
            throw new Rejected(RejectReason.EMPTY_PAYLOAD, "payload is empty");
        }
        if (bytes.length > limits.maxEventBytes) {
            throw new Rejected(
                    RejectReason.OVERSIZE,
                    "payload is " + bytes.length + " bytes, more than validation.max-event-bytes ("
                            + limits.maxEventBytes + ")");
        }
        JsonNode root = readJson(decode(bytes));
        if (!root.isObject()) {
            throw new Rejected(
                    RejectReason.NOT_AN_OBJECT,
                    "payload is a JSON " + root.getNodeType().name().toLowerCase() + ", expected an object");
        }
        Event e = new Event();
        e.eventId = requiredString(root, "event_id", MAX_ID_LENGTH);
        e.userId = requiredId(root, "user_id");
        e.eventType = requiredString(root, "event_type", MAX_NAME_LENGTH);
        e.eventTime = eventTime(root, raw.timestamp, raw.topic != null && raw.topic.equals(limits.backfillTopic));
        String source = optionalString(root, "source", MAX_NAME_LENGTH);
        e.source = source.isEmpty() ? raw.topic : source;
        e.url = optionalString(root, "url", limits.maxFieldLength);
        e.referrer = optionalString(root, "referrer", limits.maxFieldLength);
        e.ip = optionalString(root, "ip", MAX_IP_LENGTH);
        if (e.ip.isEmpty()) {
            e.ip = optionalString(root, "client_ip", MAX_IP_LENGTH);
        }
        e.userAgent = optionalString(root, "user_agent", limits.maxFieldLength);
        properties(root, e);
        e.kafkaTopic = raw.topic;
        e.kafkaPartition = raw.partition;
        e.kafkaOffset = raw.offset;
        e.kafkaTimestamp = raw.timestamp;
        return e;
    }

    private String decode(byte[] bytes) throws Rejected {
        try {
            return utf8.reset().decode(ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException e) {
            ByteBuffer in = ByteBuffer.wrap(bytes);
            utf8.reset().decode(in, CharBuffer.allocate(bytes.length), true);
            throw new Rejected(
                    RejectReason.INVALID_UTF8, "payload is not valid UTF-8 (bad byte at offset " + in.position() + ")");
        }
    }

    private static JsonNode readJson(String text) throws Rejected {
        JsonNode root;
        try {
            root = MAPPER.readTree(text);
        } catch (JsonProcessingException e) {
            String where = e.getLocation() == null
                    ? ""
                    : " at line " + e.getLocation().getLineNr() + ", column "
                            + e.getLocation().getColumnNr();
            String message = e.getOriginalMessage();
            int newline = message.indexOf('\n');
            throw new Rejected(
                    RejectReason.MALFORMED_JSON,
                    "not valid JSON" + where + ": " + (newline > 0 ? message.substring(0, newline) : message));
        }
        if (root == null || root.isMissingNode()) {
            throw new Rejected(RejectReason.MALFORMED_JSON, "payload holds no JSON value");
        }
        return root;
    }

    private static String requiredString(JsonNode root, String field, int maxLength) throws Rejected {
        JsonNode n = root.get(field);
        if (n == null || n.isNull()) {
            throw new Rejected(RejectReason.MISSING_FIELD, field + " is missing");
        }
        if (!n.isTextual()) {
            throw wrongType(field, "a string", n);
        }
        return nonBlank(field, n.textValue(), maxLength);
    }

    /** user_id: a string, or a whole number (many systems have numeric user ids). */
    private static String requiredId(JsonNode root, String field) throws Rejected {
        JsonNode n = root.get(field);
        if (n == null || n.isNull()) {
            throw new Rejected(RejectReason.MISSING_FIELD, field + " is missing");
        }
        if (n.isIntegralNumber()) {
            return checkLength(field, n.asText(), MAX_ID_LENGTH);
        }
        if (!n.isTextual()) {
            throw wrongType(field, "a string or a whole number", n);
        }
        return nonBlank(field, n.textValue(), MAX_ID_LENGTH);
    }

    private static String nonBlank(String field, String value, int maxLength) throws Rejected {
        if (value.isBlank()) {
            throw new Rejected(RejectReason.BLANK_FIELD, field + " is blank");
        }
        return checkLength(field, value, maxLength);
    }

    private static String checkLength(String field, String value, int maxLength) throws Rejected {
        if (value.length() > maxLength) {
            throw new Rejected(
                    RejectReason.FIELD_TOO_LONG,
                    field + " is " + value.length() + " characters, more than " + maxLength);
        }
        return value;
    }

    private static String optionalString(JsonNode root, String field, int maxLength) throws Rejected {
        JsonNode n = root.get(field);
        if (n == null || n.isNull()) {
            return "";
        }
        if (!n.isTextual()) {
            throw wrongType(field, "a string", n);
        }
        return checkLength(field, n.textValue(), maxLength);
    }

    private long eventTime(JsonNode root, long recordTimestamp, boolean history) throws Rejected {
        JsonNode n = root.get("ts");
        long millis;
        if (n == null || n.isNull()) {
            throw new Rejected(RejectReason.MISSING_FIELD, "ts is missing");
        } else if (n.isNumber()) {
            if (!n.canConvertToExactIntegral() || !n.canConvertToLong()) {
                throw new Rejected(
                        RejectReason.INVALID_TIMESTAMP,
                        "ts " + n.asText() + " is not a whole number of epoch milliseconds");
            }
            millis = n.longValue();
        } else if (n.isTextual()) {
            millis = parseTimestamp(n.textValue());
        } else {
            throw wrongType("ts", "epoch milliseconds or an ISO-8601 string", n);
        }
        if (millis < MIN_EVENT_TIME || millis >= MAX_EVENT_TIME) {
            throw new Rejected(
                    RejectReason.TIMESTAMP_OUT_OF_RANGE,
                    "ts " + Instant.ofEpochMilli(millis)
                            + " is outside 2000-01-01..2100-01-01 (seconds given where milliseconds are expected?)");
        }
        if (recordTimestamp > 0) {
            if (millis > recordTimestamp + limits.maxFutureSkewMs) {
                throw new Rejected(
                        RejectReason.TIMESTAMP_OUT_OF_RANGE,
                        "ts " + Instant.ofEpochMilli(millis)
                                + " is later than the Kafka record time " + Instant.ofEpochMilli(recordTimestamp)
                                + " plus validation.max-future-skew");
            }
            if (!history && millis < recordTimestamp - limits.maxEventAgeMs) {
                throw new Rejected(
                        RejectReason.TIMESTAMP_OUT_OF_RANGE,
                        "ts " + Instant.ofEpochMilli(millis)
                                + " is earlier than the Kafka record time " + Instant.ofEpochMilli(recordTimestamp)
                                + " minus validation.max-event-age");
            }
        }
        return millis;
    }

    private static long parseTimestamp(String text) throws Rejected {
        String t = text.trim();
        if (t.isEmpty()) {
            throw new Rejected(RejectReason.BLANK_FIELD, "ts is blank");
        }
        try {
            if (t.chars().allMatch(Character::isDigit) && t.length() <= 16) {
                return Long.parseLong(t);
            }
            return OffsetDateTime.parse(t).toInstant().toEpochMilli();
        } catch (DateTimeParseException | ArithmeticException e) {
            String shown = t.length() > 64 ? t.substring(0, 64) + "..." : t;
            throw new Rejected(
                    RejectReason.INVALID_TIMESTAMP,
                    "ts '" + shown
                            + "' is neither epoch milliseconds nor ISO-8601 with an offset (2026-11-22T08:00:00.123Z)");
        }
    }

    /** properties: an object of scalars; nested values are kept as their JSON text. */
    private void properties(JsonNode root, Event e) throws Rejected {
        JsonNode n = root.get("properties");
        if (n == null || n.isNull()) {
            e.propertyKeys = new String[0];
            e.propertyValues = new String[0];
            return;
        }
        if (!n.isObject()) {
            throw wrongType("properties", "an object", n);
        }
        if (n.size() > limits.maxProperties) {
            throw new Rejected(
                    RejectReason.TOO_MANY_PROPERTIES,
                    "properties has " + n.size() + " entries, more than validation.max-properties ("
                            + limits.maxProperties + ")");
        }
        List<String> keys = new ArrayList<>(n.size());
        List<String> values = new ArrayList<>(n.size());
        Iterator<Map.Entry<String, JsonNode>> fields = n.fields();
        while (fields.hasNext()) {
            Map.Entry<String, JsonNode> f = fields.next();
            JsonNode v = f.getValue();
            if (v.isNull()) {
                continue;
            }
            String key = checkLength("properties key", f.getKey(), MAX_NAME_LENGTH);
            String value = v.isValueNode() ? v.asText() : v.toString();
            keys.add(key);
            values.add(checkLength("properties." + key, value, limits.maxFieldLength));
        }
        e.propertyKeys = keys.toArray(new String[0]);
        e.propertyValues = values.toArray(new String[0]);
    }

    private static Rejected wrongType(String field, String expected, JsonNode got) {
        return new Rejected(
                RejectReason.WRONG_TYPE,
                field + " must be " + expected + ", got "
                        + got.getNodeType().name().toLowerCase());
    }

    /** Control flow for rejection; no stack trace, it is an expected outcome. */
    private static final class Rejected extends Exception {
        private static final long serialVersionUID = 1L;
        final RejectReason reason;

        Rejected(RejectReason reason, String message) {
            super(message, null, false, false);
            this.reason = reason;
        }
    }
}
