package io.clickstream.etl.parse;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParseException;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.core.async.ByteArrayFeeder;
import com.fasterxml.jackson.core.json.JsonReadFeature;
import com.fasterxml.jackson.core.util.JsonParserDelegate;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import io.clickstream.etl.clickhouse.DeclaredRow;
import io.clickstream.etl.codec.RepeatedText;
import io.clickstream.etl.event.Event;
import io.clickstream.etl.event.RawEvent;
import io.clickstream.etl.event.RejectReason;
import io.clickstream.etl.schema.DeclaredColumns;
import io.clickstream.etl.schema.JsonValue;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Turns a Kafka record into an {@link Event} or a reason why not. Plain Java, no Flink: one instance per task
 * (not thread-safe).
 *
 * <p>It reads the bytes with Jackson's streaming parser, with no String of the payload and no tree: the known fields
 * are taken as the parser passes them, everything else is only checked to be JSON. The whole document is read
 * before any field is judged, and fields are judged in a fixed order, so a payload gets the reason it would get
 * from a tree: malformed anywhere comes first, then event_id, user_id, event_type, ts, and so on.
 *
 * <p>Time bounds are checked against the record's Kafka timestamp rather than the wall clock, so replaying old
 * offsets accepts and rejects exactly what the first run did.
 */
public final class EventParser {
    static final int MAX_ID_LENGTH = 256;
    static final int MAX_NAME_LENGTH = 128;
    static final int MAX_IP_LENGTH = 64;
    /** ClickHouse DateTime is seconds since 1970 in a UInt32; keep well inside it. */
    static final long MIN_EVENT_TIME = Instant.parse("2000-01-01T00:00:00Z").toEpochMilli();

    static final long MAX_EVENT_TIME = Instant.parse("2100-01-01T00:00:00Z").toEpochMilli();

    /** Events are flat with shallow properties; a deep document is an attack or a bug, not an event. */
    static final int MAX_NESTING_DEPTH = 64;

