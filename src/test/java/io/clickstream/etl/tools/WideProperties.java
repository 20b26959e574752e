package io.clickstream.etl.tools;

import io.clickstream.etl.clickhouse.DeclaredRow;
import io.clickstream.etl.schema.DeclaredColumns;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * For the flow benchmark's cost of declared columns (issue 29): {@code n} more properties in each generated event
 * (w0, w1, … of ten kinds in turn: counts, ids, prices, ratios, names, a quality, flags, dates, times, tag lists; one
 * value in 50 does not fit its type), and the schema file that declares them as typed columns.
 */
final class WideProperties {
    private static final String[] TYPES = {
        "UInt32",
        "Int64",
        "Decimal(12, 2)",
        "Float64",
        "String",
        "LowCardinality(String)",
        "Bool",
        "Date",
        "DateTime",
        "Array(String)"
    };

    private static final String[] QUALITIES = {"\"sd\"", "\"hd\"", "\"4k\""};

    private final int n;
    private final SplittableRandom random;
    private final StringBuilder json = new StringBuilder(512);

    WideProperties(int n, long seed) {
        this.n = n;
        this.random = new SplittableRandom(seed);
    }

    /** The schema file's columns for {@code n} properties. */
    static DeclaredRow declared(int n) {
        List<String> columns = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            columns.add("{\"name\": \"w" + i + "\", \"type\": \"" + TYPES[i % TYPES.length] + "\", \"path\":"
                    + " \"properties.w" + i + "\"}");
        }
        return new DeclaredRow(
                DeclaredColumns.parse("{\"columns\": [" + String.join(",", columns) + "]}", DeclaredRow.reserved()));
    }

    /** The event's JSON with the properties added at the end of its properties object (its last field). */
    byte[] addTo(byte[] event) {
        json.setLength(0);
        String text = new String(event, StandardCharsets.UTF_8);
        if (!text.endsWith("}}")) {
            return event; // a malformed one: left as it is
        }
        json.append(text, 0, text.length() - 2);
        boolean empty = text.endsWith("{}}");
        for (int i = 0; i < n; i++) {
            json.append(empty && i == 0 ? "" : ",").append("\"w").append(i).append("\":");
            boolean misfit = random.nextInt(50) == 0;
            switch (i % TYPES.length) {
                case 0 -> json.append(misfit ? "-1" : Integer.toString(random.nextInt(100_000)));
                case 1 -> json.append(random.nextLong());
                case 2 ->
                    json.append(random.nextInt(1_000_000) / 100).append('.').append(10 + random.nextInt(90));
                case 3 -> json.append(misfit ? "\"x\"" : Double.toString(random.nextDouble() * 1000));
                case 4 ->
                    json.append("\"video-").append(random.nextInt(100_000)).append('"');
                case 5 -> json.append(QUALITIES[random.nextInt(QUALITIES.length)]);
                case 6 -> json.append(random.nextBoolean());
                case 7 -> json.append(misfit ? "\"2026-13-01\"" : "\"2026-11-1" + random.nextInt(10) + "\"");
                case 8 -> json.append(1_764_000_000L + random.nextInt(1_000_000));
                default -> json.append("[\"a").append(random.nextInt(10)).append("\",\"b\"]");
            }
        }
        json.append("}}");
        return json.toString().getBytes(StandardCharsets.UTF_8);
    }
}
