package io.clickstream.etl.privacy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.clickstream.etl.config.JobConfig;
import io.clickstream.etl.event.Event;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PseudonymizerTest {
    private static final byte[] KEY = "0123456789abcdef0123456789abcdef".getBytes(StandardCharsets.UTF_8);

    /** HMAC-SHA256 computed here with the JDK, independently of the class under test. */
    private static String hmac(byte[] key, String value) throws Exception {
        Mac mac = Mac.getInstance("HmacSHA256");
        mac.init(new SecretKeySpec(key, "HmacSHA256"));
        return HexFormat.of()
                .formatHex(mac.doFinal(value.getBytes(StandardCharsets.UTF_8)))
                .substring(0, 32);
    }

    private static Event event() {
        Event e = new Event();
        e.userId = "u100042";
        e.url = "https://shop.example.com/account?email=a@b.example";
        e.referrer = "";
        e.userAgent = "Mozilla/5.0";
        e.propertyKeys = new String[] {"email", "price"};
        e.propertyValues = new String[] {"a@b.example", "49.9"};
        return e;
    }

    @Test
    void replacesTheConfiguredFieldsByTheirKeyedHashAndNothingElse() throws Exception {
        Event e = event();
        new Pseudonymizer(KEY, List.of("user_id", "properties.email", "referrer")).apply(e);
        assertThat(e.userId).isEqualTo(hmac(KEY, "u100042")).hasSize(32);
        assertThat(e.propertyValues).containsExactly(hmac(KEY, "a@b.example"), "49.9");
        assertThat(e.url).isEqualTo("https://shop.example.com/account?email=a@b.example");
        assertThat(e.referrer).as("empty stays empty").isEmpty();
        assertThat(e.userAgent).isEqualTo("Mozilla/5.0");
    }

    @Test
    void theSameKeyGivesTheSamePseudonymAnotherKeyAnother() {
        Pseudonymizer a = new Pseudonymizer(KEY, List.of("user_id"));
        Pseudonymizer b = new Pseudonymizer(KEY.clone(), List.of("user_id"));
        Pseudonymizer other =
                new Pseudonymizer("another key, 16+ bytes long".getBytes(StandardCharsets.UTF_8), List.of("user_id"));
        assertThat(a.pseudonym("u1"))
                .isEqualTo(b.pseudonym("u1"))
                .isNotEqualTo(a.pseudonym("u2"))
                .isNotEqualTo(other.pseudonym("u1"));
    }

    @Test
    void theKeyComesFromTheFileOrTheEnvironmentAndMustBeLongEnough(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("privacy.key");
        Files.writeString(file, new String(KEY, StandardCharsets.UTF_8) + "\n");
        PrivacySettings fromFile = PrivacySettings.from(
                JobConfig.of(Map.of("privacy.pseudonymize", "user_id", "privacy.key-file", file.toString())));
        assertThat(fromFile.key(Map.of())).isEqualTo(KEY);
        PrivacySettings fromEnv = PrivacySettings.from(JobConfig.of(Map.of("privacy.pseudonymize", "user_id")));
        assertThat(fromEnv.key(Map.of(PrivacySettings.KEY_ENV, new String(KEY, StandardCharsets.UTF_8))))
                .isEqualTo(KEY);
        assertThatThrownBy(() -> fromEnv.key(Map.of()))
                .hasMessageContaining("privacy.key-file")
                .hasMessageContaining(PrivacySettings.KEY_ENV);
        assertThatThrownBy(() -> fromEnv.key(Map.of(PrivacySettings.KEY_ENV, "short")))
                .hasMessageContaining("at least 16");
        assertThatThrownBy(() -> PrivacySettings.from(JobConfig.of(Map.of(
                                "privacy.pseudonymize",
                                "user_id",
                                "privacy.key-file",
                                dir.resolve("missing").toString())))
                        .key(Map.of()))
                .hasMessageContaining("privacy.key-file");
    }

    @Test
    void unknownFieldsAndBadIpHandlingNameTheSetting() {
        assertThatThrownBy(() -> PrivacySettings.from(JobConfig.of(Map.of("privacy.pseudonymize", "email"))))
                .hasMessageContaining("privacy.pseudonymize")
                .hasMessageContaining("email");
        assertThatThrownBy(() ->
                        JobConfig.of(Map.of("privacy.ip", "mask")).get(io.clickstream.etl.config.Options.PRIVACY_IP))
                .hasMessageContaining("privacy.ip");
    }
}