    private static final JsonFactory JSON = JsonFactory.builder()
            .streamReadConstraints(StreamReadConstraints.builder()
                    .maxNestingDepth(MAX_NESTING_DEPTH)
                    .build())
            // Duplicate names are refused below, as Jackson's strict detection would, without its hash set per object.
            .disable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .disable(JsonReadFeature.ALLOW_JAVA_COMMENTS)
            .build();
    /** For the rare values kept as JSON text (nested properties). */
    private static final JsonMapper MAPPER = new JsonMapper(JSON);
    /** The reader of the payloads that are not JSON, for the words of the rejection. */
    private static final JsonMapper STRICT = JsonMapper.builder(JsonFactory.builder()
                    .streamReadConstraints(StreamReadConstraints.builder()
                            .maxNestingDepth(MAX_NESTING_DEPTH)
                            .build())
                    .build())
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .build();

    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    /**
     * Reads a property that a declared column looks into: numbers with the digits they were sent with (a double would
     * round them), so that the conversion is exact.
     */
    private static final com.fasterxml.jackson.databind.ObjectReader EXACT = MAPPER.reader()
            .with(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
            .without(com.fasterxml.jackson.databind.cfg.JsonNodeFeature.STRIP_TRAILING_BIGDECIMAL_ZEROES);

    private static final DeclaredRow.Errors COUNTED_LATER = (column, reason) -> {};
    /** No properties: shared, an empty array cannot be changed. */
    private static final String[] NONE = new String[0];

    /**
     * The fields an event is made of, as the parser met them (null: absent): a string value as its {@code String} (nearly
     * every field of nearly every event: no record per field), any other as its {@link Value}.
     */
    private static final class Fields {
        Object eventId;
        Object userId;
        Object eventType;
        Object ts;
        Object source;
        Object url;
        Object referrer;
        Object ip;
        Object clientIp;
        Object userAgent;
        Object properties;
        /** ts when {@link #WHOLE_MILLIS} stands in it. */
        long tsMillis;
    }

    /** In {@link Fields#ts}: ts was a whole number that fits a long, in {@link Fields#tsMillis} (no node per event). */
    private static final Value WHOLE_MILLIS = Value.scalar(JsonToken.VALUE_NUMBER_INT, null, null);

    /** One field's value: its JSON type, and its text (strings), its number node (numbers) or its entries. */
    private record Value(JsonToken token, String text, JsonNode number, List<String> keys, List<String> values) {
        static Value scalar(JsonToken token, String text, JsonNode number) {
            return new Value(token, text, number, null, null);
        }

        boolean isNull() {
            return token == JsonToken.VALUE_NULL;
        }

        /** The type name a tree gives it (JsonNodeType), for messages. */
        String typeName() {
            switch (token) {
                case START_OBJECT:
                    return "object";
                case START_ARRAY:
                    return "array";
                case VALUE_STRING:
                    return "string";
                case VALUE_NUMBER_INT:
                case VALUE_NUMBER_FLOAT:
                    return "number";
                case VALUE_TRUE:
                case VALUE_FALSE:
                    return "boolean";
                default:
                    return "null";
            }
        }
    }

    private final ParseLimits limits;
    private final java.util.function.LongSupplier wallClock;
    private final ReusedParser reused = new ReusedParser();
    private final Scratch scratch = new Scratch();
    private long readAlone;
    /** The columns a schema file declares; null: none. */
    private DeclaredRow declared;

    public EventParser(ParseLimits limits) {
        this(limits, System::currentTimeMillis);
    }

    /** {@code wallClock}: this job's clock, which no event time or record time may pass by more than the skew. */
    public EventParser(ParseLimits limits, java.util.function.LongSupplier wallClock) {
        this.limits = limits;
        this.wallClock = wallClock;
    }

    /**
     * Also converts the values of the columns {@code row} declares (issue 29) from each event's properties, into
     * {@link Event#declared}; null: none.
     */
    public EventParser declaring(DeclaredRow row) {
        this.declared = row;
        scratch.declare(row == null ? List.of() : row.columns());
        return this;
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
        checkUtf8(bytes);
        Fields f = readJson(bytes);
        Event e = new Event();
        e.eventId = requiredString(f.eventId, "event_id", MAX_ID_LENGTH);
        e.userId = requiredId(f.userId, "user_id");
        e.eventType = requiredString(f.eventType, "event_type", MAX_NAME_LENGTH);
        e.eventTime =
                eventTime(f.ts, f.tsMillis, raw.timestamp, raw.topic != null && raw.topic.equals(limits.backfillTopic));
        String source = optionalString(f.source, "source", MAX_NAME_LENGTH);
        e.source = source.isEmpty() ? raw.topic : source;
        e.url = optionalString(f.url, "url", limits.maxFieldLength);
        e.referrer = optionalString(f.referrer, "referrer", limits.maxFieldLength);
        e.ip = optionalString(f.ip, "ip", MAX_IP_LENGTH);
        if (e.ip.isEmpty()) {
            // Set by the HTTP collector from the connection (or a trusted proxy's X-Forwarded-For): the sender's
            // address stands in when the event does not name one.
            e.ip = optionalString(f.clientIp, "client_ip", MAX_IP_LENGTH);
        }
        e.userAgent = optionalString(f.userAgent, "user_agent", limits.maxFieldLength);
        properties(f.properties, e);
        if (declared != null) {
            // The parse function counts the errors by field and reason, from the row's error_log.
            e.declared = declared.encode(e.eventType, scratch.declaredValues, COUNTED_LATER);
        }
        e.kafkaTopic = raw.topic;
        e.kafkaPartition = raw.partition;
        e.kafkaOffset = raw.offset;
        e.kafkaTimestamp = raw.timestamp;
        return e;
    }

    /**
     * Any byte sequence that is not UTF-8 is refused as such, wherever it is (also in a part the parser would only
     * skip, or after a JSON error), as a decoder over the whole payload does.
     */
    private static void checkUtf8(byte[] b) throws Rejected {
        int i = 0;
        int n = b.length;
        while (i < n) {
            int c = b[i];
            if (c >= 0) {
                i++;
                continue;
            }
            int start = i;
            int lead = c & 0xFF;
            int need;
            int min;
            if (lead >= 0xC2 && lead <= 0xDF) {
                need = 1;
                min = 0x80;
            } else if (lead >= 0xE0 && lead <= 0xEF) {
                need = 2;
                min = 0x800;
            } else if (lead >= 0xF0 && lead <= 0xF4) {
                need = 3;
                min = 0x10000;
            } else {
                throw invalidUtf8(start);
            }
            int cp = lead & (0x3F >> need);
            for (int k = 1; k <= need; k++) {
                if (i + k >= n || (b[i + k] & 0xC0) != 0x80) {
                    throw invalidUtf8(start);
                }
                cp = cp << 6 | (b[i + k] & 0x3F);
            }
            if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
                throw invalidUtf8(start);
            }
            i += need + 1;
        }
    }

