package io.clickstream.etl.backfill;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PushbackInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.zip.GZIPInputStream;

/**
 * One file of history: NDJSON (one event per line), or one JSON array of events ({@code mongoexport --jsonArray});
 * gzip-compressed or not (told from the content, not the name). Records come one at a time, never the whole file
 * in memory, as the bytes the file holds: a line that is not UTF-8 goes on as it is (the job dead-letters it as
 * invalid_utf8) rather than with U+FFFD in place of its bytes, and an array element that is not valid JSON is cut out
 * by its brackets and goes on as it is too, so one bad record never ends the import. {@link #bytesRead()} counts
 * the file's own (compressed) bytes, for the progress bar.
 */
public final class HistoryFile implements AutoCloseable {
    static final ObjectMapper JSON = new ObjectMapper(JsonFactory.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .build());

    /** One input record as it goes to Kafka: key = user id (null when there is none), value = the event. */
    public record Converted(byte[] key, byte[] value) {}

    private final CountingStream counted;
    private final InputStream content;
    private final boolean array;
    private boolean arrayEnded;

    public HistoryFile(Path path) throws IOException {
        counted = new CountingStream(Files.newInputStream(path));
        BufferedInputStream raw = new BufferedInputStream(counted, 1 << 16);
        raw.mark(2);
        boolean gzip = raw.read() == 0x1f && raw.read() == 0x8b;
        raw.reset();
        PushbackInputStream in = new PushbackInputStream(
                new BufferedInputStream(gzip ? new GZIPInputStream(raw, 1 << 16) : raw, 1 << 16), 1);
        int c;
        do {
            c = in.read();
        } while (c == ' ' || c == '\n' || c == '\r' || c == '\t' || c == 0xEF || c == 0xBB || c == 0xBF);
        array = c == '[';
        if (c >= 0 && !array) {
            in.unread(c);
        }
        content = in;
    }

    /** The next record's bytes (a line without its end, or an array element), or null at the end. A blank line is empty. */
    public byte[] next() throws IOException {
        return array ? nextElement() : nextLine();
    }

    private byte[] nextLine() throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream(256);
        int c = content.read();
        if (c < 0) {
            return null;
        }
        while (c >= 0 && c != '\n') {
            line.write(c);
            c = content.read();
        }
        byte[] out = line.toByteArray();
        return out.length > 0 && out[out.length - 1] == '\r' ? Arrays.copyOf(out, out.length - 1) : out;
    }

    /**
     * The next element of the array, cut out by its brackets outside strings (not parsed: a malformed element is
     * still one record), or null after the array's end.
     */
    private byte[] nextElement() throws IOException {
        if (arrayEnded) {
            return null;
        }
        int c;
        do {
            c = content.read();
        } while (c == ' ' || c == '\n' || c == '\r' || c == '\t' || c == ',');
        if (c < 0 || c == ']') {
            arrayEnded = true;
            return null;
        }
        ByteArrayOutputStream element = new ByteArrayOutputStream(256);
        int depth = 0;
        boolean inString = false;
        boolean escaped = false;
        for (; c >= 0; c = content.read()) {
            if (inString) {
                element.write(c);
                if (escaped) {
                    escaped = false;
                } else if (c == '\\') {
                    escaped = true;
                } else if (c == '"') {
                    inString = false;
                }
                continue;
            }
            if (depth == 0 && (c == ',' || c == ']')) {
                if (c == ']') {
                    arrayEnded = true;
                }
                break; // a scalar element ends here
            }
            element.write(c);
            if (c == '"') {
                inString = true;
            } else if (c == '{' || c == '[') {
                depth++;
            } else if ((c == '}' || c == ']') && --depth == 0) {
                break;
            }
        }
        byte[] out = element.toByteArray();
        int end = out.length;
        while (end > 0
                && (out[end - 1] == ' ' || out[end - 1] == '\n' || out[end - 1] == '\r' || out[end - 1] == '\t')) {
            end--;
        }
        return Arrays.copyOf(out, end);
    }

    public long bytesRead() {
        return counted.count;
    }

    @Override
    public void close() throws IOException {
        content.close();
    }

    /** As {@link #convert(byte[], String)}, for a record given as text. */
    public static Converted convert(String text, String source) {
        return convert(text.getBytes(StandardCharsets.UTF_8), source);
    }

    /**
     * The record as the job will read it; what is not a JSON object (not UTF-8, not valid JSON) goes as it is, for the
     * job to dead-letter with its reason.
     */
    public static Converted convert(byte[] raw, String source) {
        JsonNode tree;
        try {
            tree = JSON.readTree(raw);
        } catch (IOException e) {
            return new Converted(null, raw);
        }
        if (!(tree instanceof ObjectNode doc)) {
            return new Converted(null, raw);
        }
        MongoJson.normalize(doc);
        if (source != null && (doc.get("source") == null || doc.get("source").isNull())) {
            doc.put("source", source);
        }
        JsonNode user = doc.get("user_id");
        byte[] key = user != null && (user.isTextual() || user.isIntegralNumber())
                ? user.asText().getBytes(StandardCharsets.UTF_8)
                : null;
        try {
            return new Converted(key, JSON.writeValueAsBytes(doc));
        } catch (IOException e) {
            return new Converted(key, raw);
        }
    }

    /** The SHA-256 of the file's bytes: the file's identity for "already imported". */
    public static String sha256(Path path) throws IOException {
        try (DigestInputStream in =
                new DigestInputStream(Files.newInputStream(path), MessageDigest.getInstance("SHA-256"))) {
            in.transferTo(java.io.OutputStream.nullOutputStream());
            return HexFormat.of().formatHex(in.getMessageDigest().digest());
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every Java runtime", e);
        }
    }

    private static final class CountingStream extends FilterInputStream {
        long count;

        CountingStream(InputStream in) {
            super(in);
        }

        @Override
        public int read() throws IOException {
            int b = super.read();
            if (b >= 0) {
                count++;
            }
            return b;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            int n = super.read(b, off, len);
            if (n > 0) {
                count += n;
            }
            return n;
        }

        @Override
        public boolean markSupported() {
            return false;
        }
    }
}
