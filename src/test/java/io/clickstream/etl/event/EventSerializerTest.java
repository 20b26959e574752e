package io.clickstream.etl.event;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.EOFException;
import java.io.IOException;
import java.util.Arrays;
import org.apache.flink.api.common.serialization.SerializerConfigImpl;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeutils.TypeSerializerSnapshot;
import org.apache.flink.core.memory.DataInputDeserializer;
import org.apache.flink.core.memory.DataOutputSerializer;
import org.junit.jupiter.api.Test;

class EventSerializerTest {
    private final EventSerializer serializer = EventSerializer.INSTANCE;

    private static Event full() {
        Event e = new Event();
        e.eventId = "e-1";
        e.userId = "user-ü-42";
        e.eventType = "page_view";
        e.source = "web";
        e.eventTime = 1_700_000_000_123L;
        e.url = "https://shop.example/p/" + "x".repeat(20_000); // a length that needs three varint bytes
        e.referrer = "";
        e.ip = "2001:db8::1";
        e.userAgent = "Mozilla/5.0 (Ünïcödé 😀)";
        e.propertyKeys = new String[] {"product_id", "price", "note"};
        e.propertyValues = new String[] {"p-1", "9.99", null};
        e.sessionId = "s-abc";
        e.sessionNumber = 7;
        e.sessionIndex = 130;
        e.funnelIds = new String[] {"checkout", "search-to-cart"};
        e.funnelSteps = new int[] {2, 1};
        e.countryCode = "SE";
        e.country = "Sweden";
        e.region = "Östergötland";
        e.city = "Linköping";
        e.latitude = 58.4167;
        e.longitude = -15.6167;
        e.browser = "Firefox";
        e.browserVersion = "120";
        e.os = "Linux";
        e.osVersion = "??";
        e.deviceType = "Desktop";
        e.bot = true;
        e.kafkaTopic = "events";
        e.kafkaPartition = 3;
        e.kafkaOffset = Long.MAX_VALUE - 1;
        e.kafkaTimestamp = -1;
        e.declared = new byte[] {7, 0, 1};
        return e;
    }

    private Event roundTrip(Event e) throws IOException {
        DataOutputSerializer out = new DataOutputSerializer(64);
        serializer.serialize(e, out);
        DataInputDeserializer in = new DataInputDeserializer(out.getCopyOfBuffer());
        Event back = serializer.deserialize(in);
        assertThat(in.available()).as("every byte written is read").isZero();
        return back;
    }

    @Test
    void everyFieldSurvivesTheNetwork() throws IOException {
        Event e = full();
        assertThat(e)
                .as("full() sets every field, so a field the serializer forgets shows")
                .hasNoNullFieldsOrProperties();
        assertThat(roundTrip(e)).usingRecursiveComparison().isEqualTo(e);
    }

    @Test
    void nullsEmptiesAndDefaultsStayWhatTheyWere() throws IOException {
        Event blank = new Event(); // null strings and arrays, empty funnel arrays, null coordinates
        assertThat(roundTrip(blank)).usingRecursiveComparison().isEqualTo(blank);

        Event empties = full();
        empties.propertyKeys = new String[0];
        empties.propertyValues = new String[0];
        empties.funnelIds = null;
        empties.funnelSteps = null;
        empties.latitude = null;
        empties.eventId = "";
        assertThat(roundTrip(empties)).usingRecursiveComparison().isEqualTo(empties);
    }

