package io.clickstream.etl.deadletter;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class RangesTest {

    @Test
    void overlappingAndAdjacentRangesAreJoinedAndGapsKept() {
        Ranges r = Ranges.of(10, 20)
                .union(Ranges.of(30, 40))
                .union(Ranges.of(21, 22))
                .union(Ranges.of(35, 50));
        assertThat(r.toString()).isEqualTo("10-22,30-50");
        assertThat(r.contains(9)).isFalse();
        assertThat(r.contains(10)).isTrue();
        assertThat(r.contains(22)).isTrue();
        assertThat(r.contains(23)).isFalse();
        assertThat(r.contains(29)).isFalse();
        assertThat(r.contains(50)).isTrue();
        assertThat(r.contains(51)).isFalse();
    }

    @Test
    void textRoundTripsAndParsingJoins() {
        assertThat(Ranges.parse("5-7,1-2,3-4").toString()).isEqualTo("1-7");
        assertThat(Ranges.parse(Ranges.of(0, 1L << 40).toString())).isEqualTo(Ranges.of(0, 1L << 40));
        assertThat(Ranges.parse(null).isEmpty()).isTrue();
        assertThat(Ranges.parse("").isEmpty()).isTrue();
    }

    @Test
    void textThatIsNotRangesIsRefusedNotTakenForNone() {
        for (String bad : new String[] {"7", "a-b", "9-3", "1-2,", "-1-3", "{\"v\":2}"}) {
            assertThatThrownBy(() -> Ranges.parse(bad))
                    .as(bad)
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining(bad);
        }
    }
}
