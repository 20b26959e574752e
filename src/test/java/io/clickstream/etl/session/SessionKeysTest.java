package io.clickstream.etl.session;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.Random;
import org.apache.commons.codec.digest.MurmurHash3;
import org.junit.jupiter.api.Test;

/** Session ids and position tags are stored: the same input must give the same value in every version. */
class SessionKeysTest {
    @Test
    void positionBytesAreTheUtf8OfTopicPartitionAndOffsetSeparatedByZeros() {
        Random random = new Random(7);
        String[] topics = {"web", "clickstream-app", "backfill", "a.b_c-9", "tópico", ""};
        long[] offsets = {0, 9, 10, 99, 100, 123_456_789, Long.MAX_VALUE, -1};
        int[] partitions = {0, 1, 9, 10, 11, 4095, Integer.MAX_VALUE, -1};
        for (String topic : topics) {
            for (int partition : partitions) {
                for (long offset : offsets) {
                    assertThat(SessionKeys.positionBytes(topic, partition, offset))
                            .isEqualTo((topic + '\u0000' + partition + '\u0000' + offset)
                                    .getBytes(StandardCharsets.UTF_8));
                }
            }
        }
        for (int i = 0; i < 10_000; i++) {
            int partition = random.nextInt(1000);
            long offset = random.nextLong() >>> random.nextInt(64);
            assertThat(SessionKeys.positionBytes("web", partition, offset))
                    .isEqualTo(("web" + '\u0000' + partition + '\u0000' + offset).getBytes(StandardCharsets.UTF_8));
        }
    }

    @Test
    void aPositionTagIsTheHashOfThePositionsUtf8BytesAsBefore() {
        Random random = new Random(17);
        // Longest first: the thread's buffer then holds longer bytes than the positions after it.
        String[] topics = {"t".repeat(249), "web", "clickstream-app", "tópico", ""};
        for (int i = 0; i < 20_000; i++) {
            String topic = topics[i % topics.length];
            int partition = i % 7 == 0 ? -1 : random.nextInt(1000);
            long offset = i % 11 == 0 ? Long.MAX_VALUE : random.nextLong() >>> random.nextInt(64);
            int tag = (int) (MurmurHash3.hash128x64(
                            (topic + '\u0000' + partition + '\u0000' + offset).getBytes(StandardCharsets.UTF_8))[0]
                    & 0xFFFF);
            assertThat(SessionKeys.positionTag(topic, partition, offset)).isEqualTo(tag == 0 ? 1 : tag);
        }
        assertThat(SessionKeys.positionTag(null, 0, 0)).as("no position").isZero();
    }

    @Test
    void anEventKeyIsTheHashOfTheIdsUtf8BytesAsBefore() {
        Random random = new Random(13);
        java.util.List<String> ids = new java.util.ArrayList<>(java.util.List.of("", "e1", "é€😀", "x".repeat(300)));
        for (int i = 0; i < 10_000; i++) {
            ids.add(new java.util.UUID(random.nextLong(), random.nextLong()) + (i % 10 == 0 ? "ü" : ""));
        }
        for (String id : ids) {
            assertThat(SessionKeys.eventKey(id))
                    .isEqualTo(MurmurHash3.hash128x64(id.getBytes(StandardCharsets.UTF_8))[0] & UserHistory.KEY_MASK);
        }
    }

    @Test
    void aSessionIdIsSixteenHexDigitsOfTheHashAsBefore() {
        Random random = new Random(11);
        for (int i = 0; i < 10_000; i++) {
            String user = "u" + random.nextInt();
            long start = random.nextLong() >>> random.nextInt(64);
            byte[] bytes = (user + '\u0000' + start).getBytes(StandardCharsets.UTF_8);
            assertThat(SessionKeys.sessionId(user, start))
                    .isEqualTo(String.format("%016x", MurmurHash3.hash128x64(bytes)[0]));
        }
    }
}
