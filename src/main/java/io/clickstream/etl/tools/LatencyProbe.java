package io.clickstream.etl.tools;

import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.clickstream.etl.clickhouse.ClickHouseEndpoints;
import io.clickstream.etl.clickhouse.ClickHouseSql;
import io.clickstream.etl.clickhouse.TabSeparated;
import io.clickstream.etl.config.JobConfig;
import io.clickstream.etl.config.Options;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Collectors;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * Event-to-queryable latency: produces the generator's stream at a fixed rate into the first of kafka.topics, and
 * every Nth event is a probe (event_type 'latency_probe', cheap to find through the sorting key). A poller asks
 * ClickHouse every 100 ms which pending probes are visible; a probe's latency is the time from its send to the
 * first poll that saw it. Prints one line: {@code latency p50_ms=.. p99_ms=.. max_ms=.. probes=.. lost=..}.
 */
public final class LatencyProbe {
    private static final String USAGE =
            "usage: LatencyProbe [--config FILE] [--set key=value]... --rate N [--seconds N]"
                    + " [--probe-every N] [--warmup-seconds N] [--table DB.TABLE]\n"
                    + "  Produces --rate events/s for --seconds (default 60) and measures when every --probe-every-th (default 500)\n"
                    + "  is queryable in --table (default clickhouse.database.clickhouse.table), after --warmup-seconds (default 0)\n"
                    + "  at the same rate without probes (a fresh JVM is slower until its code is compiled).";
    private static final JsonMapper JSON = new JsonMapper();

    private LatencyProbe() {}

    public static void main(String[] args) {
        CommandLine.run(args, LatencyProbe::run);
    }

    static void run(String[] args) throws Exception {
        CommandLine cli = new CommandLine(
                args, Set.of("rate", "seconds", "probe-every", "table", "seed", "warmup-seconds"), Set.of(), USAGE);
        JobConfig config = cli.config();
        int rate = cli.getInt("rate", 0);
        int seconds = cli.getInt("seconds", 60);
        int every = cli.getInt("probe-every", 500);
        int warmup = cli.getInt("warmup-seconds", 0);
        if (rate <= 0 || seconds <= 0 || every <= 0) {
            throw new IllegalArgumentException("--rate, --seconds and --probe-every must be above 0\n" + USAGE);
        }
        String table =
                cli.get("table", config.get(Options.CLICKHOUSE_DATABASE) + "." + config.get(Options.CLICKHOUSE_TABLE));
        String topic = config.get(Options.KAFKA_TOPICS).get(0);
        int warmupCount = rate * warmup;
        int count = warmupCount + rate * seconds;

        Map<String, Long> pending = new ConcurrentHashMap<>();
        List<Long> latencies = Collections.synchronizedList(new ArrayList<>());
        AtomicReference<Exception> pollError = new AtomicReference<>();
        Thread poller = new Thread(() -> poll(config, table, pending, latencies, pollError), "latency-poller");
        poller.setDaemon(true);

        Properties p = new Properties();
        p.putAll(config.kafkaClientProperties());
        p.put(ProducerConfig.LINGER_MS_CONFIG, "5");
        int probes = 0;
        try (KafkaProducer<byte[], byte[]> producer =
                new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer())) {
            producer.partitionsFor(topic); // connects and fetches metadata, which the first send would wait for
            poller.start();
            // Event times start when sending does: a generator started earlier (before the producer connected)
            // stamps every event that much in the past, and the event-time bound would seem shorter than it is.
            EventGenerator generator = new EventGenerator(
                    cli.getInt("seed", 7), 5000, System.currentTimeMillis(), (warmup + seconds) * 1000L);
            generator.millisOnly = true;
            long began = System.nanoTime();
            for (int i = 0; i < count; i++) {
                EventGenerator.Generated g = generator.next(i, count, 1, 0);
                byte[] value = g.value;
                String probeId = null;
                if (i >= warmupCount && i % every == 0) {
                    ObjectNode e = (ObjectNode) JSON.readTree(value);
                    e.put("event_type", "latency_probe");
                    // Never the generator's id: a seeded generator repeats its ids in every run, and a probe whose id
                    // an earlier run stored in the same table would be "seen" before it arrived.
                    probeId = UUID.randomUUID().toString();
                    e.put("event_id", probeId);
                    value = JSON.writeValueAsBytes(e);
                }
                long sentAt = System.currentTimeMillis();
                producer.send(new ProducerRecord<>(topic, g.key, value));
                if (probeId != null) {
                    pending.put(probeId, sentAt);
                    probes++;
                }
                long due = began + (long) ((i + 1) * 1e9 / rate);
                long wait = due - System.nanoTime();
                if (wait > 0) {
                    Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
                }
            }
            producer.flush();
            double actual = count / ((System.nanoTime() - began) / 1e9); // warm-up included: the same rate throughout
            long deadline = System.currentTimeMillis() + 60_000;
            while (!pending.isEmpty() && System.currentTimeMillis() < deadline && pollError.get() == null) {
                Thread.sleep(100);
            }
            if (pollError.get() != null) {
                throw pollError.get();
            }
            List<Long> sorted;
            synchronized (latencies) {
                sorted = new ArrayList<>(latencies);
            }
            Collections.sort(sorted);
            System.out.printf(
                    "latency rate=%d sent_rate=%.0f probes=%d seen=%d lost=%d p50_ms=%d p99_ms=%d max_ms=%d%n",
                    rate,
                    actual,
                    probes,
                    sorted.size(),
                    pending.size(),
                    pct(sorted, 50),
                    pct(sorted, 99),
                    sorted.isEmpty() ? -1 : sorted.get(sorted.size() - 1));
        }
    }

    private static long pct(List<Long> sorted, int p) {
        if (sorted.isEmpty()) {
            return -1;
        }
        int idx = (int) Math.ceil(p / 100.0 * sorted.size()) - 1;
        return sorted.get(Math.max(0, Math.min(sorted.size() - 1, idx)));
    }

    private static void poll(
            JobConfig config,
            String table,
            Map<String, Long> pending,
            List<Long> latencies,
            AtomicReference<Exception> error) {
        try (ClickHouseSql sql = new ClickHouseSql(ClickHouseEndpoints.from(config, System.getenv()))) {
            while (!Thread.currentThread().isInterrupted()) {
                long started = System.currentTimeMillis();
                List<String> ids = new ArrayList<>(pending.keySet());
                if (!ids.isEmpty()) {
                    String seen = sql.execute(seenQuery(table, ids));
                    long now = System.currentTimeMillis();
                    for (String id : TabSeparated.column(seen)) {
                        Long sentAt = pending.remove(id);
                        if (sentAt != null) {
                            latencies.add(now - sentAt);
                        }
                    }
                }
                long sleep = 100 - (System.currentTimeMillis() - started);
                if (sleep > 0) {
                    Thread.sleep(sleep);
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Exception e) {
            error.compareAndSet(null, e);
        }
    }

    /** Which of the probe ids the table holds. */
    public static String seenQuery(String table, List<String> ids) {
        String in = ids.stream().map(id -> "'" + id.replace("'", "") + "'").collect(Collectors.joining(","));
        return "SELECT DISTINCT event_id FROM " + table + " WHERE event_type = 'latency_probe' AND event_id IN (" + in
                + ") FORMAT TabSeparated";
    }
}