    private static Rejected invalidUtf8(int offset) {
        return new Rejected(
                RejectReason.INVALID_UTF8, "payload is not valid UTF-8 (bad byte at offset " + offset + ")");
    }

    private Fields readJson(byte[] bytes) throws Rejected {
        Fields f = reused.read(bytes, scratch);
        if (f != null) {
            return f;
        }
        readAlone++;
        return readJsonAlone(bytes, scratch);
    }

    /** How many payloads a parser of their own read (for tests: the others went through the reused one). */
    long readAlone() {
        return readAlone;
    }

    /** With a parser of its own: every payload the reused parser did not read, for its reason. */
    private static Fields readJsonAlone(byte[] bytes, Scratch scratch) throws Rejected {
        try (JsonParser p = JSON.createParser(bytes)) {
            JsonToken first = p.nextToken();
            if (first == null) {
                throw new Rejected(RejectReason.MALFORMED_JSON, "payload holds no JSON value");
            }
            Fields f = scratch.fields();
            String notAnObject = null;
            if (first == JsonToken.START_OBJECT) {
                readFields(p, f, scratch);
            } else {
                notAnObject = Value.scalar(first, null, null).typeName();
                skip(p);
            }
            if (p.nextToken() != null) {
                throw malformed(bytes, null);
            }
            if (notAnObject != null) {
                throw new Rejected(
                        RejectReason.NOT_AN_OBJECT, "payload is a JSON " + notAnObject + ", expected an object");
            }
            return f;
        } catch (JsonProcessingException e) {
            throw malformed(bytes, e);
        } catch (IOException e) {
            throw new IllegalStateException("reading a byte array cannot fail", e);
        }
    }

    /**
     * One parser for payload after payload: a blocking parser is made for one input (its objects, contexts, symbol
     * table and buffers were a large share of what an event allocated: docs/benchmarks.md), while a non-blocking one
     * is fed each payload in turn. It reads only what is surely a single object, and hands anything it does not read to the blocking
     * parser, which gives the reason: a payload whose first and last non-blank bytes are not braces, one that ends
     * before or after its object, one it refuses. After that, and after {@link #RENEW_AFTER} payloads (its symbol
     * table keeps the names it met, and property names have no bound), the next payload gets a new parser.
     */
    private static final class ReusedParser {
        static final int RENEW_AFTER = 1000;
        private JsonParser parser;
        private ByteArrayFeeder feeder;
        private int payloads;

        /** The payload's fields; null when this parser did not read it (the blocking parser will). */
        Fields read(byte[] bytes, Scratch scratch) {
            int start = 0;
            int end = bytes.length;
            while (start < end && isBlank(bytes[start])) {
                start++;
            }
            while (end > start && isBlank(bytes[end - 1])) {
                end--;
            }
            if (end - start < 2 || bytes[start] != '{' || bytes[end - 1] != '}') {
                return null;
            }
            if (parser == null || payloads == RENEW_AFTER) {
                renew();
            }
            try {
                feeder.feedInput(bytes, start, end);
                if (parser.nextToken() != JsonToken.START_OBJECT) {
                    return drop();
                }
                Fields f = scratch.fields();
                readFields(parser, f, scratch);
                if (!feeder.needMoreInput() || !parser.getParsingContext().inRoot()) {
                    return drop(); // something after the object
                }
                payloads++;
                return f;
            } catch (IOException e) {
                return drop();
            }
        }

        private static boolean isBlank(byte b) {
            return b == ' ' || b == '\n' || b == '\r' || b == '\t';
        }

        private void renew() {
            close();
            JsonParser p;
            try {
                p = JSON.createNonBlockingByteArrayParser();
            } catch (IOException e) {
                throw new IllegalStateException("Jackson makes non-blocking byte array parsers", e);
            }
            feeder = (ByteArrayFeeder) p.getNonBlockingInputFeeder();
            parser = new WholeInput(p);
            payloads = 0;
        }

        private Fields drop() {
            close();
            return null;
        }

        private void close() {
            if (parser != null) {
                try {
                    parser.close();
                } catch (IOException e) {
                    // Closing a parser of a byte array only gives its symbols back; nothing to lose.
                }
                parser = null;
            }
        }
    }

