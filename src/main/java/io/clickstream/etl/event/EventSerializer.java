package io.clickstream.etl.event;

import io.clickstream.etl.codec.AsciiText;
import io.clickstream.etl.codec.RepeatedText;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import org.apache.flink.api.common.typeutils.SimpleTypeSerializerSnapshot;
import org.apache.flink.api.common.typeutils.TypeSerializer;
import org.apache.flink.api.common.typeutils.TypeSerializerSchemaCompatibility;
import org.apache.flink.api.common.typeutils.TypeSerializerSnapshot;
import org.apache.flink.api.common.typeutils.base.TypeSerializerSingleton;
import org.apache.flink.core.memory.DataInputDeserializer;
import org.apache.flink.core.memory.DataInputView;
import org.apache.flink.core.memory.DataOutputSerializer;
import org.apache.flink.core.memory.DataOutputView;

/**
 * How an {@link Event} crosses the network between tasks (after keyBy, and into the funnel step). Flink's POJO
 * serializer reached each field by reflection and wrote strings char by char, a large share of the job's CPU in
 * a profile (docs/benchmarks.md). This one writes the fields in a fixed order and strings as UTF-8 bytes. It is also the stored form of the
 * events held for event-time ordering ({@code EventTimeOrder}'s keyed state), so it is part of checkpoints and
 * savepoints: a change to the layout needs a {@link Snapshot} that tells the old layout apart and a restore
 * serializer that still reads it (EventSerializerTest pins the current layout).
 *
 * <p>Layouts: 1, up to the declared columns (issue 29); 2 adds {@link Event#declared} at the end.
 */
public final class EventSerializer extends TypeSerializerSingleton<Event> {
    private static final long serialVersionUID = 1L;
    public static final EventSerializer INSTANCE = new EventSerializer(2);
    /** Reads events held in a checkpoint of a version before layout 2 (they have no declared columns). */
    static final EventSerializer LAYOUT_1 = new EventSerializer(1);

    private final int layout;

    private EventSerializer(int layout) {
        this.layout = layout;
    }

    private static final String[] NO_STRINGS = new String[0];
    private static final int[] NO_INTS = new int[0];

    @Override
    public boolean isImmutableType() {
        return false;
    }

    @Override
    public Event createInstance() {
        return new Event();
    }

