package io.clickstream.etl.join;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;

class JoinedValuesTest {

    private static JoinedValues.Version version(long time, String id, String value, String giver) {
        return new JoinedValues.Version(time, id, List.of("v"), List.of(value), giver, time);
    }

    /** Versions in any arrival order, equal times and repeated events: as one sorted list with no event twice. */
    @Test
    void versionsArrivingInAnyOrderAreKeptInTimeAndEventOrderAndEachEventOnce() {
        Random random = new Random(17);
        for (int round = 0; round < 200; round++) {
            JoinedValues jv = new JoinedValues();
            List<JoinedValues.Version> expected = new ArrayList<>();
            for (int i = 0; i < 30; i++) {
                long time = random.nextInt(20);
                String id = "e" + random.nextInt(25);
                // each value differs from every other: no version repeats the one before it
                JoinedValues.Version v = version(time, id, "x" + round + "-" + i, "u");
                boolean known = expected.stream()
                        .anyMatch(o -> o.time() == time && o.eventId().equals(id));
                assertThat(jv.add(v, Long.MAX_VALUE / 4)).isEqualTo(!known);
                if (!known) {
                    expected.add(v);
                }
            }
            expected.sort(
                    Comparator.comparingLong(JoinedValues.Version::time).thenComparing(JoinedValues.Version::eventId));
            assertThat(jv.versions()).containsExactlyElementsOf(expected);
        }
    }

    @Test
    void anEventTakesTheLatestVersionAtOrBeforeItsTimeThatIsNotLeftOut() {
        Random random = new Random(5);
        for (int round = 0; round < 200; round++) {
            JoinedValues jv = new JoinedValues();
            for (int i = 0; i < 15; i++) {
                jv.add(version(random.nextInt(40), "e" + i, "x" + i, "g" + random.nextInt(3)), Long.MAX_VALUE / 4);
            }
            String erasedGiver = "g" + random.nextInt(4); // g3: nobody
            Predicate<JoinedValues.Version> skip = v -> v.giver().equals(erasedGiver);
            for (long time = -1; time <= 41; time++) {
                JoinedValues.Version expected = null;
                for (JoinedValues.Version v : jv.versions()) { // the definition, from the oldest
                    if (v.time() <= time && !skip.test(v)) {
                        expected = v;
                    }
                }
                assertThat(jv.at(time, skip)).as("at %d", time).isEqualTo(expected);
            }
        }
    }
}