    /**
     * A non-blocking parser that is fed whole payloads, read as a blocking one: an input that ends inside a value is
     * refused, not awaited, so that no reader of tokens here has to know that a token may be missing.
     */
    private static final class WholeInput extends JsonParserDelegate {
        WholeInput(JsonParser p) {
            super(p);
        }

        @Override
        public JsonToken nextToken() throws IOException {
            JsonToken t = delegate.nextToken();
            if (t == JsonToken.NOT_AVAILABLE) {
                throw new JsonParseException(this, "the payload ends inside a value");
            }
            return t;
        }

        @Override
        public String nextFieldName() throws IOException {
            return nextToken() == JsonToken.FIELD_NAME ? currentName() : null;
        }

        @Override
        public JsonToken nextValue() throws IOException {
            JsonToken t = nextToken();
            return t == JsonToken.FIELD_NAME ? nextToken() : t;
        }
    }

    private static final List<String> KNOWN = List.of(
            "event_id",
            "user_id",
            "event_type",
            "ts",
            "source",
            "url",
            "referrer",
            "ip",
            "user_agent",
            "properties",
            "client_ip");

    /**
     * What one task's parser keeps from payload to payload, for it reads one at a time: the string fields whose
     * values repeat across events (a few event types and sources, the user agents of a site's visitors, its pages and
     * common property values), each value kept once per task (a user agent kept is also hashed only once for the
     * device parser's cache); the fields of the payload being read; the lists its properties are read into.
     */
    private static final class Scratch {
        final RepeatedText names = new RepeatedText(1024, MAX_NAME_LENGTH);
        final RepeatedText userAgents = new RepeatedText(1024, 512);
        /** Urls, referrers and property values: a site's pages and a property's common values. */
        final RepeatedText varied = new RepeatedText(4096, 512);

        private final Fields fields = new Fields();
        final ArrayList<String> keys = new ArrayList<>();
        final ArrayList<String> values = new ArrayList<>();
        final Value properties = new Value(JsonToken.START_OBJECT, null, null, keys, values);
        final SeenNames seenNames = new SeenNames();

        /** The declared columns by the property they look into (their path's first name); null: none declared. */
        Map<String, int[]> declaredByKey;
        /** Each declared column's path past that property (empty: the property itself). */
        List<List<String>> declaredPaths;
        /** The event's value for each declared column, as its JSON held it; null: none. */
        JsonValue[] declaredValues;

        void declare(List<DeclaredColumns.Column> columns) {
            if (columns.isEmpty()) {
                declaredByKey = null;
                declaredPaths = null;
                declaredValues = null;
                return;
            }
            Map<String, int[]> byKey = new HashMap<>();
            List<List<String>> paths = new ArrayList<>();
            for (int i = 0; i < columns.size(); i++) {
                List<String> path = columns.get(i).path();
                int[] before = byKey.getOrDefault(path.get(0), new int[0]);
                int[] now = Arrays.copyOf(before, before.length + 1);
                now[before.length] = i;
                byKey.put(path.get(0), now);
                paths.add(path.subList(1, path.size()));
            }
            declaredByKey = byKey;
            declaredPaths = paths;
            declaredValues = new JsonValue[columns.size()];
        }

        /** A scalar property's value for the columns that take the property itself. */
        void declared(int[] columns, JsonValue v) {
            for (int c : columns) {
                if (declaredPaths.get(c).isEmpty()) {
                    declaredValues[c] = v;
                }
            }
        }

        /** An object's or array's value for each column that looks into it (or takes it whole). */
        void declared(int[] columns, JsonNode tree) {
            for (int c : columns) {
                JsonNode n = tree;
                for (String name : declaredPaths.get(c)) {
                    n = n == null || !n.isObject() ? null : n.get(name);
                }
                if (n != null) {
                    declaredValues[c] = JsonValue.of(n);
                }
            }
        }

        /** The fields, all absent again. */
        Fields fields() {
            fields.eventId = null;
            fields.userId = null;
            fields.eventType = null;
            fields.ts = null;
            fields.source = null;
            fields.url = null;
            fields.referrer = null;
            fields.ip = null;
            fields.clientIp = null;
            fields.userAgent = null;
            fields.properties = null;
            if (declaredValues != null) {
                Arrays.fill(declaredValues, null);
            }
            return fields;
        }
    }