    /**
     * A deep copy, through the wire format: Flink copies only where objects are not reused between operators, which
     * this job turns off (ClickstreamJob), so one field list (serialize/deserialize) is kept, not a third.
     */
    @Override
    public Event copy(Event from) {
        DataOutputSerializer out = new DataOutputSerializer(256);
        try {
            serialize(from, out);
            return deserialize(new DataInputDeserializer(out.getSharedBuffer(), 0, out.length()));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public Event copy(Event from, Event reuse) {
        return copy(from);
    }

    @Override
    public int getLength() {
        return -1;
    }

    @Override
    public void serialize(Event e, DataOutputView out) throws IOException {
        AsciiText.Buffer ascii = SCRATCH.get().ascii;
        writeString(e.eventId, out, ascii);
        writeString(e.userId, out, ascii);
        writeString(e.eventType, out, ascii);
        writeString(e.source, out, ascii);
        out.writeLong(e.eventTime);
        writeString(e.url, out, ascii);
        writeString(e.referrer, out, ascii);
        writeString(e.ip, out, ascii);
        writeString(e.userAgent, out, ascii);
        writeStrings(e.propertyKeys, out, ascii);
        writeStrings(e.propertyValues, out, ascii);
        writeString(e.sessionId, out, ascii);
        out.writeInt(e.sessionNumber);
        out.writeInt(e.sessionIndex);
        writeStrings(e.funnelIds, out, ascii);
        if (e.funnelSteps == null) {
            writeLength(-1, out);
        } else {
            writeLength(e.funnelSteps.length, out);
            for (int step : e.funnelSteps) {
                out.writeInt(step);
            }
        }
        writeString(e.countryCode, out, ascii);
        writeString(e.country, out, ascii);
        writeString(e.region, out, ascii);
        writeString(e.city, out, ascii);
        writeDouble(e.latitude, out);
        writeDouble(e.longitude, out);
        writeString(e.browser, out, ascii);
        writeString(e.browserVersion, out, ascii);
        writeString(e.os, out, ascii);
        writeString(e.osVersion, out, ascii);
        writeString(e.deviceType, out, ascii);
        out.writeBoolean(e.bot);
        writeString(e.kafkaTopic, out, ascii);
        out.writeInt(e.kafkaPartition);
        out.writeLong(e.kafkaOffset);
        out.writeLong(e.kafkaTimestamp);
        if (layout >= 2) {
            if (e.declared == null) {
                writeLength(-1, out);
            } else {
                writeLength(e.declared.length, out);
                out.write(e.declared);
            }
        }
    }

    @Override
    public Event deserialize(DataInputView in) throws IOException {
        Scratch sc = SCRATCH.get();
        Event e = new Event();
        e.eventId = readString(in, sc, null);
        e.userId = readString(in, sc, null);
        e.eventType = readString(in, sc, sc.repeated);
        e.source = readString(in, sc, sc.repeated);
        e.eventTime = in.readLong();
        e.url = readString(in, sc, sc.varied);
        e.referrer = readString(in, sc, sc.varied);
        e.ip = readString(in, sc, null);
        e.userAgent = readString(in, sc, sc.repeated);
        e.propertyKeys = readStrings(in, sc, sc.repeated);
        e.propertyValues = readStrings(in, sc, sc.varied);
        e.sessionId = readString(in, sc, null);
        e.sessionNumber = in.readInt();
        e.sessionIndex = in.readInt();
        e.funnelIds = readStrings(in, sc, sc.repeated);
        int steps = readLength(in);
        if (steps < 0) {
            e.funnelSteps = null;
        } else {
            e.funnelSteps = steps == 0 ? NO_INTS : new int[steps];
            for (int i = 0; i < steps; i++) {
                e.funnelSteps[i] = in.readInt();
            }
        }
        e.countryCode = readString(in, sc, sc.repeated);
        e.country = readString(in, sc, sc.repeated);
        e.region = readString(in, sc, sc.repeated);
        e.city = readString(in, sc, sc.repeated);
        e.latitude = readDouble(in, sc);
        e.longitude = readDouble(in, sc);
        e.browser = readString(in, sc, sc.repeated);
        e.browserVersion = readString(in, sc, sc.repeated);
        e.os = readString(in, sc, sc.repeated);
        e.osVersion = readString(in, sc, sc.repeated);
        e.deviceType = readString(in, sc, sc.repeated);
        e.bot = in.readBoolean();
        e.kafkaTopic = readString(in, sc, sc.repeated);
        e.kafkaPartition = in.readInt();
        e.kafkaOffset = in.readLong();
        e.kafkaTimestamp = in.readLong();
        if (layout >= 2) {
            int n = readLength(in);
            if (n >= 0) {
                e.declared = new byte[n];
                in.readFully(e.declared);
            }
        }
        return e;
    }

    @Override
    public Event deserialize(Event reuse, DataInputView in) throws IOException {
        return deserialize(in);
    }

    @Override
    public void copy(DataInputView in, DataOutputView out) throws IOException {
        serialize(deserialize(in), out);
    }

    @Override
    public TypeSerializerSnapshot<Event> snapshotConfiguration() {
        return new Snapshot();
    }

    /** Length + 1 as an unsigned varint, so that null (-1) and empty (0) fit in one byte each. */
    private static void writeLength(int length, DataOutputView out) throws IOException {
        int v = length + 1;
        while ((v & ~0x7F) != 0) {
            out.writeByte((v & 0x7F) | 0x80);
            v >>>= 7;
        }
        out.writeByte(v);
    }

    private static int readLength(DataInputView in) throws IOException {
        int v = 0;
        for (int shift = 0; shift < 35; shift += 7) {
            int b = in.readUnsignedByte();
            v |= (b & 0x7F) << shift;
            if ((b & 0x80) == 0) {
                return v - 1;
            }
        }
        throw new IOException("malformed length in a serialized event");
    }

    private static void writeString(String s, DataOutputView out, AsciiText.Buffer asciiBuffer) throws IOException {
        if (s == null) {
            writeLength(-1, out);
            return;
        }
        byte[] ascii = asciiBuffer.bytesOf(s);
        if (ascii != null) {
            writeLength(s.length(), out);
            out.write(ascii, 0, s.length());
            return;
        }
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        writeLength(b.length, out);
        out.write(b);
    }

    /**
     * Reads a string through the thread's buffer (one array per value, the String's own), or from {@code table}
     * (when given) if it holds that text: most fields of an event take a few dozen values.
     */
    private static String readString(DataInputView in, Scratch sc, RepeatedText table) throws IOException {
        int n = readLength(in);
        if (n < 0) {
            return null;
        }
        if (n == 0) {
            return "";
        }
        byte[] b = sc.buffer(n);
        in.readFully(b, 0, n);
        return table != null ? table.ofUtf8(b, n) : new String(b, 0, n, StandardCharsets.UTF_8);
    }

    private static void writeStrings(String[] a, DataOutputView out, AsciiText.Buffer ascii) throws IOException {
        if (a == null) {
            writeLength(-1, out);
            return;
        }
        writeLength(a.length, out);
        for (String s : a) {
            writeString(s, out, ascii);
        }
    }

    private static String[] readStrings(DataInputView in, Scratch sc, RepeatedText table) throws IOException {
        int n = readLength(in);
        if (n < 0) {
            return null;
        }
        String[] a = n == 0 ? NO_STRINGS : new String[n];
        for (int i = 0; i < n; i++) {
            a[i] = readString(in, sc, table);
        }
        return a;
    }

    private static void writeDouble(Double d, DataOutputView out) throws IOException {
        out.writeBoolean(d != null);
        if (d != null) {
            out.writeDouble(d);
        }
    }

    private static Double readDouble(DataInputView in, Scratch sc) throws IOException {
        return in.readBoolean() ? sc.coordinate(in.readDouble()) : null;
    }

    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

    /**
     * A thread's buffer for reading strings, and its tables of the values it read that repeat (most fields of an event
     * take a few dozen values: a new String for each would be most of what the hop allocates).
     */
    private static final class Scratch {
        /** The longest value kept: a user agent, a page (the visitors of a site have a few thousand between them). */
        static final int LONGEST_KEPT = 512;

        final AsciiText.Buffer ascii = new AsciiText.Buffer();
        final RepeatedText repeated = new RepeatedText(4096, LONGEST_KEPT);
        /**
         * Urls, referrers, property values: a site's pages and a property's common values repeat, but there are more
         * of them than of the short fields' values, which they are kept apart from.
         */
        final RepeatedText varied = new RepeatedText(4096, LONGEST_KEPT);

        private byte[] buffer = new byte[256];
        /** Coordinates are those of a few thousand places: a value read before is taken again, not boxed anew. */
        private final Double[] coordinates = new Double[1024];

        Double coordinate(double v) {
            long bits = Double.doubleToRawLongBits(v);
            int slot = (int) (bits ^ bits >>> 32 ^ bits >>> 17) & (coordinates.length - 1);
            Double kept = coordinates[slot];
            if (kept == null || Double.doubleToRawLongBits(kept) != bits) {
                kept = v;
                coordinates[slot] = kept;
            }
            return kept;
        }

        byte[] buffer(int n) {
            if (buffer.length < n) {
                buffer = new byte[Math.max(n, 2 * buffer.length)];
            }
            return buffer;
        }
    }

    /**
     * No configuration to keep but the layout, told by the snapshot's version: up to 3 (what {@link
     * SimpleTypeSerializerSnapshot} wrote) layout 1, from 4 on layout 2. Held events of layout 1 are read with {@link
     * #LAYOUT_1} and written again in the current layout.
     */
    public static final class Snapshot extends SimpleTypeSerializerSnapshot<Event> {
        private static final int LAYOUT_2 = 4;
        private int layout = 2;

        public Snapshot() {
            super(() -> INSTANCE);
        }

        @Override
        public int getCurrentVersion() {
            return LAYOUT_2;
        }

        @Override
        public void readSnapshot(int readVersion, DataInputView in, ClassLoader classLoader) throws IOException {
            super.readSnapshot(Math.min(readVersion, LAYOUT_2 - 1), in, classLoader);
            layout = readVersion < LAYOUT_2 ? 1 : 2;
        }

        @Override
        public TypeSerializer<Event> restoreSerializer() {
            return layout == 1 ? LAYOUT_1 : INSTANCE;
        }

        @Override
        public TypeSerializerSchemaCompatibility<Event> resolveSchemaCompatibility(
                TypeSerializerSnapshot<Event> oldSnapshot) {
            if (oldSnapshot instanceof Snapshot old && old.layout == 1) {
                return TypeSerializerSchemaCompatibility.compatibleAfterMigration();
            }
            return super.resolveSchemaCompatibility(oldSnapshot);
        }
    }
}
