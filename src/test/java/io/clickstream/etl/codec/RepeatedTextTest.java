package io.clickstream.etl.codec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
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
        RepeatedText table = new RepeatedText(1024, 512);
        String ua = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0";
        String first = read(table, ua);
        assertThat(first).isEqualTo(ua);
        assertThat(read(table, ua)).isSameAs(first);
        assertThat(read(table, "")).isEmpty();
    }

    @Test
    void everyTextComesBackAsItWasAmongManyThatShareSlots() {
        RepeatedText table = new RepeatedText(1024, 64);
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
    void utf8BytesGiveTheirTextAndATextMetAgainIsTheSameInstance() {
        RepeatedText table = new RepeatedText(16, 64);
        Random random = new Random(9);
        for (int i = 0; i < 2_000; i++) {
            String t = "v" + random.nextInt(40) + (i % 5 == 0 ? "é€😀" : "");
            byte[] utf8 = (t + "tail").getBytes(StandardCharsets.UTF_8); // the buffer holds more than the text
            int n = t.getBytes(StandardCharsets.UTF_8).length;
            assertThat(table.ofUtf8(utf8, n)).isEqualTo(t);
        }
        byte[] ua = "Mozilla/5.0 (X11; Linux x86_64)".getBytes(StandardCharsets.UTF_8);
        assertThat(table.ofUtf8(ua, ua.length)).isSameAs(table.ofUtf8(ua, ua.length));
        // The same text as chars and as bytes shares no slot wrongly: each form gets its text.
        assertThat(read(table, "abc")).isEqualTo("abc");
        assertThat(table.ofUtf8("abd".getBytes(StandardCharsets.UTF_8), 3)).isEqualTo("abd");
    }

    @Test
    void aTextReadFromBytesThatAreNotAsciiIsTheSameInstanceWhenMetAgain() {
        RepeatedText table = new RepeatedText(64, 64);
        byte[] city = "Zürich São Paulo 東京".getBytes(StandardCharsets.UTF_8);
        String first = table.ofUtf8(city, city.length);
        assertThat(first).isEqualTo("Zürich São Paulo 東京");
        assertThat(table.ofUtf8(city.clone(), city.length)).isSameAs(first);
    }

    @Test
    void aTextIsSharedBetweenCharsAndAsciiBytes() {
        RepeatedText table = new RepeatedText(64, 64);
        String page = read(table, "https://shop.example.com/cart");
        byte[] utf8 = page.getBytes(StandardCharsets.UTF_8);
        assertThat(table.ofUtf8(utf8, utf8.length)).isSameAs(page);
        assertThat(read(table, "https://shop.example.com/cart")).isSameAs(page);
    }

    @Test
    void bytesThatAreNotUtf8AreNeverTakenForTheTextTheyDecodeTo() {
        // 0xFF alone decodes to U+FFFD, one char for one byte: it must not match a kept "\uFFFD" or "?" by length.
        RepeatedText table = new RepeatedText(1, 64); // one slot: every text meets the one before
        byte[] bad = {(byte) 0xFF};
        assertThat(table.ofUtf8(bad, 1)).isEqualTo("\uFFFD");
        assertThat(table.ofUtf8(new byte[] {'?'}, 1)).isEqualTo("?");
        assertThat(table.ofUtf8(bad, 1)).isEqualTo("\uFFFD");
        assertThat(read(table, "\uFFFD")).isEqualTo("\uFFFD");
        assertThat(table.ofUtf8(new byte[] {(byte) 0xFE}, 1)).isEqualTo("\uFFFD");
        assertThat(table.ofUtf8(new byte[] {'x'}, 1)).isEqualTo("x");
    }

    @Test
    void slotsMustBeAPowerOfTwo() {
        assertThatThrownBy(() -> new RepeatedText(1000, 8)).hasMessageContaining("power of two");
    }

    @Test
    void aTextLongerThanTheLimitIsMadeAnewEachTime() {
        RepeatedText table = new RepeatedText(1024, 8);
        String longer = "123456789";
        String first = read(table, longer);
        assertThat(first).isEqualTo(longer);
        assertThat(read(table, longer)).isEqualTo(longer).isNotSameAs(first);
        assertThat(read(table, "12345678")).isSameAs(read(table, "12345678"));
    }
}
