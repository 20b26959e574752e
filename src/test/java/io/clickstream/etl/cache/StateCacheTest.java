package io.clickstream.etl.cache;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class StateCacheTest {

    @Test
    void dropsTheLeastRecentlyUsedStateBeyondItsSize() {
        StateCache<String, Integer> cache = new StateCache<>(2);
        cache.put("a", 1);
        cache.put("b", 2);
        assertThat(cache.getIfPresent("a")).isEqualTo(1); // a is now more recent than b
        cache.put("c", 3);
        assertThat(cache.size()).isEqualTo(2);
        assertThat(cache.getIfPresent("b")).isNull();
        assertThat(cache.getIfPresent("a")).isEqualTo(1);
        assertThat(cache.getIfPresent("c")).isEqualTo(3);
    }

    @Test
    void aPutReplacesTheStateOfItsKey() {
        StateCache<String, Integer> cache = new StateCache<>(1);
        cache.put("a", 1);
        cache.put("a", 2);
        assertThat(cache.getIfPresent("a")).isEqualTo(2);
        assertThat(cache.getIfPresent("missing")).isNull();
    }

    @Test
    void aRemovedStatesSlotIsFilledFirstAndTheSizeHolds() {
        StateCache<String, Integer> cache = new StateCache<>(3);
        cache.put("a", 1);
        cache.put("b", 2);
        cache.put("c", 3);
        cache.remove("b");
        cache.put("d", 4);
        assertThat(cache.size()).isEqualTo(3);
        assertThat(cache.getIfPresent("a"))
                .as("nothing dropped while a slot was free")
                .isEqualTo(1);
        assertThat(cache.getIfPresent("b")).isNull();
        assertThat(cache.getIfPresent("c")).isEqualTo(3);
        assertThat(cache.getIfPresent("d")).isEqualTo(4);
    }

    @Test
    void statesUsedAgainOutliveThoseThatWereNotWhileManyComeAndGo() {
        StateCache<Integer, Integer> cache = new StateCache<>(100);
        for (int i = 0; i < 10_000; i++) {
            cache.put(i, i);
            for (int hot = 0; hot < 10; hot++) {
                if (cache.getIfPresent(-1 - hot) == null) {
                    cache.put(-1 - hot, hot);
                }
            }
        }
        assertThat(cache.size()).isEqualTo(100);
        for (int hot = 0; hot < 10; hot++) {
            assertThat(cache.getIfPresent(-1 - hot)).as("hot state %d", hot).isEqualTo(hot);
        }
        assertThat(cache.getIfPresent(0))
                .as("a state never used again is long gone")
                .isNull();
    }
}
