package io.clickstream.etl.backfill;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedInputStream;
import java.io.BufferedReader;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.zip.GZIPInputStream;

/**
 * One file of history: NDJSON (one event per line), or one JSON array of events ({@code mongoexport --jsonArray});
 * gzip-compressed or not (told from the content, not the name). Records come one at a time, never the whole file
 * in memory; {@link #bytesRead()} counts the file's own (compressed) bytes, for the progress bar.
 */
public final class HistoryFile implements AutoCloseable {
    static final ObjectMapper JSON = new ObjectMapper(JsonFactory.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .build());

    /** One input record as it goes to Kafka: key = user id (null when there is none), value = the event. */
    public record Converted(byte[] key, byte[] value) {}

    private final CountingStream counted;
    private final BufferedReader lines;
    private final JsonParser array;

    public HistoryFile(Path path) throws IOException {
        counted = new CountingStream(Files.newInputStream(path));
        BufferedInputStream raw = new BufferedInputStream(counted, 1 << 16);
        raw.mark(2);
        boolean gzip = raw.read() == 0x1f && raw.read() == 0x8b;
        raw.reset();
        BufferedInputStream content = new BufferedInputStream(gzip ? new GZIPInputStream(raw, 1 << 16) : raw, 1 << 16);
        content.mark(4096);
        int c;
        do {
            c = content.read();
        } while (c == ' ' || c == '\n' || c == '\r' || c == '\t' || c == 0xEF || c == 0xBB || c == 0xBF);
        content.reset();
        if (c == '[') {
            array = JSON.createParser(content);
            array.nextToken(); // START_ARRAY
            lines = null;
        } else {
            lines = new BufferedReader(new InputStreamReader(content, StandardCharsets.UTF_8), 1 << 16);
            array = null;
        }
    }

    /** The next record's text (a line, or an array element), or null at the end. A blank line is "". */
    public String next() throws IOException {
        if (lines != null) {
            return lines.readLine();
        }
        JsonToken t = array.nextToken();
        if (t == null || t == JsonToken.END_ARRAY) {
            return null;
        }
        return JSON.writeValueAsString(JSON.readTree(array));
    }

    public long bytesRead() {
        return counted.count;
    }

    @Override
    public void close() throws IOException {
        if (lines != null) {
            lines.close();
        } else {
            array.close();
        }
    }

    /** The record as the job will read it; what is not a JSON object goes as it is, for the job to dead-letter. */
    public static Converted convert(String text, String source) {
        byte[] raw = text.getBytes(StandardCharsets.UTF_8);
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
