package io.clickstream.etl.codec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.util.List;
import org.apache.flink.core.memory.DataInputDeserializer;
import org.apache.flink.core.memory.DataOutputSerializer;
import org.junit.jupiter.api.Test;

class VarIntsTest {
    private static byte[] written(long value) throws IOException {
        DataOutputSerializer out = new DataOutputSerializer(16);
        VarInts.write(out, value);
        return out.getCopyOfBuffer();
    }

    @Test
    void everyLongReadsBackAndSmallOnesOfEitherSignTakeOneByte() throws IOException {
        for (long v : List.of(0L, 1L, -1L, 63L, -64L, 64L, 1_763_800_000_000L, Long.MAX_VALUE, Long.MIN_VALUE)) {
            assertThat(VarInts.read(new DataInputDeserializer(written(v)))).isEqualTo(v);
        }
        assertThat(written(-1)).hasSize(1);
        assertThat(written(63)).hasSize(1);
        assertThat(written(64)).hasSize(2);
        assertThat(written(1_763_800_000_000L)).as("an epoch millisecond").hasSize(6);
        assertThat(written(Long.MIN_VALUE)).hasSize(10);
    }

    @Test
    void moreThanTenBytesOrAValueOutOfItsRangeIsDamage() throws IOException {
        byte[] endless = new byte[11];
        java.util.Arrays.fill(endless, (byte) 0x80);
        assertThatThrownBy(() -> VarInts.read(new DataInputDeserializer(endless)))
                .hasMessageContaining("longer than ten bytes");
        assertThatThrownBy(() -> VarInts.readInt(new DataInputDeserializer(written(-2)), -1, 10))
                .hasMessageContaining("value -2 outside [-1, 10]");
    }
}
