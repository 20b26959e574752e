package io.clickstream.etl.privacy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ErasedUsersTest {
    private static byte[] t(long ms) {
        return Long.toString(ms).getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void coversAnErasedUsersEventsUpToTheErasureOnly() {
        ErasedUsers erased = new ErasedUsers(10_000);
        erased.update(Map.of("u1", t(5_000)), 0);
        assertThat(erased.covers("u1", 4_999)).isTrue();
        assertThat(erased.covers("u1", 5_000)).isTrue();
        assertThat(erased.covers("u1", 5_001))
                .as("a new start after the erasure")
                .isFalse();
        assertThat(erased.covers("u2", 1)).isFalse();
    }

    @Test
    void reportsUsersErasedSinceTheLastReadAndIsReadEveryInterval() {
        ErasedUsers erased = new ErasedUsers(10_000);
        assertThat(erased.due(0)).isTrue();
        assertThat(erased.update(Map.of("u1", t(5)), 100)).containsExactly("u1");
        assertThat(erased.due(5_000)).isFalse();
        assertThat(erased.due(10_100)).isTrue();
        assertThat(erased.update(Map.of("u1", t(5), "u2", t(7)), 10_100)).containsExactly("u2");
        assertThat(erased.update(Map.of("u1", t(9), "u2", t(7)), 20_100))
                .as("erased again")
                .containsExactly("u1");
    }

    @Test
    void anUnreadableRecordStopsWithWhatToFix() {
        assertThatThrownBy(() ->
                        new ErasedUsers(1).update(Map.of("u1", "yesterday".getBytes(StandardCharsets.UTF_8)), 0))
                .hasMessageContaining("u1")
                .hasMessageContaining("erased");
    }
}
