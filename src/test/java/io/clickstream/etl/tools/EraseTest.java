package io.clickstream.etl.tools;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.clickstream.etl.config.JobConfig;
import io.clickstream.etl.privacy.Pseudonymizer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Which ids tools.Erase erases: exactly those given, in every form they may be stored in. */
class EraseTest {
    private static String pseudonym(Path keyFile, String user) throws Exception {
        return new Pseudonymizer(Files.readString(keyFile).strip().getBytes(StandardCharsets.UTF_8), List.of("user_id"))
                .pseudonym(user);
    }

    @Test
    void anIdIsErasedAsGivenAndAsItsPseudonymUnderTheCurrentAndEveryPreviousKey(@TempDir Path dir) throws Exception {
        Path current = Files.writeString(dir.resolve("current.key"), "current-key-0123456789abcdef");
        Path previous = Files.writeString(dir.resolve("previous.key"), "previous-key-0123456789abcdef");
        JobConfig config =
                JobConfig.of(Map.of("privacy.pseudonymize", "user_id", "privacy.key-file", current.toString()));
        String odd = "Doe, Jane "; // a comma and a space are part of the id, never separators
        Map<String, Set<String>> forms =
                Erase.storedForms(config, new LinkedHashSet<>(List.of(odd)), List.of(previous.toString()));
        assertThat(forms.get(odd))
                .as("the id as given too: pseudonyms may have been off when it was stored")
                .containsExactly(odd, pseudonym(current, odd), pseudonym(previous, odd));
        Map<String, Set<String>> plain =
                Erase.storedForms(JobConfig.of(Map.of()), new LinkedHashSet<>(List.of(odd)), List.of());
        assertThat(plain.get(odd)).containsExactly(odd);
    }

    @Test
    void anEmptyIdIsRefused(@TempDir Path dir) throws Exception {
        Path file = Files.writeString(dir.resolve("ids"), "u1\n\nu2\n");
        assertThatThrownBy(() -> Erase.run("--user", "", "--users-file", file.toString()))
                .hasMessageContaining("never empty");
    }
}
