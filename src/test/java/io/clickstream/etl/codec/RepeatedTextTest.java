package io.clickstream.etl.codec;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class RepeatedTextTest {
    private static String read(RepeatedText table, String text) {
        // As a parser hands text over: inside a larger buffer, at an offset.
        char[] buffer = ("[[" + text + "]]").toCharArray();
        return table.of(buffer, 2, text.length());
    }

    @Test
    void aTextMetAgainIsTheSameInstance() {
        RepeatedText table = new RepeatedText(512);
        String ua = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0";
        String first = read(table, ua);
        assertThat(first).isEqualTo(ua);
        assertThat(read(table, ua)).isSameAs(first);
        assertThat(read(table, "")).isEmpty();
    }

    @Test
    void everyTextComesBackAsItWasAmongManyThatShareSlots() {
        RepeatedText table = new RepeatedText(64);
        Random random = new Random(3);
        List<String> texts = new ArrayList<>();
        for (int i = 0; i < 5_000; i++) {
            texts.add("v" + random.nextInt(3_000) + (i % 7 == 0 ? "é€😀" : ""));
        }
        for (String t : texts) {
            assertThat(read(table, t)).isEqualTo(t);
        }
        // Two texts whose hashes meet in one slot take turns in it.
        assertThat("Aa".hashCode()).isEqualTo("BB".hashCode());
        assertThat(read(table, "Aa")).isEqualTo("Aa");
        assertThat(read(table, "BB")).isEqualTo("BB");
        assertThat(read(table, "Aa")).isEqualTo("Aa");
    }

    @Test
    void aTextLongerThanTheLimitIsMadeAnewEachTime() {
        RepeatedText table = new RepeatedText(8);
        String longer = "123456789";
        String first = read(table, longer);
        assertThat(first).isEqualTo(longer);
        assertThat(read(table, longer)).isEqualTo(longer).isNotSameAs(first);
        assertThat(read(table, "12345678")).isSameAs(read(table, "12345678"));
    }
}