    /**
     * The names of one properties object so far, to refuse a second one: a table kept by the parser and emptied by a
     * new mark, not a set per event with many properties.
     */
    static final class SeenNames {
        private String[] names = new String[32];
        private int[] marks = new int[32];
        private int mark;
        private int size;

        /** Emptied, then holding {@code first} (names known to differ). */
        SeenNames from(List<String> first) {
            if (++mark == Integer.MAX_VALUE) {
                Arrays.fill(marks, 0);
                mark = 1;
            }
            size = 0;
            first.forEach(this::add);
            return this;
        }

        /** False if {@code name} is held already. */
        boolean add(String name) {
            if (2 * (size + 1) > names.length) {
                grow();
            }
            int mask = names.length - 1;
            int i = name.hashCode() & mask;
            while (marks[i] == mark) {
                if (names[i].equals(name)) {
                    return false;
                }
                i = (i + 1) & mask;
            }
            marks[i] = mark;
            names[i] = name;
            size++;
            return true;
        }

        private void grow() {
            String[] oldNames = names;
            int[] oldMarks = marks;
            names = new String[oldNames.length * 2];
            marks = new int[oldNames.length * 2];
            int held = mark;
            size = 0;
            for (int i = 0; i < oldNames.length; i++) {
                if (oldMarks[i] == held) {
                    add(oldNames[i]);
                }
            }
        }
    }

    private static void readFields(JsonParser p, Fields f, Scratch scratch) throws IOException {
        int seen = 0;
        Names others = null;
        for (String name = p.nextFieldName(); name != null; name = p.nextFieldName()) {
            int known = KNOWN.indexOf(name);
            if (known >= 0) {
                if ((seen & 1 << known) != 0) {
                    throw duplicate(p, name);
                }
                seen |= 1 << known;
            } else {
                others = Names.add(others, p, name);
            }
            JsonToken t = p.nextToken();
            switch (known) {
                case 0 -> f.eventId = scalar(p, t);
                case 1 -> f.userId = scalar(p, t);
                case 2 -> f.eventType = scalar(p, t, scratch.names);
                case 3 -> f.ts = timestamp(p, t, f);
                case 4 -> f.source = scalar(p, t, scratch.names);
                case 5 -> f.url = scalar(p, t, scratch.varied);
                case 6 -> f.referrer = scalar(p, t, scratch.varied);
                case 7 -> f.ip = scalar(p, t);
                case 8 -> f.userAgent = scalar(p, t, scratch.userAgents);
                case 9 -> f.properties = t == JsonToken.START_OBJECT ? entries(p, scratch) : scalar(p, t);
                case 10 -> f.clientIp = scalar(p, t);
                default -> skip(p);
            }
        }
    }

    /**
     * The rejection of a payload that is not JSON, worded and placed as a character reader words it (Jackson's byte
     * reader words some errors differently): the payload is read once more that way. Only malformed input pays.
     */
    private static Rejected malformed(byte[] bytes, JsonProcessingException byteReader) {
        JsonProcessingException e = byteReader;
        try {
            STRICT.readTree(new String(bytes, StandardCharsets.UTF_8));
        } catch (JsonProcessingException charReader) {
            e = charReader;
        }
        if (e == null) {
            throw new IllegalStateException("the byte reader refused what the character reader read");
        }
        String where = e.getLocation() == null
                ? ""
                : " at line " + e.getLocation().getLineNr() + ", column "
                        + e.getLocation().getColumnNr();
        String message = e.getOriginalMessage();
        int newline = message.indexOf('\n');
        return new Rejected(
                RejectReason.MALFORMED_JSON,
                "not valid JSON" + where + ": " + (newline > 0 ? message.substring(0, newline) : message));
    }

    /** The names met in one object, to refuse a second one: a list while short, a hash set beyond. */
    private static final class Names {
        /** Stands for an open array on {@link #skip}'s stack: it has no names. */
        static final Names NONE = new Names();

        private final List<String> list = new ArrayList<>(4);
        private Set<String> set;

        static Names add(Names names, JsonParser p, String name) throws JsonProcessingException {
            Names n = names == null ? new Names() : names;
            boolean added;
            if (n.set != null) {
                added = n.set.add(name);
            } else if (n.list.size() < 8) {
                added = !n.list.contains(name) && n.list.add(name);
            } else {
                n.set = new HashSet<>(n.list);
                added = n.set.add(name);
            }
            if (!added) {
                throw duplicate(p, name);
            }
            return n;
        }
    }

