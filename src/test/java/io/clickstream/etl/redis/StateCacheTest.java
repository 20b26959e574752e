package io.clickstream.etl.redis;

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
}
