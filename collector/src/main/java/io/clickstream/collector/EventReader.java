package io.clickstream.collector;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * The collector's cheap checks: a body is one JSON object, a JSON array of objects, or objects one after the other
 * (NDJSON); every object has a {@code user_id} (the Kafka key, so all of a user's events share a partition). Everything
 * else — types, timestamps, lengths — stays the job's validation, whose refusals become dead letters with a reason.
 */
public final class EventReader {
    static final ObjectMapper MAPPER = new ObjectMapper(JsonFactory.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .build());

    private final int maxEvents;

    public EventReader(int maxEvents) {
        this.maxEvents = maxEvents;
    }

    public List<ObjectNode> read(byte[] body) throws BadRequest {
        if (body.length == 0) {
            throw new BadRequest("empty_body", -1, "the request has no body");
        }
        List<ObjectNode> events = new ArrayList<>();
        try (JsonParser parser = MAPPER.createParser(body)) {
            JsonToken first = parser.nextToken();
            if (first == null) {
                throw new BadRequest("empty_body", -1, "the body is only whitespace");
            }
            if (first == JsonToken.START_ARRAY) {
                JsonToken t;
                while ((t = parser.nextToken()) != JsonToken.END_ARRAY) {
                    if (t == null) {
                        throw new BadRequest("malformed_json", events.size(), "the array is not closed");
                    }
                    add(events, parser, t);
                }
                if (parser.nextToken() != null) {
                    throw new BadRequest("malformed_json", -1, "something follows the array");
                }
            } else {
                for (JsonToken t = first; t != null; t = parser.nextToken()) {
                    add(events, parser, t);
                }
            }
        } catch (JsonProcessingException e) {
            throw new BadRequest(
                    "malformed_json",
                    events.size(),
                    "event " + events.size() + " is not valid JSON: " + e.getOriginalMessage());
        } catch (IOException e) {
            throw new BadRequest("malformed_json", events.size(), e.toString());
        }
        for (int i = 0; i < events.size(); i++) {
            JsonNode userId = events.get(i).get("user_id");
            if (userId == null || userId.isNull()) {
                throw new BadRequest("missing_user_id", i, "event " + i + " has no user_id");
            }
            if (!(userId.isTextual() || userId.isIntegralNumber())
                    || userId.asText().isBlank()) {
                throw new BadRequest(
                        "missing_user_id", i, "event " + i + ": user_id must be a non-blank string or a whole number");
            }
        }
        return events;
    }

    private void add(List<ObjectNode> events, JsonParser parser, JsonToken t) throws IOException, BadRequest {
        if (t != JsonToken.START_OBJECT) {
            throw new BadRequest("not_an_object", events.size(), "event " + events.size() + " is not a JSON object");
        }
        if (events.size() == maxEvents) {
            throw new BadRequest("too_many_events", maxEvents, "more than " + maxEvents + " events in one request");
        }
        events.add(MAPPER.readTree(parser));
    }

    /** The Kafka key: the user id's text, as every producer of the job's topics keys it. */
    public static String userId(ObjectNode event) {
        return event.get("user_id").asText();
    }
}
