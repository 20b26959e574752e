package io.clickstream.etl.clickhouse;

import static org.assertj.core.api.Assertions.assertThat;

import io.clickstream.etl.event.Event;
import java.time.Instant;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

class RowBinaryEncodingTest {

    private static byte[] bytes(RowBinaryBuffer b) {
        return Arrays.copyOf(b.array(), b.size());
    }

    @Test
    void varUIntUsesLeb128() {
        RowBinaryBuffer b = new RowBinaryBuffer(1);
        b.varUInt(0);
        b.varUInt(127);
        b.varUInt(300);
        assertThat(bytes(b)).containsExactly(0x00, 0x7F, 0xAC, 0x02);
    }

    @Test
    void integersAreLittleEndian() {
        RowBinaryBuffer b = new RowBinaryBuffer(1);
        b.uint16(0x0102);
        b.uint32(0x01020304L);
        b.uint64(0x0102030405060708L);
        assertThat(bytes(b))
                .containsExactly(0x02, 0x01, 0x04, 0x03, 0x02, 0x01, 0x08, 0x07, 0x06, 0x05, 0x04, 0x03, 0x02, 0x01);
    }

    @Test
    void stringsAreLengthPrefixedUtf8AndNullIsEmpty() {
        RowBinaryBuffer b = new RowBinaryBuffer(1);
        b.string("é");
        b.string(null);
        b.stringArray(new String[] {"a", "bc"});
        b.stringArray(null);
        assertThat(bytes(b)).containsExactly(0x02, 0xC3, 0xA9, 0x00, 0x02, 0x01, 'a', 0x02, 'b', 'c', 0x00);
    }

    @Test
    void aValueThatTurnsOutNotAsciiIsRewrittenWithItsUtf8Length() {
        // ASCII is written in one pass with its char count as length; a non-ASCII char found late (after 127 chars,
        // where the UTF-8 length needs a second varint byte) must leave no trace of that attempt.
        RowBinaryBuffer b = new RowBinaryBuffer(1);
        b.string("a");
        String late = "x".repeat(127) + "é";
        b.string(late);
        b.string("z");
        byte[] utf8 = late.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        RowBinaryBuffer expected = new RowBinaryBuffer(1);
        expected.varUInt(1);
        expected.uint8('a');
        expected.varUInt(utf8.length);
        for (byte x : utf8) {
            expected.uint8(x & 0xFF);
        }
        expected.varUInt(1);
        expected.uint8('z');
        assertThat(utf8.length).isEqualTo(129);
        assertThat(bytes(b)).isEqualTo(bytes(expected));
    }

    @Test
    void bufferGrowsPastItsInitialCapacity() {
        RowBinaryBuffer b = new RowBinaryBuffer(1);
        String big = "x".repeat(10_000);
        b.string(big);
        assertThat(b.size()).isEqualTo(2 + 10_000);
    }

    @Test
    void eventRowStartsWithDaySecondsAndMillis() {
        Event e = new Event();
        e.eventTime = Instant.parse("2026-11-22T10:00:01.250Z").toEpochMilli();
        e.kafkaTimestamp = -1;
        RowBinaryBuffer b = new RowBinaryBuffer(1);

        EventRowEncoder.INSTANCE.encode(e, b);

        byte[] row = bytes(b);
        int day = (row[0] & 0xFF) | (row[1] & 0xFF) << 8;
        long seconds = (row[2] & 0xFFL) | (row[3] & 0xFFL) << 8 | (row[4] & 0xFFL) << 16 | (row[5] & 0xFFL) << 24;
        int millis = (row[6] & 0xFF) | (row[7] & 0xFF) << 8;
        assertThat(day).isEqualTo(20779); // days from 1970-01-01 to 2026-11-22
        assertThat(seconds).isEqualTo(e.eventTime / 1000);
        assertThat(millis).isEqualTo(250);
        // The row ends with geo and device (4 empty strings, 2 null coordinates, 5 empty strings, is_bot 0) and the
        // session (empty id, number 0, index 0) and the funnel tags (two empty arrays) ...
        byte[] tail = Arrays.copyOfRange(row, row.length - 23, row.length);
        assertThat(tail)
                .containsExactly(
                        0,
                        0,
                        0,
                        0,
                        1,
                        1,
                        0,
                        0,
                        0,
                        0,
                        0,
                        0, /* session */
                        0,
                        0,
                        0,
                        0,
                        0,
                        0,
                        0,
                        0,
                        0,
                        /* funnels */ 0,
                        0);
        // ... after version, which falls back to the event time when the record has no timestamp.
        long version = 0;
        for (int i = 0; i < 8; i++) {
            version |= (row[row.length - 31 + i] & 0xFFL) << (8 * i);
        }
        assertThat(version).isEqualTo(e.eventTime);
    }

