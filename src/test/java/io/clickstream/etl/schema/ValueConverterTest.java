package io.clickstream.etl.schema;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.clickstream.etl.schema.ValueConverter.Converted;
import io.clickstream.etl.schema.ValueConverter.Failed;
import io.clickstream.etl.schema.ValueConverter.Result;
import java.math.BigDecimal;
import java.time.LocalDate;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ValueConverterTest {
    private static Result convert(String type, JsonValue v) {
        return ValueConverter.convert(ColumnType.parse(type), v);
    }

    private static Object value(String type, JsonValue v) {
        Result r = convert(type, v);
        assertThat(r).as("%s from %s", type, v).isInstanceOf(Converted.class);
        return ((Converted) r).value();
    }

    private static String reason(String type, JsonValue v) {
        Result r = convert(type, v);
        assertThat(r).as("%s from %s", type, v).isInstanceOf(Failed.class);
        return ((Failed) r).reason();
    }

    @ParameterizedTest(name = "{0}: {1} and {2} fit, {3} and {4} are one beyond")
    @CsvSource({
        "Int8, -128, 127, -129, 128",
        "UInt8, 0, 255, -1, 256",
        "Int16, -32768, 32767, -32769, 32768",
        "UInt16, 0, 65535, -1, 65536",
        "Int32, -2147483648, 2147483647, -2147483649, 2147483648",
        "UInt32, 0, 4294967295, -1, 4294967296",
        "Int64, -9223372036854775808, 9223372036854775807, -9223372036854775809, 9223372036854775808",
        "UInt64, 0, 18446744073709551615, -1, 18446744073709551616"
    })
    void everyIntegerTypeTakesItsMinAndMaxAndRefusesOneBeyondEither(
            String type, String min, String max, String below, String above) {
        assertThat(new java.math.BigInteger(min).longValue()).isEqualTo(value(type, JsonValue.number(min)));
        assertThat(new java.math.BigInteger(max).longValue()).isEqualTo(value(type, JsonValue.number(max)));
        assertThat(reason(type, JsonValue.number(below))).isEqualTo(ValueConverter.OUT_OF_RANGE);
        assertThat(reason(type, JsonValue.number(above))).isEqualTo(ValueConverter.OUT_OF_RANGE);
        // As a string holding the number, the same.
        assertThat(new java.math.BigInteger(max).longValue()).isEqualTo(value(type, JsonValue.string(max)));
        assertThat(reason(type, JsonValue.string(above))).isEqualTo(ValueConverter.OUT_OF_RANGE);
    }

    @Test
    void anIntegerIsTakenOnlyWhenItIsWholeAndNeverThroughADouble() {
        assertThat(value("Int64", JsonValue.number("1e3"))).isEqualTo(1000L);
        assertThat(value("Int64", JsonValue.number("12.000"))).isEqualTo(12L);
        assertThat(value("UInt8", JsonValue.number("-0"))).isEqualTo(0L);
        assertThat(value("UInt8", JsonValue.number("-0.0e7"))).isEqualTo(0L);
        assertThat(reason("Int32", JsonValue.number("1.5"))).isEqualTo(ValueConverter.NOT_AN_INTEGER);
        assertThat(reason("Int32", JsonValue.number("15e-1"))).isEqualTo(ValueConverter.NOT_AN_INTEGER);
        // 2^53 + 1 is not a double: read through one it would be 2^53.
        assertThat(value("Int64", JsonValue.number("9007199254740993"))).isEqualTo(9_007_199_254_740_993L);
        assertThat(value("UInt64", JsonValue.number("18446744073709551615")))
                .as("UInt64's largest value keeps its bits")
                .isEqualTo(-1L);
        assertThat(reason("Int64", JsonValue.number("1e999999999"))).isEqualTo(ValueConverter.OUT_OF_RANGE);
        assertThat(reason("Int64", JsonValue.number("1e99999999999"))).isEqualTo(ValueConverter.OUT_OF_RANGE);
        assertThat(reason("Int64", JsonValue.number("1" + "0".repeat(500)))).isEqualTo(ValueConverter.OUT_OF_RANGE);
    }

    @Test
    void anAgeOf300IsOutOfAUInt8AndSaysSo() {
        Failed f = (Failed) convert("UInt8", JsonValue.number("300"));
        assertThat(f.reason()).isEqualTo(ValueConverter.OUT_OF_RANGE);
        assertThat(f.detail()).isEqualTo("300 is out of UInt8's range [0, 255]");
    }

    @Test
    void numbersAreRefusedFromOtherJsonTypesAndFromTextThatIsNotExactlyANumber() {
        for (String type : List.of("Int32", "Float64", "Decimal(10, 2)")) {
            assertThat(reason(type, JsonValue.bool(true))).isEqualTo(ValueConverter.WRONG_TYPE);
            assertThat(reason(type, JsonValue.OBJECT)).isEqualTo(ValueConverter.WRONG_TYPE);
            assertThat(reason(type, JsonValue.array(List.of(JsonValue.number("1")))))
                    .isEqualTo(ValueConverter.WRONG_TYPE);
            for (String text :
                    List.of("abc", "", " 1", "1 ", "+1", "0x10", "01", "1.", ".5", "NaN", "Infinity", "1e")) {
                assertThat(reason(type, JsonValue.string(text)))
                        .as("'%s'", text)
                        .isEqualTo(ValueConverter.NOT_A_NUMBER);
            }
        }
    }

    @Test
    void aFloat64TakesWhatADoubleHoldsAndRefusesOverflow() {
        assertThat(value("Float64", JsonValue.number("0.1"))).isEqualTo(0.1);
        assertThat((Double) value("Float64", JsonValue.number("-0.0")))
                .isEqualTo(-0.0)
                .matches(d -> 1 / d < 0);
        assertThat(value("Float64", JsonValue.number("1.7976931348623157e308"))).isEqualTo(Double.MAX_VALUE);
        assertThat(reason("Float64", JsonValue.number("1e309"))).isEqualTo(ValueConverter.OUT_OF_RANGE);
        assertThat(reason("Float64", JsonValue.number("-1e309"))).isEqualTo(ValueConverter.OUT_OF_RANGE);
        assertThat(value("Float64", JsonValue.string("2.5e-3"))).isEqualTo(0.0025);
    }

    @Test
    void aDecimalKeepsEveryDigitOrRefusesTheValue() {
        assertThat(value("Decimal(10, 2)", JsonValue.number("12.5"))).isEqualTo(new BigDecimal("12.50"));
        assertThat(value("Decimal(10, 2)", JsonValue.number("12.500"))).isEqualTo(new BigDecimal("12.50"));
        assertThat(value("Decimal(10, 2)", JsonValue.number("99999999.99"))).isEqualTo(new BigDecimal("99999999.99"));
        assertThat(value("Decimal(10, 2)", JsonValue.number("-99999999.99"))).isEqualTo(new BigDecimal("-99999999.99"));
        assertThat(value("Decimal(10, 2)", JsonValue.number("-0"))).isEqualTo(new BigDecimal("0.00"));
        assertThat(reason("Decimal(10, 2)", JsonValue.number("100000000"))).isEqualTo(ValueConverter.OUT_OF_RANGE);
        assertThat(reason("Decimal(10, 2)", JsonValue.number("12.345"))).isEqualTo(ValueConverter.TOO_MANY_DECIMALS);
        assertThat(value("Decimal(10, 2)", JsonValue.number("1.2e1"))).isEqualTo(new BigDecimal("12.00"));
        assertThat(reason("Decimal(10, 2)", JsonValue.number("1e8"))).isEqualTo(ValueConverter.OUT_OF_RANGE);
        assertThat(value("Decimal64(4)", JsonValue.number("1.0001"))).isEqualTo(new BigDecimal("1.0001"));
        assertThat(value("Decimal(38, 0)", JsonValue.number("9".repeat(38)))).isEqualTo(new BigDecimal("9".repeat(38)));
        assertThat(reason("Decimal(38, 0)", JsonValue.number("1" + "0".repeat(38))))
                .isEqualTo(ValueConverter.OUT_OF_RANGE);
    }

    @Test
    void stringsTakeAnyScalarAsTheJsonWroteItAndHugeOnesWhole() {
        assertThat(value("String", JsonValue.string("ü'\\\u0000"))).isEqualTo("ü'\\\u0000");
        assertThat(value("LowCardinality(String)", JsonValue.number("1.50"))).isEqualTo("1.50");
        assertThat(value("String", JsonValue.bool(false))).isEqualTo("false");
        String huge = "x".repeat(1_000_000);
        assertThat(value("String", JsonValue.string(huge))).isEqualTo(huge);
        assertThat(reason("String", JsonValue.OBJECT)).isEqualTo(ValueConverter.WRONG_TYPE);
        assertThat(reason("String", JsonValue.array(List.of()))).isEqualTo(ValueConverter.WRONG_TYPE);
    }

    @Test
    void datesAndTimesWithinTheirTypesRangesOnly() {
        assertThat(value("Date", JsonValue.string("1970-01-01"))).isEqualTo(0);
        assertThat(value("Date", JsonValue.string("2106-02-07")))
                .as("18.16's last day (current versions go on to 2149-06-06)")
                .isEqualTo(49_710);
        assertThat(reason("Date", JsonValue.string("2106-02-08"))).isEqualTo(ValueConverter.OUT_OF_RANGE);
        assertThat(reason("Date", JsonValue.string("2149-06-06"))).isEqualTo(ValueConverter.OUT_OF_RANGE);
        assertThat(reason("Date", JsonValue.string("1969-12-31"))).isEqualTo(ValueConverter.OUT_OF_RANGE);
        assertThat(reason("Date", JsonValue.string("2026-02-30"))).isEqualTo(ValueConverter.BAD_FORMAT);
        assertThat(reason("Date", JsonValue.string("07.12.2026"))).isEqualTo(ValueConverter.BAD_FORMAT);
        assertThat(reason("Date", JsonValue.number("20261207"))).isEqualTo(ValueConverter.WRONG_TYPE);
        assertThat(LocalDate.ofEpochDay((Integer) value("Date", JsonValue.string("2026-12-07"))))
                .isEqualTo(LocalDate.of(2026, 12, 7));

        assertThat(value("DateTime", JsonValue.string("2026-12-07T10:00:00Z"))).isEqualTo(1_796_637_600L);
        assertThat(value("DateTime", JsonValue.string("2026-12-07T11:00:00+01:00")))
                .isEqualTo(1_796_637_600L);
        assertThat(value("DateTime", JsonValue.number("1796637600"))).isEqualTo(1_796_637_600L);
        assertThat(value("DateTime", JsonValue.number("4294967295"))).isEqualTo(4_294_967_295L);
        assertThat(reason("DateTime", JsonValue.number("4294967296"))).isEqualTo(ValueConverter.OUT_OF_RANGE);
        assertThat(reason("DateTime", JsonValue.number("-1"))).isEqualTo(ValueConverter.OUT_OF_RANGE);
        assertThat(reason("DateTime", JsonValue.number("1796637600.5"))).isEqualTo(ValueConverter.NOT_AN_INTEGER);
        assertThat(reason("DateTime", JsonValue.string("2026-12-07T10:00:00.250Z")))
                .as("DateTime holds seconds: a fraction would be cut off")
                .isEqualTo(ValueConverter.TOO_MANY_DECIMALS);
        assertThat(reason("DateTime", JsonValue.string("2026-12-07 10:00:00"))).isEqualTo(ValueConverter.BAD_FORMAT);
    }

    @Test
    void booleansFromTrueFalseZeroOneAndTheirTextOnly() {
        assertThat(value("Bool", JsonValue.bool(true))).isEqualTo(true);
        assertThat(value("Bool", JsonValue.number("0"))).isEqualTo(false);
        assertThat(value("Bool", JsonValue.string("true"))).isEqualTo(true);
        assertThat(reason("Bool", JsonValue.number("2"))).isEqualTo(ValueConverter.BAD_FORMAT);
        assertThat(reason("Bool", JsonValue.string("yes"))).isEqualTo(ValueConverter.BAD_FORMAT);
        assertThat(reason("Bool", JsonValue.OBJECT)).isEqualTo(ValueConverter.WRONG_TYPE);
    }

    @Test
    void anArrayConvertsEveryElementOrFailsNamingTheFirstThatDoesNotFit() {
        assertThat(value("Array(UInt16)", JsonValue.array(List.of(JsonValue.number("1"), JsonValue.string("2")))))
                .isEqualTo(List.of(1L, 2L));
        Failed f = (Failed)
                convert("Array(UInt8)", JsonValue.array(List.of(JsonValue.number("1"), JsonValue.number("256"))));
        assertThat(f.reason()).isEqualTo(ValueConverter.OUT_OF_RANGE);
        assertThat(f.detail()).startsWith("element 1: 256 is out of UInt8's range");
        assertThat(reason("Array(String)", JsonValue.array(List.of(JsonValue.NULL))))
                .isEqualTo(ValueConverter.WRONG_TYPE);
        assertThat(reason("Array(String)", JsonValue.string("a,b"))).isEqualTo(ValueConverter.WRONG_TYPE);
        assertThat(value("Array(String)", JsonValue.array(List.of()))).isEqualTo(List.of());
    }

    @Test
    void aJsonNullIsNoValueAndNoError() {
        for (String type :
                List.of("Int8", "Float64", "Decimal(5, 1)", "String", "Date", "DateTime", "Bool", "Array(Int32)")) {
            assertThat(convert(type, JsonValue.NULL)).as(type).isEqualTo(new Converted(null));
        }
    }

    @Test
    void typesAreReadAsClickHouseNamesThemAndOthersRefusedWithTheList() {
        assertThat(ColumnType.parse("Decimal32(3)").name).isEqualTo("Decimal(9, 3)");
        assertThat(ColumnType.parse("Decimal128(2)").name).isEqualTo("Decimal(38, 2)");
        assertThat(ColumnType.parse("Array(Bool)").ddl(true)).isEqualTo("Array(UInt8)");
        assertThat(ColumnType.parse("Array(Bool)").ddl(false)).isEqualTo("Array(Bool)");
        for (String bad : List.of(
                "Float32",
                "Nullable(String)",
                "Int128",
                "Array(Array(Int8))",
                "Decimal(39, 2)",
                "Decimal(5, 6)",
                "string",
                "")) {
            assertThatThrownBy(() -> ColumnType.parse(bad)).as(bad).isInstanceOf(IllegalArgumentException.class);
        }
        assertThatThrownBy(() -> ColumnType.parse("Float32")).hasMessageContaining("is not supported: one of (U)Int8");
    }

    /** What a number's text becomes in a column of {@code type}, by BigDecimal and BigInteger arithmetic alone. */
    private static String expected(ColumnType type, String text) {
        BigDecimal d = new BigDecimal(text);
        if (type.kind == ColumnType.Kind.INT) {
            BigDecimal whole = d.signum() == 0 ? BigDecimal.ZERO : d.stripTrailingZeros();
            if (whole.scale() > 0) {
                return ValueConverter.NOT_AN_INTEGER;
            }
            java.math.BigInteger i = whole.toBigIntegerExact();
            return i.compareTo(type.min) < 0 || i.compareTo(type.max) > 0
                    ? ValueConverter.OUT_OF_RANGE
                    : Long.toString(i.longValue());
        }
        int integerDigits = d.signum() == 0 ? 0 : d.precision() - d.scale();
        if (integerDigits > type.size - type.scale) {
            return ValueConverter.OUT_OF_RANGE;
        }
        BigDecimal exact = d.signum() == 0 ? BigDecimal.ZERO : d.stripTrailingZeros();
        return exact.scale() > type.scale
                ? ValueConverter.TOO_MANY_DECIMALS
                : exact.setScale(type.scale).toString();
    }

    @Test
    void randomNumbersConvertAsBigDecimalArithmeticSaysAsNumbersAndAsStrings() {
        java.util.SplittableRandom random = new java.util.SplittableRandom(29);
        List<ColumnType> types = List.of(
                ColumnType.parse("UInt8"),
                ColumnType.parse("Int32"),
                ColumnType.parse("UInt64"),
                ColumnType.parse("Int64"),
                ColumnType.parse("Decimal(10, 2)"),
                ColumnType.parse("Decimal(18, 4)"),
                ColumnType.parse("Decimal(38, 10)"));
        for (int n = 0; n < 20_000; n++) {
            StringBuilder t = new StringBuilder(random.nextBoolean() ? "-" : "");
            int intDigits = random.nextInt(22);
            t.append(intDigits == 0 ? "0" : Integer.toString(1 + random.nextInt(9)));
            for (int k = 1; k < intDigits; k++) {
                t.append(random.nextInt(10));
            }
            if (random.nextInt(3) == 0) {
                t.append('.');
                int fraction = 1 + random.nextInt(6);
                for (int k = 0; k < fraction; k++) {
                    t.append(random.nextInt(4) == 0 ? 0 : random.nextInt(10));
                }
            }
            if (random.nextInt(10) == 0) {
                t.append('e').append(random.nextInt(5) - 2);
            }
            String text = t.toString();
            for (ColumnType type : types) {
                String want = expected(type, text);
                for (JsonValue v : List.of(JsonValue.number(text), JsonValue.string(text))) {
                    Result r = ValueConverter.convert(type, v);
                    String got = r instanceof Converted c ? c.value().toString() : ((Failed) r).reason();
                    assertThat(got).as(type.name + " " + text).isEqualTo(want);
                }
            }
        }
    }
}