    @Test
    void shortRepeatedValuesReadBackExactlyWhenMoreOfThemThanTheTableHolds() throws IOException {
        // Sources, countries, cities and browsers come from a per-thread table of values read before; 20,000
        // different values (more than its slots, so slots are taken over) and values that differ in one byte or in
        // length must each read back as written, ASCII or not.
        DataOutputSerializer out = new DataOutputSerializer(64);
        int n = 20_000;
        for (int i = 0; i < n; i++) {
            Event e = full();
            e.city = (i % 3 == 0 ? "Linköping-" : "city-") + i;
            e.country = "country-" + (i % 7);
            e.source = i % 2 == 0 ? "web" : "we";
            e.browser = "b".repeat(1 + i % 60); // past the longest value the table keeps
            serializer.serialize(e, out);
        }
        DataInputDeserializer in = new DataInputDeserializer(out.getCopyOfBuffer());
        for (int i = 0; i < n; i++) {
            Event back = serializer.deserialize(in);
            assertThat(back.city).isEqualTo((i % 3 == 0 ? "Linköping-" : "city-") + i);
            assertThat(back.country).isEqualTo("country-" + (i % 7));
            assertThat(back.source).isEqualTo(i % 2 == 0 ? "web" : "we");
            assertThat(back.browser).isEqualTo("b".repeat(1 + i % 60));
            assertThat(back.region).isEqualTo("Östergötland");
        }
    }

    @Test
    void aSerializedStreamOfEventsReadsBackInOrder() throws IOException {
        DataOutputSerializer out = new DataOutputSerializer(64);
        Event a = full();
        Event b = new Event();
        b.eventId = "second";
        serializer.serialize(a, out);
        serializer.serialize(b, out);
        DataOutputSerializer copied = new DataOutputSerializer(64);
        DataInputDeserializer in = new DataInputDeserializer(out.getCopyOfBuffer());
        serializer.copy(in, copied);
        serializer.copy(in, copied);
        assertThat(copied.getCopyOfBuffer())
                .as("copy() passes the bytes through unchanged")
                .isEqualTo(out.getCopyOfBuffer());

        DataInputDeserializer again = new DataInputDeserializer(copied.getCopyOfBuffer());
        assertThat(serializer.deserialize(again)).usingRecursiveComparison().isEqualTo(a);
        assertThat(serializer.deserialize(again).eventId).isEqualTo("second");
    }

    @Test
    void truncatedInputFailsInsteadOfInventingFields() throws IOException {
        DataOutputSerializer out = new DataOutputSerializer(64);
        serializer.serialize(full(), out);
        byte[] bytes = Arrays.copyOf(out.getCopyOfBuffer(), out.length() - 5);
        assertThatThrownBy(() -> serializer.deserialize(new DataInputDeserializer(bytes)))
                .isInstanceOf(EOFException.class);
    }

    @Test
    void aCopyDoesNotShareTheArraysItCouldChange() {
        Event e = full();
        Event c = serializer.copy(e);
        assertThat(c).usingRecursiveComparison().isEqualTo(e);
        c.funnelSteps[0] = 99;
        c.propertyValues[0] = "changed";
        assertThat(e.funnelSteps[0]).isEqualTo(2);
        assertThat(e.propertyValues[0]).isEqualTo("p-1");
    }

    @Test
    void flinkPicksThisSerializerForEvents() throws Exception {
        TypeInformation<Event> info = TypeInformation.of(Event.class);
        assertThat(info).isInstanceOf(EventTypeInfo.class);
        assertThat(info.createSerializer(new SerializerConfigImpl())).isSameAs(EventSerializer.INSTANCE);

        TypeSerializerSnapshot<Event> snapshot = serializer.snapshotConfiguration();
        DataOutputSerializer out = new DataOutputSerializer(64);
        TypeSerializerSnapshot.writeVersionedSnapshot(out, snapshot);
        TypeSerializerSnapshot<Event> read = TypeSerializerSnapshot.readVersionedSnapshot(
                new DataInputDeserializer(out.getCopyOfBuffer()), getClass().getClassLoader());
        assertThat(read.restoreSerializer()).isSameAs(EventSerializer.INSTANCE);
    }