    @Test
    void funnelTagsAreTwoParallelArrays() {
        Event e = new Event();
        e.funnelIds = new String[] {"ab", "c"};
        e.funnelSteps = new int[] {2, 255};
        RowBinaryBuffer b = new RowBinaryBuffer(1);
        EventRowEncoder.INSTANCE.encode(e, b);
        byte[] row = bytes(b);
        byte[] tail = Arrays.copyOfRange(row, row.length - 9, row.length);
        assertThat(tail).containsExactly(2, 2, 'a', 'b', 1, 'c', /* steps */ 2, 2, (byte) 255);
    }

    @Test
    void nullableFloat64IsAFlagThenLittleEndianBits() {
        RowBinaryBuffer b = new RowBinaryBuffer(1);
        b.nullableFloat64(null);
        b.nullableFloat64(1.0);
        assertThat(bytes(b)).containsExactly(0x01, 0x00, 0, 0, 0, 0, 0, 0, 0xF0, 0x3F);
    }

    @Test
    void anEventRowReadBackEncodesToTheSameBytesWithEveryColumnsValue() {
        Event e = new Event();
        e.eventTime = Instant.parse("2026-11-22T10:00:01.250Z").toEpochMilli();
        e.eventId = "ev-1";
        e.userId = "user-ü";
        e.eventType = "page_view";
        e.source = "web";
        e.url = "https://example.com/a?b=c";
        e.referrer = "https://ref.example/";
        e.ip = "2001:db8::1";
        e.userAgent = "Mozilla/5.0 (X11; Linux x86_64)";
        e.propertyKeys = new String[] {"k1", "k2"};
        e.propertyValues = new String[] {"v1", "✓"};
        e.kafkaTopic = "web";
        e.kafkaPartition = 3;
        e.kafkaOffset = 1L << 40;
        e.kafkaTimestamp = e.eventTime + 5;
        e.countryCode = "DE";
        e.country = "Germany";
        e.region = "Berlin";
        e.city = "Berlin";
        e.latitude = 52.52;
        e.longitude = null;
        e.browser = "Firefox";
        e.browserVersion = "120";
        e.os = "Linux";
        e.osVersion = "6";
        e.deviceType = "Desktop";
        e.bot = true;
        e.sessionId = "s-1";
        e.sessionNumber = 7;
        e.sessionIndex = 70_000;
        e.funnelIds = new String[] {"checkout", "search"};
        e.funnelSteps = new int[] {1, 3};
        RowBinaryBuffer b = new RowBinaryBuffer(1);
        b.uint8(42); // rows start anywhere in a batch
        int start = b.size();
        EventRowEncoder.INSTANCE.encode(e, b);

        Event back = EventRowEncoder.INSTANCE.decode(new RowBinaryInput(bytes(b), start));

        assertThat(back).usingRecursiveComparison().isEqualTo(e);
        RowBinaryBuffer again = new RowBinaryBuffer(1);
        again.uint8(42);
        EventRowEncoder.INSTANCE.encode(back, again);
        assertThat(bytes(again)).isEqualTo(bytes(b));
    }

    @Test
    void aSessionRowReadBackEncodesToTheSameBytes() {
        io.clickstream.etl.session.SessionRow s = new io.clickstream.etl.session.SessionRow();
        s.origin = Instant.parse("2026-11-22T10:00:01.250Z").toEpochMilli();
        s.sessionId = "s-1";
        s.userId = "u-1";
        s.sessionNumber = 4;
        s.start = s.origin;
        s.end = s.origin + 1_800_123;
        s.events = 12;
        s.pageViews = 9;
        s.entryUrl = "https://example.com/";
        s.exitUrl = "https://example.com/x";
        s.referrer = "r";
        s.sources = new String[] {"web", "app"};
        s.countryCode = "DE";
        s.country = "Germany";
        s.region = "Berlin";
        s.city = "Berlin";
        s.browser = "Firefox";
        s.os = "Linux";
        s.deviceType = "Desktop";
        s.bot = false;
        s.recordTime = s.end + 99;
        RowBinaryBuffer b = new RowBinaryBuffer(1);
        SessionRowEncoder.INSTANCE.encode(s, b);

        io.clickstream.etl.session.SessionRow back = SessionRowEncoder.INSTANCE.decode(new RowBinaryInput(bytes(b), 0));

        assertThat(back.sessionId).isEqualTo("s-1");
        assertThat(back.userId).isEqualTo("u-1");
        assertThat(back.recordTime).as("erasures compare it").isEqualTo(s.recordTime);
        assertThat(back.sources).containsExactly("web", "app");
        RowBinaryBuffer again = new RowBinaryBuffer(1);
        SessionRowEncoder.INSTANCE.encode(back, again);
        assertThat(bytes(again)).isEqualTo(bytes(b));
    }
}