    /** Only that it is refused matters here: {@link #malformed} words the rejection. */
    private static JsonProcessingException duplicate(JsonParser p, String name) {
        return new JsonParseException(p, "Duplicate field '" + name + "'", p.currentTokenLocation());
    }

    /**
     * A value whose content only matters when it is a string (returned as its text) or a number; containers are passed
     * over.
     */
    private static Object scalar(JsonParser p, JsonToken t) throws IOException {
        return scalar(p, t, null);
    }

    /** {@link #scalar}, but a whole number that fits a long goes into {@code f} as it is. */
    private static Object timestamp(JsonParser p, JsonToken t, Fields f) throws IOException {
        if (t == JsonToken.VALUE_NUMBER_INT && p.getNumberType() != JsonParser.NumberType.BIG_INTEGER) {
            f.tsMillis = p.getLongValue();
            return WHOLE_MILLIS;
        }
        return scalar(p, t);
    }

    /** {@link #scalar}, a string taken from {@code repeated} (when given) if it holds that text. */
    private static Object scalar(JsonParser p, JsonToken t, RepeatedText repeated) throws IOException {
        if (t == JsonToken.VALUE_STRING) {
            return repeated == null
                    ? p.getText()
                    : repeated.of(p.getTextCharacters(), p.getTextOffset(), p.getTextLength());
        }
        if (t == JsonToken.VALUE_NUMBER_INT || t == JsonToken.VALUE_NUMBER_FLOAT) {
            return Value.scalar(t, null, number(p));
        }
        skip(p);
        return Value.scalar(t, null, null);
    }

    /** The number as a tree holds it (int, long, big integer or double), without a tree reader's set-up. */
    private static JsonNode number(JsonParser p) throws IOException {
        switch (p.getNumberType()) {
            case INT:
                return NODES.numberNode(p.getIntValue());
            case LONG:
                return NODES.numberNode(p.getLongValue());
            case BIG_INTEGER:
                return NODES.numberNode(p.getBigIntegerValue());
            default:
                return NODES.numberNode(p.getDoubleValue());
        }
    }

    /**
     * Passes over the current value. Strings are read to their end, as a tree reader reads them, so that a broken
     * string gets the same message as before.
     */
    private static void skip(JsonParser p) throws IOException {
        // The names of each open object (Names.NONE for an array), to refuse duplicates at every depth.
        Deque<Names> open = null;
        JsonToken t = p.currentToken();
        while (true) {
            if (t == JsonToken.START_OBJECT || t == JsonToken.START_ARRAY) {
                if (open == null) {
                    open = new ArrayDeque<>();
                }
                open.push(t == JsonToken.START_OBJECT ? new Names() : Names.NONE);
            } else if (t == JsonToken.END_OBJECT || t == JsonToken.END_ARRAY) {
                open.pop();
            } else if (t == JsonToken.FIELD_NAME) {
                Names.add(open.peek(), p, p.currentName());
            } else if (t == JsonToken.VALUE_STRING) {
                p.getTextLength(); // reads it to its end, no String made
            }
            if (open == null || open.isEmpty()) {
                return;
            }
            t = p.nextToken();
        }
    }

