package io.clickstream.etl.backfill;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class HistoryFileTest {
    private static List<String> all(Path p) throws Exception {
        List<String> out = new ArrayList<>();
        try (HistoryFile f = new HistoryFile(p)) {
            for (byte[] s = f.next(); s != null; s = f.next()) {
                out.add(new String(s, StandardCharsets.UTF_8));
            }
        }
        return out;
    }

    @Test
    void readsNdjsonPlainOrGzippedAndAJsonArrayAlike(@TempDir Path dir) throws Exception {
        String ndjson = "{\"event_id\":\"a\",\"user_id\":\"u1\"}\n\n{\"event_id\":\"b\",\"user_id\":\"u2\"}\n";
        Path plain = Files.writeString(dir.resolve("a.ndjson"), ndjson);
        Path gz = dir.resolve("no-extension");
        try (OutputStream out = new GZIPOutputStream(Files.newOutputStream(gz))) {
            out.write(ndjson.getBytes(StandardCharsets.UTF_8));
        }
        Path array = Files.writeString(
                dir.resolve("export.json"),
                " [ {\"event_id\":\"a\",\"user_id\":\"u1\"},\n" + "{\"event_id\":\"b\",\"user_id\":\"u2\"} ]");
        assertThat(all(plain))
                .containsExactly(
                        "{\"event_id\":\"a\",\"user_id\":\"u1\"}", "", "{\"event_id\":\"b\",\"user_id\":\"u2\"}");
        assertThat(all(gz)).isEqualTo(all(plain));
        assertThat(all(array))
                .containsExactly("{\"event_id\":\"a\",\"user_id\":\"u1\"}", "{\"event_id\":\"b\",\"user_id\":\"u2\"}");
        assertThat(HistoryFile.sha256(plain)).hasSize(64).isNotEqualTo(HistoryFile.sha256(gz));
    }

    @Test
    void keysByUserAndPassesWhatIsNotAnObjectAsItIsForTheJobToDeadLetter() throws Exception {
        HistoryFile.Converted ok = HistoryFile.convert("{\"event_id\":\"a\",\"user_id\":42,\"ts\":1}", "web");
        assertThat(new String(ok.key(), StandardCharsets.UTF_8)).isEqualTo("42");
        JsonNode v = HistoryFile.JSON.readTree(ok.value());
        assertThat(v.get("source").asText()).isEqualTo("web");
        for (String bad : List.of("{\"event_id\":", "[1,2]", "{\"user_id\":\"a\",\"user_id\":\"b\"}")) {
            HistoryFile.Converted c = HistoryFile.convert(bad, "web");
            assertThat(c.key()).isNull();
            assertThat(new String(c.value(), StandardCharsets.UTF_8)).isEqualTo(bad);
        }
        HistoryFile.Converted own =
                HistoryFile.convert("{\"event_id\":\"a\",\"user_id\":\"u\",\"source\":\"app\"}", "web");
        assertThat(HistoryFile.JSON.readTree(own.value()).get("source").asText())
                .isEqualTo("app");
    }

    @Test
    void aMalformedElementOfAnArrayIsOneRecordAndTheNextOnesAreRead(@TempDir Path dir) throws Exception {
        Path array = Files.writeString(
                dir.resolve("export.json"),
                "[{\"event_id\":\"a\",\"user_id\":\"u1\"},\n{\"event_id\":\"b\",\"ts\": },\n"
                        + "{\"event_id\":\"c\",\"url\":\"https://x/?q=[}\\\"\"},\n7,\n{\"event_id\":\"d\"}]");
        assertThat(all(array))
                .containsExactly(
                        "{\"event_id\":\"a\",\"user_id\":\"u1\"}",
                        "{\"event_id\":\"b\",\"ts\": }",
                        "{\"event_id\":\"c\",\"url\":\"https://x/?q=[}\\\"\"}",
                        "7",
                        "{\"event_id\":\"d\"}");
        HistoryFile.Converted bad = HistoryFile.convert("{\"event_id\":\"b\",\"ts\": }", null);
        assertThat(new String(bad.value(), StandardCharsets.UTF_8))
                .as("goes on as it is, for the job to dead-letter")
                .isEqualTo("{\"event_id\":\"b\",\"ts\": }");
    }

    @Test
    void aLineThatIsNotUtf8GoesOnWithItsOwnBytesNotReplacementCharacters(@TempDir Path dir) throws Exception {
        byte[] bad = "{\"event_id\":\"x\",\"url\":\"\u00ff\"}".getBytes(StandardCharsets.ISO_8859_1);
        Path file = dir.resolve("latin1.ndjson");
        try (OutputStream out = Files.newOutputStream(file)) {
            out.write("{\"event_id\":\"a\"}\r\n".getBytes(StandardCharsets.UTF_8));
            out.write(bad);
            out.write('\n');
        }
        try (HistoryFile f = new HistoryFile(file)) {
            assertThat(new String(f.next(), StandardCharsets.UTF_8)).isEqualTo("{\"event_id\":\"a\"}");
            byte[] second = f.next();
            assertThat(second).isEqualTo(bad);
            assertThat(HistoryFile.convert(second, "web").value())
                    .as("the job sees the bytes and dead-letters them as invalid_utf8")
                    .isEqualTo(bad);
            assertThat(f.next()).isNull();
        }
    }
}
