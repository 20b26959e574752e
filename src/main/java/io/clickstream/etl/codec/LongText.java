package io.clickstream.etl.codec;

import java.io.DataOutput;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import org.apache.flink.core.memory.DataInputDeserializer;

/**
 * Text in the state the job keeps in Redis: UTF-8 after an int length. {@code writeUTF} stops at 64 KB, while URLs,
 * user agents and property values may be longer (validation.max-field-length). The format is part of stored state:
 * a change needs a new format byte in the records that use it.
 */
public final class LongText {
    private LongText() {}

    /** Writes {@code text}, null as empty. */
    public static void write(DataOutput out, String text) throws IOException {
        String t = text == null ? "" : text;
        byte[] ascii = AsciiText.bytesOf(t);
        if (ascii != null) {
            out.writeInt(t.length());
            out.write(ascii, 0, t.length());
            return;
        }
        byte[] b = t.getBytes(StandardCharsets.UTF_8);
        out.writeInt(b.length);
        out.write(b);
    }

    /** Reads what {@link #write} wrote; a length beyond the input is damage. */
    public static String read(DataInputDeserializer in) throws IOException {
        int n = in.readInt();
        if (n < 0 || n > in.available()) {
            throw new IOException("bad text length " + n);
        }
        byte[] b = new byte[n];
        in.readFully(b);
        return new String(b, StandardCharsets.UTF_8);
    }
}
