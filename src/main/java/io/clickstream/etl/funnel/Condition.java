package io.clickstream.etl.funnel;

import static io.clickstream.etl.clickhouse.ClickHouseSql.literal;

import io.clickstream.etl.event.Event;
import io.clickstream.etl.event.EventField;
import java.io.Serializable;
import java.util.List;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * One test of a funnel step on a field or property of an event. Every operator has a Java form (the stream) and a
 * SQL form (the retroactive query) that must agree: values are compared as strings, except the numeric
 * comparisons, which are false when the value is not a number. An absent field or property reads as ''.
 */
public final class Condition implements Serializable {
    private static final long serialVersionUID = 1L;

    public enum Op {
        EQUALS,
        IN,
        PREFIX,
        EXISTS,
        GT,
        GTE,
        LT,
        LTE;

        static Op byName(String name) {
            for (Op op : values()) {
                if (op.name().toLowerCase(Locale.ROOT).equals(name)) {
                    return op;
                }
            }
            return null;
        }

        static String names() {
            return java.util.Arrays.stream(values())
                    .map(o -> o.name().toLowerCase(Locale.ROOT))
                    .collect(Collectors.joining(", "));
        }
    }

    private final String target; // as written: a field name or properties.<name>
    private final EventField field; // null for a property
    private final String property; // null for a field
    private final Op op;
    private final List<String> values;
    private final double number;

    Condition(String target, EventField field, String property, Op op, List<String> values, double number) {
        this.target = target;
        this.field = field;
        this.property = property;
        this.op = op;
        this.values = List.copyOf(values);
        this.number = number;
    }

    public String target() {
        return target;
    }

    public Op op() {
        return op;
    }

    boolean matches(Event e) {
        String prop = field == null ? e.property(property) : null;
        String v = field != null ? field.value(e) : prop == null ? "" : prop;
        switch (op) {
            case EQUALS:
                return v.equals(values.get(0));
            case IN:
                return values.contains(v);
            case PREFIX:
                return v.startsWith(values.get(0));
            case EXISTS:
                return field != null ? !v.isEmpty() : prop != null;
            default:
                Double d = number(v);
                if (d == null) {
                    return false;
                }
                switch (op) {
                    case GT:
                        return d > number;
                    case GTE:
                        return d >= number;
                    case LT:
                        return d < number;
                    default:
                        return d <= number;
                }
        }
    }

    /** The same test in ClickHouse SQL on the events table (18.16 and current). */
    String sql() {
        String v = field != null ? field.column : "props.value[indexOf(props.key, " + literal(property) + ")]";
        switch (op) {
            case EQUALS:
                return v + " = " + literal(values.get(0));
            case IN:
                return v + " IN ("
                        + values.stream()
                                .map(io.clickstream.etl.clickhouse.ClickHouseSql::literal)
                                .collect(Collectors.joining(", "))
                        + ")";
            case PREFIX:
                // startsWith is missing on 18.16; both sides are compared as bytes, like String.startsWith on UTF-8.
                String p = literal(values.get(0));
                return "substring(" + v + ", 1, length(" + p + ")) = " + p;
            case EXISTS:
                return field != null ? v + " != ''" : "has(props.key, " + literal(property) + ")";
            default:
                String cmp = op == Op.GT ? ">" : op == Op.GTE ? ">=" : op == Op.LT ? "<" : "<=";
                // toFloat64OrZero turns non-numbers into 0; the match() keeps them false as in Java.
                return "(match(" + v + ", " + literal(NUMBER) + ") AND toFloat64OrZero(" + v + ") " + cmp + " "
                        + FunnelSql.number(number) + ")";
        }
    }

    static final String NUMBER = "^-?[0-9]+(\\.[0-9]+)?([eE][-+]?[0-9]+)?$";
    private static final java.util.regex.Pattern NUMBER_PATTERN = java.util.regex.Pattern.compile(NUMBER);

    static Double number(String v) {
        if (!NUMBER_PATTERN.matcher(v).matches()) {
            return null;
        }
        return Double.parseDouble(v);
    }
}
