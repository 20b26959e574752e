package io.clickstream.etl.clickhouse;

import java.io.Serializable;
import java.util.List;

/**
 * How rows of one type go into one ClickHouse table: the columns named in the INSERT, and each row's RowBinary
 * encoding in that column order. The table may have more columns (with defaults) than these.
 */
public interface RowEncoder<T> extends Serializable {

    List<String> columns();

    void encode(T row, RowBinaryBuffer out);

    /**
     * The row back from its encoding, for the rare paths that need it as an object (a refused row, a replay check,
     * erasures in held rows): the sink keeps its rows as bytes only. Encoding the result gives the same bytes; what the
     * columns do not hold (milliseconds of a row's seconds, null against empty) may differ from the row encoded.
     */
    T decode(RowBinaryInput in);

    /** When the row's input was published (epoch ms; -1 unknown): the end-to-end lag metric starts there. */
    default long publishedAt(T row) {
        return -1;
    }

    /** The user the row belongs to (null: none), for erasures. */
    default String userId(T row) {
        return null;
    }

    /**
     * The newest record time (Kafka timestamp, epoch ms) of the inputs the row holds: a row of an erased user at or
     * before the erasure's time is not written.
     */
    default long recordTime(T row) {
        return publishedAt(row);
    }

    /** The Kafka record the row came from, if it has one: rows with a position can be recognised on a replay. */
    default SourcePosition position(T row) {
        return null;
    }

    /** Appends the row's {@link #position} to {@code out}; an encoder with positions in its rows adds them directly. */
    default void addPosition(T row, SourcePositions out) {
        SourcePosition p = position(row);
        if (p == null) {
            out.add(null, 0, 0);
        } else {
            out.add(p.topic(), p.partition(), p.offset());
        }
    }
}