    /**
     * The entries of the properties object into the scratch lists: strings as text, other scalars as their tree's
     * text, the rest as JSON. A name met twice is refused as in any other object.
     */
    private static Value entries(JsonParser p, Scratch scratch) throws IOException {
        ArrayList<String> keys = scratch.keys;
        ArrayList<String> values = scratch.values;
        boolean many = keys.size() > 64; // the arrays of a payload with many properties are not kept for the next
        keys.clear();
        values.clear();
        if (many) {
            keys.trimToSize();
            values.trimToSize();
        }
        SeenNames names = null; // past a few names, a table finds a second one
        for (String name = p.nextFieldName(); name != null; name = p.nextFieldName()) {
            if (names == null && keys.size() == 8) {
                names = scratch.seenNames.from(keys);
            }
            if (names != null ? !names.add(name) : keys.contains(name)) {
                throw duplicate(p, name);
            }
            JsonToken t = p.nextToken();
            keys.add(name);
            int[] declared = scratch.declaredByKey == null ? null : scratch.declaredByKey.get(name);
            if (t == JsonToken.VALUE_NULL) {
                values.add(null);
                if (declared != null) {
                    scratch.declared(declared, JsonValue.NULL);
                }
            } else if (t == JsonToken.VALUE_STRING) {
                String v = scratch.varied.of(p.getTextCharacters(), p.getTextOffset(), p.getTextLength());
                values.add(v);
                if (declared != null) {
                    scratch.declared(declared, JsonValue.string(v));
                }
            } else if (t == JsonToken.VALUE_NUMBER_INT || t == JsonToken.VALUE_NUMBER_FLOAT) {
                if (declared != null) {
                    scratch.declared(declared, JsonValue.number(p.getText())); // the literal as sent
                }
                values.add(number(p).asText());
            } else if (t == JsonToken.VALUE_TRUE || t == JsonToken.VALUE_FALSE) {
                values.add(p.getText());
                if (declared != null) {
                    scratch.declared(declared, JsonValue.bool(t == JsonToken.VALUE_TRUE));
                }
            } else if (declared != null) {
                JsonNode exact = EXACT.readTree(p);
                scratch.declared(declared, exact);
                JsonNode v = withDoubles(exact); // props hold the text they held before any column was declared
                values.add(v.isValueNode() ? v.asText() : v.toString());
            } else {
                JsonNode v = MAPPER.readTree(p);
                values.add(v.isValueNode() ? v.asText() : v.toString());
            }
        }
        return scratch.properties;
    }

    /** The tree as the default reader makes it: numbers with a fraction or an exponent as doubles. */
    private static JsonNode withDoubles(JsonNode n) {
        if (n.isBigDecimal()) {
            return NODES.numberNode(n.doubleValue());
        }
        if (n.isObject()) {
            com.fasterxml.jackson.databind.node.ObjectNode out = NODES.objectNode();
            n.fields().forEachRemaining(f -> out.set(f.getKey(), withDoubles(f.getValue())));
            return out;
        }
        if (n.isArray()) {
            com.fasterxml.jackson.databind.node.ArrayNode out = NODES.arrayNode();
            n.forEach(e -> out.add(withDoubles(e)));
            return out;
        }
        return n;
    }

    /** A field as {@link #scalar} read it, as a value of any type (null stays null). */
    private static Value value(Object field) {
        return field instanceof String text ? Value.scalar(JsonToken.VALUE_STRING, text, null) : (Value) field;
    }

    private static String requiredString(Object field, String name, int maxLength) throws Rejected {
        if (field instanceof String text) {
            return nonBlank(name, text, maxLength);
        }
        Value n = (Value) field;
        if (n == null || n.isNull()) {
            throw new Rejected(RejectReason.MISSING_FIELD, name + " is missing");
        }
        throw wrongType(name, "a string", n);
    }

    /** user_id: a string, or a whole number (many systems have numeric user ids). */
    private static String requiredId(Object field, String name) throws Rejected {
        if (field instanceof String text) {
            return nonBlank(name, text, MAX_ID_LENGTH);
        }
        Value n = (Value) field;
        if (n == null || n.isNull()) {
            throw new Rejected(RejectReason.MISSING_FIELD, name + " is missing");
        }
        if (n.number() != null && n.number().isIntegralNumber()) {
            return checkLength(name, n.number().asText(), MAX_ID_LENGTH);
        }
        throw wrongType(name, "a string or a whole number", n);
    }

    private static String nonBlank(String field, String value, int maxLength) throws Rejected {
        if (value.isBlank()) {
            throw new Rejected(RejectReason.BLANK_FIELD, field + " is blank");
        }
        return checkLength(field, value, maxLength);
    }

    private static String checkLength(String field, String value, int maxLength) throws Rejected {
        if (value.length() > maxLength) {
            throw tooLong(field, value, maxLength);
        }
        return value;
    }

    private static Rejected tooLong(String field, String value, int maxLength) {
        return new Rejected(
                RejectReason.FIELD_TOO_LONG, field + " is " + value.length() + " characters, more than " + maxLength);
    }

    private static String optionalString(Object field, String name, int maxLength) throws Rejected {
        if (field instanceof String text) {
            return checkLength(name, text, maxLength);
        }
        Value n = (Value) field;
        if (n == null || n.isNull()) {
            return "";
        }
        throw wrongType(name, "a string", n);
    }

