package io.clickstream.etl.parse;

import io.clickstream.etl.event.RawEvent;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * CPU and bytes allocated per event of the streaming parser next to the tree parser it replaced, on the same generated payloads in
 * the same JVM, alternating rounds (scripts/benchmark-parser.sh). Not a test: figures go to docs/benchmarks.md.
 */
public final class ParserBenchmark {
    private ParserBenchmark() {}

    public static void main(String[] args) {
        int count = args.length > 0 ? Integer.parseInt(args[0]) : 200_000;
        int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 5;
        long now = System.currentTimeMillis();
        List<RawEvent> inputs = payloads(count, now);
        ParseLimits limits = new ParseLimits(65_536, 8192, 100, Duration.ofHours(1), Duration.ofDays(30));
        EventParser streaming = new EventParser(limits);
        TreeEventParser tree = new TreeEventParser(limits);
        com.sun.management.ThreadMXBean cpu = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long[] treeNs = new long[rounds];
        long[] streamNs = new long[rounds];
        long[] treeBytes = new long[rounds];
        long[] streamBytes = new long[rounds];
        for (int r = -2; r < rounds; r++) { // two warm-up rounds each
            long b0 = cpu.getCurrentThreadAllocatedBytes();
            long t0 = cpu.getCurrentThreadCpuTime();
            int ok = 0;
            for (RawEvent e : inputs) {
                ok += tree.parse(e).isValid() ? 1 : 0;
            }
            long t1 = cpu.getCurrentThreadCpuTime();
            long b1 = cpu.getCurrentThreadAllocatedBytes();
            for (RawEvent e : inputs) {
                ok -= streaming.parse(e).isValid() ? 1 : 0;
            }
            long t2 = cpu.getCurrentThreadCpuTime();
            long b2 = cpu.getCurrentThreadAllocatedBytes();
            if (ok != 0) {
                throw new IllegalStateException("the parsers disagree on " + Math.abs(ok) + " inputs");
            }
            if (r >= 0) {
                treeNs[r] = t1 - t0;
                streamNs[r] = t2 - t1;
                treeBytes[r] = b1 - b0;
                streamBytes[r] = b2 - b1;
            }
        }
        System.out.printf(
                "%,d payloads (%,d bytes on average), %d rounds after 2 warm-up rounds, CPU of this thread%n",
                count, inputs.stream().mapToLong(e -> e.value.length).sum() / count, rounds);
        System.out.printf("%-34s %12s %12s %14s%n", "parser", "median µs/ev", "best µs/ev", "median bytes/ev");
        print("tree (String + JsonNode, before)", treeNs, treeBytes, count);
        print("streaming (bytes, JsonParser)", streamNs, streamBytes, count);
    }

    private static void print(String name, long[] ns, long[] bytes, int count) {
        long[] sorted = ns.clone();
        java.util.Arrays.sort(sorted);
        long[] allocated = bytes.clone();
        java.util.Arrays.sort(allocated);
        System.out.printf(
                "%-34s %12.2f %12.2f %14d%n",
                name,
                sorted[sorted.length / 2] / 1000.0 / count,
                sorted[0] / 1000.0 / count,
                allocated[allocated.length / 2] / count);
    }

    /** Events like the generator's: page views, clicks, carts with prices, searches; 1 % malformed. */
    static List<RawEvent> payloads(int count, long now) {
        Random random = new Random(7);
        String[] types = {"page_view", "page_view", "page_view", "click", "add_to_cart", "search", "purchase"};
        List<RawEvent> out = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            String type = types[random.nextInt(types.length)];
            StringBuilder b = new StringBuilder(400);
            b.append("{\"event_id\":\"")
                    .append(new java.util.UUID(random.nextLong(), random.nextLong()))
                    .append("\",\"user_id\":\"user-")
                    .append(random.nextInt(50_000))
                    .append("\",\"event_type\":\"")
                    .append(type)
                    .append("\",\"ts\":")
                    .append(now - random.nextInt(60_000))
                    .append(",\"source\":\"web\",\"url\":\"https://shop.example.com/product/")
                    .append(random.nextInt(5000))
                    .append("\",\"referrer\":\"https://www.google.com/\",\"ip\":\"203.0.113.")
                    .append(random.nextInt(255))
                    .append(
                            "\",\"user_agent\":\"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
                                    + "Chrome/131.0.0.0 Safari/537.36\",\"properties\":{");
            if (type.equals("add_to_cart") || type.equals("purchase")) {
                b.append("\"product_id\":\"")
                        .append(random.nextInt(5000))
                        .append("\",\"price\":")
                        .append(random.nextInt(20000) / 100.0)
                        .append(",\"currency\":\"EUR\"");
            } else if (type.equals("search")) {
                b.append("\"query\":\"running shoes\"");
            } else if (type.equals("click")) {
                b.append("\"element\":\"buy-button\"");
            }
            b.append("}}");
            if (random.nextInt(100) == 0) {
                b.setLength(b.length() - 3); // malformed
            }
            out.add(new RawEvent(
                    "clickstream-web", 0, i, now, null, b.toString().getBytes(StandardCharsets.UTF_8)));
        }
        return out;
    }
}
