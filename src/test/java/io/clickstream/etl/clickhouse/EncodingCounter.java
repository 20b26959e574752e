package io.clickstream.etl.clickhouse;

/** Encodes rows as the ClickHouse sink does, into a buffer that is emptied as it fills: the bytes are only counted. */
public final class EncodingCounter<T> {
    private final RowEncoder<T> encoder;
    private final RowBinaryBuffer buffer = new RowBinaryBuffer(1 << 20);

    public EncodingCounter(RowEncoder<T> encoder) {
        this.encoder = encoder;
    }

    /** Encodes a row; returns the bytes of the buffer it emptied (0 while it fills). */
    public long encode(T row) {
        encoder.encode(row, buffer);
        return buffer.size() > (1 << 19) ? drain() : 0;
    }

    /** Empties the buffer; returns the bytes it held. */
    public long drain() {
        long n = buffer.size();
        buffer.reset();
        return n;
    }
}