    private long eventTime(Object field, long wholeMillis, long recordTimestamp, boolean history) throws Rejected {
        Value v = field instanceof String ? null : (Value) field;
        long millis;
        if (field == WHOLE_MILLIS) {
            millis = wholeMillis;
        } else if (field instanceof String text) {
            millis = parseTimestamp(text);
        } else if (v == null || v.isNull()) {
            throw new Rejected(RejectReason.MISSING_FIELD, "ts is missing");
        } else if (v.number() != null) {
            JsonNode n = v.number();
            if (!n.canConvertToExactIntegral() || !n.canConvertToLong()) {
                throw new Rejected(
                        RejectReason.INVALID_TIMESTAMP,
                        "ts " + n.asText() + " is not a whole number of epoch milliseconds");
            }
            millis = n.longValue();
        } else {
            throw wrongType("ts", "epoch milliseconds or an ISO-8601 string", v);
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
        // Bounded by this job's clock too: an event (or a record stamped by a producer's clock) far in the future would
        // wait in event-time order until then, in every checkpoint, reaching neither ClickHouse nor the dead letters.
        long latest = wallClock.getAsLong() + limits.maxFutureSkewMs;
        if (recordTimestamp > latest) {
            throw new Rejected(
                    RejectReason.TIMESTAMP_OUT_OF_RANGE,
                    "the Kafka record time " + Instant.ofEpochMilli(recordTimestamp)
                            + " is later than this job's clock plus validation.max-future-skew (the producer's clock?)");
        }
        if (millis > latest) {
            throw new Rejected(
                    RejectReason.TIMESTAMP_OUT_OF_RANGE,
                    "ts " + Instant.ofEpochMilli(millis)
                            + " is later than this job's clock plus validation.max-future-skew");
        }
        return millis;
    }

    private static long parseTimestamp(String text) throws Rejected {
        String t = text.trim();
        if (t.isEmpty()) {
            throw new Rejected(RejectReason.BLANK_FIELD, "ts is blank");
        }
        try {
            if (t.length() <= 16 && allDigits(t)) {
                return Long.parseLong(t);
            }
            return IsoTimestamps.epochMillis(t);
        } catch (DateTimeParseException | ArithmeticException e) {
            String shown = t.length() > 64 ? t.substring(0, 64) + "..." : t;
            throw new Rejected(
                    RejectReason.INVALID_TIMESTAMP,
                    "ts '" + shown
                            + "' is neither epoch milliseconds nor ISO-8601 with an offset (2026-11-22T08:00:00.123Z)");
        }
    }

    /** As {@code t.chars().allMatch(Character::isDigit)} (other scripts' digits too), without a stream per event. */
    private static boolean allDigits(String t) {
        for (int i = 0; i < t.length(); i++) {
            if (!Character.isDigit(t.charAt(i))) {
                return false;
            }
        }
        return true;
    }

    /** properties: an object of scalars; nested values are kept as their JSON text. */
    private void properties(Object field, Event e) throws Rejected {
        Value n = value(field);
        if (n == null || n.isNull()) {
            e.propertyKeys = NONE;
            e.propertyValues = NONE;
            return;
        }
        if (n.keys() == null) {
            throw wrongType("properties", "an object", n);
        }
        if (n.keys().size() > limits.maxProperties) {
            throw new Rejected(
                    RejectReason.TOO_MANY_PROPERTIES,
                    "properties has " + n.keys().size() + " entries, more than validation.max-properties ("
                            + limits.maxProperties + ")");
        }
        int kept = 0;
        for (String v : n.values()) {
            kept += v == null ? 0 : 1;
        }
        String[] keys = new String[kept];
        String[] values = new String[kept];
        int k = 0;
        for (int i = 0; i < n.keys().size(); i++) {
            String v = n.values().get(i);
            if (v == null) {
                continue;
            }
            String key = checkLength("properties key", n.keys().get(i), MAX_NAME_LENGTH);
            if (v.length() > limits.maxFieldLength) {
                throw tooLong("properties." + key, v, limits.maxFieldLength); // the name made only for the message
            }
            keys[k] = key;
            values[k++] = v;
        }
        e.propertyKeys = keys;
        e.propertyValues = values;
    }

    private static Rejected wrongType(String field, String expected, Value got) {
        return new Rejected(RejectReason.WRONG_TYPE, field + " must be " + expected + ", got " + got.typeName());
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
