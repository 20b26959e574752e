package io.clickstream.etl.testing;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;

/** Joined values as the layout before one field per version stored them (format 1, all versions in one value). */
public final class OlderJoinedValues {
    private OlderJoinedValues() {}

    /** One version: its time, event id and (name, value) pairs. */
    public static byte[] of(long time, String eventId, String... namesAndValues) {
        try {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            DataOutputStream out = new DataOutputStream(bytes);
            out.writeByte(1);
            out.writeByte(1);
            out.writeLong(time);
            out.writeUTF(eventId);
            out.writeShort(namesAndValues.length / 2);
            for (int i = 0; i + 1 < namesAndValues.length; i += 2) {
                out.writeUTF(namesAndValues[i]);
                byte[] v = namesAndValues[i + 1].getBytes(StandardCharsets.UTF_8);
                out.writeInt(v.length);
                out.write(v);
            }
            return bytes.toByteArray();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
