package io.clickstream.etl.tools;

import static org.assertj.core.api.Assertions.assertThat;

import io.clickstream.etl.event.DeadLetter;
import io.clickstream.etl.event.RawEvent;
import io.clickstream.etl.kafka.DeadLetterSerializer;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class DeadLetterReportTest {

    private static byte[] letter(String reason) {
        return DeadLetterSerializer.toJson(DeadLetter.of(
                new RawEvent("t", 0, 1, 5L, null, "{bad".getBytes(StandardCharsets.UTF_8)),
                reason,
                "detail of " + reason));
    }

    @Test
    void recordsThatAreNoDeadLettersAreCountedApartInsteadOfEndingTheReport() {
        DeadLetterReport.Counts counts = new DeadLetterReport.Counts();

        counts.add(letter("malformed_json"));
        counts.add("not json at all".getBytes(StandardCharsets.UTF_8));
        counts.add(new byte[] {(byte) 0xFF, 0x00});
        counts.add("[1, 2]".getBytes(StandardCharsets.UTF_8));
        counts.add("{\"detail\": \"x\"}".getBytes(StandardCharsets.UTF_8));
        counts.add(null);
        counts.add(letter("malformed_json"));
        counts.add(letter("oversize"));

        assertThat(counts.total).isEqualTo(8);
        assertThat(counts.perReason)
                .containsOnly(
                        java.util.Map.entry("malformed_json", 2L),
                        java.util.Map.entry("oversize", 1L),
                        java.util.Map.entry(DeadLetterReport.Counts.NOT_JSON, 3L),
                        java.util.Map.entry(DeadLetterReport.Counts.NO_REASON, 1L),
                        java.util.Map.entry(DeadLetterReport.Counts.EMPTY, 1L));
        assertThat(counts.examples.get("oversize")).isEqualTo("detail of oversize");
        assertThat(counts.examples.get(DeadLetterReport.Counts.NOT_JSON)).isEqualTo("not json at all");
    }
}
