package io.clickstream.etl.clickhouse;

import io.clickstream.etl.schema.ColumnType;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.List;

/**
 * RowBinary of a declared column's value ({@link io.clickstream.etl.schema.ValueConverter.Converted}'s
 * representation): little-endian integers of the type's width (a signed value's bits as they are), Float64's bits,
 * a Decimal's unscaled value in 4, 8 or 16 bytes by its precision, strings and arrays with their length first, Date
 * as UInt16 days, DateTime as UInt32 seconds, Bool as one byte.
 */
public final class DeclaredColumnEncoder {
    private DeclaredColumnEncoder() {}

    public static void encode(ColumnType type, Object value, RowBinaryBuffer out) {
        switch (type.kind) {
            case INT -> {
                long v = (Long) value;
                switch (type.size) {
                    case 1 -> out.uint8((int) v);
                    case 2 -> out.uint16((int) v);
                    case 4 -> out.uint32(v);
                    default -> out.uint64(v);
                }
            }
            case FLOAT64 -> out.float64((Double) value);
            case DECIMAL -> decimal(type, (BigDecimal) value, out);
            case STRING -> out.string((String) value);
            case DATE -> out.uint16((Integer) value);
            case DATETIME -> out.uint32((Long) value);
            case BOOL -> out.uint8((Boolean) value ? 1 : 0);
            case ARRAY -> {
                List<?> elements = (List<?>) value;
                out.varUInt(elements.size());
                for (Object e : elements) {
                    encode(type.element, e, out);
                }
            }
        }
    }

    private static void decimal(ColumnType type, BigDecimal value, RowBinaryBuffer out) {
        BigInteger unscaled = value.setScale(type.scale).unscaledValue();
        if (type.size <= 9) {
            out.uint32(unscaled.intValueExact());
        } else if (type.size <= 18) {
            out.uint64(unscaled.longValueExact());
        } else {
            out.uint64(unscaled.longValue()); // the low 64 bits, then the high ones (two's complement)
            out.uint64(unscaled.shiftRight(64).longValue());
        }
    }
}
