package io.clickstream.etl.privacy;

import static org.assertj.core.api.Assertions.assertThat;

import io.clickstream.etl.event.DeadLetter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Dead letters under privacy settings: the key by pseudonym, the raw payload dropped unless kept. */
class PrivateDeadLettersTest {
    private static DeadLetter letter() {
        DeadLetter d = new DeadLetter();
        d.reason = "malformed_json";
        d.detail = "event is not valid JSON";
        d.topic = "clickstream-web";
        d.partition = 1;
        d.offset = 42;
        d.key = "person-7".getBytes(StandardCharsets.UTF_8);
        d.payload = "{\"user_id\":\"person-7\",\"ip\":\"81.2.69.142\",".getBytes(StandardCharsets.UTF_8);
        return d;
    }

    @Test
    void theRawPayloadIsDroppedAndTheKeyBecomesThePseudonym(@TempDir Path dir) throws Exception {
        Path key = Files.writeString(dir.resolve("key"), "it-privacy-key-0123456789abcdef");
        PrivacySettings settings = new PrivacySettings(IpHandling.TRUNCATE, List.of("user_id"), key.toString());
        PrivateDeadLetters f = new PrivateDeadLetters(settings, false);
        f.open((org.apache.flink.api.common.functions.OpenContext) null);
        DeadLetter d = f.map(letter());
        assertThat(d.payload).isNull();
        assertThat(new String(d.key, StandardCharsets.UTF_8))
                .isEqualTo(settings.pseudonymizer(java.util.Map.of()).pseudonym("person-7"));
        assertThat(d.topic + "/" + d.partition + "@" + d.offset)
                .as("where the input is")
                .isEqualTo("clickstream-web/1@42");

        PrivateDeadLetters keeping = new PrivateDeadLetters(settings, true);
        keeping.open((org.apache.flink.api.common.functions.OpenContext) null);
        assertThat(keeping.map(letter()).payload)
                .as("privacy.dead-letter-payload: keep")
                .isNotNull();
    }
}