    /** A small event with every kind of field, for the pinned layout below. */
    private static Event pinned() {
        Event e = new Event();
        e.eventId = "e";
        e.userId = "u";
        e.eventType = "t";
        e.source = "s";
        e.eventTime = 1;
        e.propertyKeys = new String[] {"k"};
        e.propertyValues = new String[] {null};
        e.funnelIds = new String[] {"f"};
        e.funnelSteps = new int[] {2};
        e.latitude = 0.5;
        e.bot = true;
        e.kafkaTopic = "k";
        e.kafkaPartition = 3;
        e.kafkaOffset = 4;
        e.kafkaTimestamp = 5;
        return e;
    }

    @Test
    void theLayoutIsPinnedBecauseHeldEventsAreInSavepoints() throws IOException {
        DataOutputSerializer out = new DataOutputSerializer(64);
        serializer.serialize(pinned(), out);
        StringBuilder hex = new StringBuilder();
        for (byte b : out.getCopyOfBuffer()) {
            hex.append(String.format("%02x", b));
        }
        assertThat(hex.toString())
                .as("the layout of events in savepoints changed: give EventSerializer a snapshot that "
                        + "tells the old layout apart and a restore serializer that reads it, then update this pin")
                .isEqualTo(PINNED_LAYOUT);
    }

    /** Layout 1, as every version before the declared columns wrote it: held events in their savepoints. */
    private static final String LAYOUT_1 = "026502750274027300000000000000010000000002026b0200010000000000000000020266"
            + "020000000201010101013fe000000000000000010101010101026b0000000300000000000000040000000000000005";

    /** Layout 2: layout 1, then the declared columns' bytes (none here). */
    private static final String PINNED_LAYOUT = LAYOUT_1 + "00";

    private static byte[] hex(String hex) {
        byte[] b = new byte[hex.length() / 2];
        for (int i = 0; i < b.length; i++) {
            b[i] = (byte) Integer.parseInt(hex.substring(2 * i, 2 * i + 2), 16);
        }
        return b;
    }

    /** The snapshot a checkpoint holds: written as {@code version}, read back as a restore would. */
    private static TypeSerializerSnapshot<Event> restoredSnapshot(int version) throws IOException {
        DataOutputSerializer out = new DataOutputSerializer(64);
        out.writeUTF(EventSerializer.Snapshot.class.getName());
        out.writeInt(version);
        return TypeSerializerSnapshot.readVersionedSnapshot(
                new DataInputDeserializer(out.getCopyOfBuffer()), EventSerializerTest.class.getClassLoader());
    }

    @Test
    void eventsHeldInASavepointOfTheLayoutBeforeDeclaredColumnsAreReadAndMigrated() throws IOException {
        TypeSerializerSnapshot<Event> old = restoredSnapshot(3); // what SimpleTypeSerializerSnapshot wrote
        Event back = old.restoreSerializer().deserialize(new DataInputDeserializer(hex(LAYOUT_1 + LAYOUT_1)));
        assertThat(back).usingRecursiveComparison().isEqualTo(pinned());
        assertThat(serializer
                        .snapshotConfiguration()
                        .resolveSchemaCompatibility(old)
                        .isCompatibleAfterMigration())
                .isTrue();

        TypeSerializerSnapshot<Event> current = restoredSnapshot(4);
        assertThat(current.restoreSerializer()).isSameAs(EventSerializer.INSTANCE);
        assertThat(serializer
                        .snapshotConfiguration()
                        .resolveSchemaCompatibility(current)
                        .isCompatibleAsIs())
                .isTrue();
    }

    @Test
    void theDeclaredColumnsBytesCrossTheNetworkAsTheyAre() throws IOException {
        Event e = pinned();
        e.declared = new byte[] {1, 0, -1, 42};
        DataOutputSerializer out = new DataOutputSerializer(64);
        serializer.serialize(e, out);
        Event back = serializer.deserialize(new DataInputDeserializer(out.getCopyOfBuffer()));
        assertThat(back.declared).containsExactly(1, 0, -1, 42);
        assertThat(serializer.copy(e).declared).containsExactly(1, 0, -1, 42).isNotSameAs(e.declared);
    }
}
