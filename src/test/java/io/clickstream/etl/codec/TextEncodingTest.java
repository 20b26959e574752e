package io.clickstream.etl.codec;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import org.apache.flink.core.memory.DataInputDeserializer;
import org.apache.flink.core.memory.DataOutputSerializer;
import org.junit.jupiter.api.Test;

class TextEncodingTest {
    private static final List<String> TEXTS = List.of(
            "",
            "a",
            "https://shop.example/p/1?q=x&y=%20",
            "Linköping",
            "Ünïcödé 😀",
            "\u007f",
            "\u0080",
            "x".repeat(70_000));

    @Test
    void asciiTextGivesTheUtf8BytesOfAsciiAndNothingForOtherText() {
        for (String s : TEXTS) {
            byte[] b = AsciiText.bytesOf(s);
            boolean ascii = s.chars().allMatch(c -> c < 0x80);
            if (ascii) {
                assertThat(Arrays.copyOf(b, s.length())).isEqualTo(s.getBytes(StandardCharsets.UTF_8));
            } else {
                assertThat(b).as(s).isNull();
            }
        }
    }

    @Test
    void longTextReadsBackWhatItWroteAsciiOrNotShortOrLong() throws IOException {
        DataOutputSerializer out = new DataOutputSerializer(16);
        for (String s : TEXTS) {
            LongText.write(out, s);
        }
        LongText.write(out, null);
        DataInputDeserializer in = new DataInputDeserializer(out.getCopyOfBuffer());
        for (String s : TEXTS) {
            assertThat(LongText.read(in)).isEqualTo(s);
        }
        assertThat(LongText.read(in)).as("null is written as empty").isEmpty();
        assertThat(in.available()).isZero();
    }

    @Test
    void theScratchOutputIsEmptiedForEachFieldAndComparedByContent() throws IOException {
        DataOutputSerializer out = ScratchOutput.get();
        out.writeUTF("header");
        byte[] first = out.getCopyOfBuffer();
        assertThat(ScratchOutput.holds(out, first)).isTrue();
        assertThat(ScratchOutput.holds(out, null)).isFalse();
        assertThat(ScratchOutput.holds(out, Arrays.copyOf(first, first.length - 1)))
                .isFalse();

        DataOutputSerializer again = ScratchOutput.get();
        assertThat(again.length()).isZero();
        again.writeUTF("headez");
        assertThat(ScratchOutput.holds(again, first))
                .as("same length, other content")
                .isFalse();
    }
}
