package io.clickstream.etl.tools;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;
import io.clickstream.etl.clickhouse.ClickHouseEndpoints;
import io.clickstream.etl.clickhouse.ClickHouseSql;
import io.clickstream.etl.clickhouse.TabSeparated;
import io.clickstream.etl.config.JobConfig;
import io.clickstream.etl.config.Options;
import io.clickstream.etl.config.Timestamps;
import io.clickstream.etl.kafka.Topics;
import io.clickstream.etl.quality.InputBalance;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.NavigableSet;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Consumer;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * Shows that the inputs balance: per partition of the job's input topics, the records of a range (by record time)
 * are stored events, dead letters, second deliveries of a stored event, or still in flight (at or after the offset
 * the job's group committed), and none is lost or there twice. Exit code 0 when it balances, 1 when not.
 *
 * <pre>java -cp clickstream-etl.jar io.clickstream.etl.tools.Balance --config clickstream.yaml \
 *     [--from 2026-12-01T00:00:00Z] [--to 2026-12-02T00:00:00Z]</pre>
 */
public final class Balance {
    private static final String USAGE = "usage: Balance [--config FILE] [--set key=value]... [--from TIME] [--to TIME]"
            + " [--topics a,b] [--group G] [--bucket N]\n"
            + "  Per partition of the job's input topics, where each record written in [from, to) (record time; default:"
            + " all) ended:\n"
            + "  stored in clickhouse.database's events, a dead letter (committed), a second delivery of a stored event"
            + " id, or still\n"
            + "  in flight (at or after the group's committed offset). Exit 1 when a record below that offset is in"
            + " none of them\n"
            + "  (lost, or erased by tools.Erase) or in two.\n"
            + "  --topics a,b  topics (default: kafka.topics and backfill.topic)\n"
            + "  --group G     the job's consumer group (default: kafka.group-id)\n"
            + "  --bucket N    offsets counted together before a range is read record by record (default 100000)";
    private static final JsonMapper JSON = new JsonMapper();

    private Balance() {}

    public static void main(String[] args) {
        int[] code = {0};
        CommandLine.run(args, a -> code[0] = run(a));
        System.exit(code[0]);
    }

    /** Prints the balance; returns the exit code. */
    public static int run(String... args) throws Exception {
        CommandLine cli = new CommandLine(args, Set.of("from", "to", "topics", "group", "bucket"), Set.of(), USAGE);
        JobConfig config = cli.config();
        long fromMs = cli.get("from", null) == null ? -1 : Timestamps.parseMillis(cli.get("from", ""));
        long toMs = cli.get("to", null) == null ? -1 : Timestamps.parseMillis(cli.get("to", ""));
        if (fromMs >= 0 && toMs >= 0 && toMs <= fromMs) {
            throw new IllegalArgumentException(
                    "--to " + cli.get("to", "") + " is not after --from " + cli.get("from", ""));
        }
        List<String> topics = new ArrayList<>();
        if (cli.get("topics", null) != null) {
            topics.addAll(List.of(cli.get("topics", "").split(",")));
        } else {
            topics.addAll(Topics.readByTheJob(config));
        }
        String group = cli.get("group", config.get(Options.KAFKA_GROUP_ID));
        String db = config.get(Options.CLICKHOUSE_DATABASE);
        List<InputBalance.Line> lines = new ArrayList<>();
        Map<String, List<Long>> deadLettersTwice = new TreeMap<>();
        try (Admin admin = KafkaOffsets.admin(config);
                KafkaConsumer<byte[], byte[]> consumer = consumer(config);
                ClickHouseSql sql = new ClickHouseSql(
                        ClickHouseEndpoints.from(config, System.getenv()).withSocketTimeout(Duration.ofMinutes(30)))) {
            List<TopicPartition> partitions = KafkaOffsets.partitions(admin, topics);
            Map<TopicPartition, Long> committed = KafkaOffsets.committed(admin, group);
            Map<TopicPartition, Long> ends = KafkaOffsets.offsets(admin, partitions, OffsetSpec.latest(), true);
            Map<TopicPartition, Long> starts = at(admin, partitions, fromMs, OffsetSpec.earliest(), ends);
            Map<TopicPartition, Long> stops = toMs < 0 ? ends : at(admin, partitions, toMs, OffsetSpec.latest(), ends);
            DeadLetters dead = deadLetters(config, consumer, starts, stops);
            InputBalance balance =
                    new InputBalance(new StoredEvents(sql, db), new Records(consumer), cli.getInt("bucket", 100_000));
            for (TopicPartition tp : partitions) {
                long from = starts.get(tp);
                long to = Math.max(from, stops.get(tp));
                InputBalance.Range range =
                        new InputBalance.Range(tp.topic(), tp.partition(), from, to, committed.getOrDefault(tp, from));
                lines.add(balance.balance(range, dead.offsets.getOrDefault(tp, new TreeSet<>())));
                NavigableSet<Long> again =
                        dead.repeated().getOrDefault(tp, new TreeSet<>()).subSet(from, true, to, false);
                if (!again.isEmpty()) {
                    deadLettersTwice.put(tp.topic() + "-" + tp.partition(), new ArrayList<>(again));
                }
            }
        }
        return print(db, group, topics, cli, lines, deadLettersTwice);
    }

    /** The first offset at or after {@code ms} per partition ({@code none} when no time is given), the end if none. */
    private static Map<TopicPartition, Long> at(
            Admin admin, List<TopicPartition> partitions, long ms, OffsetSpec none, Map<TopicPartition, Long> ends)
            throws Exception {
        Map<TopicPartition, Long> found =
                KafkaOffsets.offsets(admin, partitions, ms < 0 ? none : OffsetSpec.forTimestamp(ms), true);
        Map<TopicPartition, Long> out = new HashMap<>();
        partitions.forEach(tp -> {
            long o = found.get(tp);
            out.put(tp, o < 0 ? ends.get(tp) : Math.min(o, ends.get(tp)));
        });
        return out;
    }

    private static int print(
            String db,
            String group,
            List<String> topics,
            CommandLine cli,
            List<InputBalance.Line> lines,
            Map<String, List<Long>> deadLettersTwice) {
        System.out.printf(
                "inputs of %s (group %s) in %s, records written %s to %s:%n",
                topics, group, db, cli.get("from", "from the start"), cli.get("to", "now"));
        String format = "  %-32s %12s %12s %12s %10s %10s %9s %9s %9s %6s %6s%n";
        System.out.printf(
                format,
                "partition",
                "from",
                "to",
                "committed",
                "inputs",
                "stored",
                "dead",
                "again",
                "in flight",
                "lost",
                "twice");
        long[] sum = new long[7];
        for (InputBalance.Line l : lines) {
            InputBalance.Range r = l.range();
            System.out.printf(
                    format,
                    r.topic() + "-" + r.partition(),
                    r.from(),
                    r.to(),
                    r.committed(),
                    l.inputs(),
                    l.stored(),
                    l.deadLetters(),
                    l.duplicates(),
                    l.inFlight(),
                    l.lostCount(),
                    l.twiceCount());
            long[] v = {
                l.inputs(), l.stored(), l.deadLetters(), l.duplicates(), l.inFlight(), l.lostCount(), l.twiceCount()
            };
            for (int i = 0; i < v.length; i++) {
                sum[i] += v[i];
            }
        }
        System.out.printf(format, "all", "", "", "", sum[0], sum[1], sum[2], sum[3], sum[4], sum[5], sum[6]);
        boolean balanced = lines.stream().allMatch(InputBalance.Line::balanced) && deadLettersTwice.isEmpty();
        System.out.printf(
                "%s: %d inputs = %d stored + %d dead letters + %d delivered again (their event stored from another"
                        + " record) + %d in flight%n",
                balanced ? "balanced" : "NOT balanced", sum[0], sum[1], sum[2], sum[3], sum[4]);
        for (InputBalance.Line l : lines) {
            String tp = l.range().topic() + "-" + l.range().partition();
            if (l.lostCount() > 0) {
                System.out.printf(
                        "LOST in %s: %d record(s) below the committed offset neither stored nor dead letters (or their"
                                + " user erased by tools.Erase), at offsets %s%s%n",
                        tp, l.lostCount(), l.lost(), l.lostCount() > l.lost().size() ? " …" : "");
            }
            if (l.twiceCount() > 0) {
                System.out.printf(
                        "TWICE in %s: %d record(s) both stored and dead letters, at offsets %s%n",
                        tp, l.twiceCount(), l.twice());
            }
        }
        deadLettersTwice.forEach((tp, offsets) -> System.out.printf(
                "TWICE in %s: %d record(s) with more than one dead letter, at offsets %s%s%n",
                tp, offsets.size(), offsets.subList(0, Math.min(20, offsets.size())), offsets.size() > 20 ? " …" : ""));
        return balanced ? 0 : 1;
    }

    private static KafkaConsumer<byte[], byte[]> consumer(JobConfig config) {
        Properties p = new Properties();
        p.putAll(config.kafkaClientProperties());
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        // An aborted transaction's records were never inputs, and a dead letter counts once its transaction commits.
        p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        return new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer());
    }

    /**
     * The dead letters' source offsets per partition, and those with more than one; only offsets inside the ranges
     * balanced, so that memory follows the range, not the dead-letter topic's whole history.
     */
    private record DeadLetters(
            Map<TopicPartition, NavigableSet<Long>> offsets, Map<TopicPartition, NavigableSet<Long>> repeated) {}

    private static DeadLetters deadLetters(
            JobConfig config,
            KafkaConsumer<byte[], byte[]> consumer,
            Map<TopicPartition, Long> starts,
            Map<TopicPartition, Long> stops) {
        String topic = config.get(Options.DEAD_LETTER_TOPIC);
        Map<TopicPartition, NavigableSet<Long>> out = new HashMap<>();
        Map<TopicPartition, NavigableSet<Long>> repeated = new HashMap<>();
        List<TopicPartition> partitions = consumer.partitionsFor(topic, Duration.ofSeconds(30)).stream()
                .map(i -> new TopicPartition(topic, i.partition()))
                .collect(Collectors.toList());
        consumer.assign(partitions);
        consumer.seekToBeginning(partitions);
        Map<TopicPartition, Long> end = consumer.endOffsets(partitions);
        while (partitions.stream().anyMatch(tp -> consumer.position(tp) < end.get(tp))) {
            for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofSeconds(1))) {
                JsonNode n = parse(r.value());
                if (n == null
                        || !n.path("source_topic").isTextual()
                        || !n.path("source_offset").canConvertToLong()) {
                    continue; // not one of the job's dead letters
                }
                TopicPartition source = new TopicPartition(
                        n.get("source_topic").asText(),
                        n.path("source_partition").asInt());
                long offset = n.get("source_offset").asLong();
                if (!starts.containsKey(source) || offset < starts.get(source) || offset >= stops.get(source)) {
                    continue;
                }
                if (!out.computeIfAbsent(source, s -> new TreeSet<>()).add(offset)) {
                    repeated.computeIfAbsent(source, s -> new TreeSet<>()).add(offset);
                }
            }
        }
        return new DeadLetters(out, repeated);
    }

    private static JsonNode parse(byte[] value) {
        if (value == null) {
            return null;
        }
        try {
            JsonNode n = JSON.readTree(value);
            return n != null && n.isObject() ? n : null;
        } catch (java.io.IOException e) {
            return null;
        }
    }

    /** The source records, read committed: offset to the event id in their payload. */
    private record Records(KafkaConsumer<byte[], byte[]> consumer) implements InputBalance.Records {
        @Override
        public Map<Long, String> read(String topic, int partition, long from, long to) {
            Map<Long, String> out = new TreeMap<>();
            scan(topic, partition, from, to, r -> {
                JsonNode n = parse(r.value());
                out.put(
                        r.offset(),
                        n != null && n.path("event_id").isTextual()
                                ? n.get("event_id").asText()
                                : null);
            });
            return out;
        }

        // The range still in flight can be most of a topic: counted, not kept.
        @Override
        public long count(String topic, int partition, long from, long to) {
            long[] n = {0};
            scan(topic, partition, from, to, r -> n[0]++);
            return n[0];
        }

        private void scan(
                String topic, int partition, long from, long to, Consumer<ConsumerRecord<byte[], byte[]>> each) {
            TopicPartition tp = new TopicPartition(topic, partition);
            consumer.assign(List.of(tp));
            consumer.seek(tp, from);
            long position;
            long quietSince = System.currentTimeMillis();
            while ((position = consumer.position(tp)) < to) {
                if (System.currentTimeMillis() - quietSince > 120_000) {
                    throw new IllegalStateException(tp + ": no record read at offset " + position + " for 2 minutes"
                            + " (the range ends at " + to + "); is the broker reachable?");
                }
                ConsumerRecords<byte[], byte[]> polled = consumer.poll(Duration.ofSeconds(1));
                if (!polled.isEmpty() || consumer.position(tp) > position) {
                    quietSince = System.currentTimeMillis();
                }
                for (ConsumerRecord<byte[], byte[]> r : polled) {
                    if (r.offset() < to) {
                        each.accept(r);
                    }
                }
            }
        }
    }

    /** The events table, through its Distributed table: offsets by topic and partition, event ids. */
    private record StoredEvents(ClickHouseSql sql, String db) implements InputBalance.Stored {
        private String partition(String topic, int partition) {
            return "kafka_topic = " + ClickHouseSql.literal(topic) + " AND kafka_partition = " + partition;
        }

        @Override
        public Map<Long, Long> countsPerBucket(String topic, int partition, long from, long to, long bucket)
                throws Exception {
            Map<Long, Long> out = new HashMap<>();
            for (String[] f : TabSeparated.rows(sql.execute("SELECT intDiv(kafka_offset, " + bucket + ") AS b,"
                    + " uniqExact(kafka_offset) FROM " + db + ".events WHERE " + partition(topic, partition)
                    + " AND kafka_offset >= " + from + " AND kafka_offset < " + to
                    + " GROUP BY b FORMAT TabSeparated"))) {
                out.put(Long.parseLong(f[0]), Long.parseLong(f[1]));
            }
            return out;
        }

        @Override
        public Set<Long> storedOf(String topic, int partition, Collection<Long> offsets) throws Exception {
            Set<Long> out = new HashSet<>();
            List<Long> all = new ArrayList<>(offsets);
            for (int i = 0; i < all.size(); i += 10_000) {
                String list = all.subList(i, Math.min(all.size(), i + 10_000)).stream()
                        .map(String::valueOf)
                        .collect(Collectors.joining(","));
                for (String[] f : TabSeparated.rows(sql.execute("SELECT DISTINCT kafka_offset FROM " + db + ".events"
                        + " WHERE " + partition(topic, partition) + " AND kafka_offset IN (" + list + ")"
                        + " FORMAT TabSeparated"))) {
                    out.add(Long.parseLong(f[0]));
                }
            }
            return out;
        }

        @Override
        public Set<Long> offsets(String topic, int partition, long from, long to) throws Exception {
            Set<Long> out = new HashSet<>();
            for (String[] f : TabSeparated.rows(sql.execute("SELECT DISTINCT kafka_offset FROM " + db + ".events WHERE "
                    + partition(topic, partition) + " AND kafka_offset >= " + from + " AND kafka_offset < " + to
                    + " FORMAT TabSeparated"))) {
                out.add(Long.parseLong(f[0]));
            }
            return out;
        }

        @Override
        public Set<String> storedEventIds(Collection<String> eventIds) throws Exception {
            Set<String> out = new HashSet<>();
            List<String> all = new ArrayList<>(eventIds);
            // In chunks that keep the statement under ClickHouse's max_query_size (256 KiB).
            for (int i = 0; i < all.size(); i += 2_000) {
                String list = all.subList(i, Math.min(all.size(), i + 2_000)).stream()
                        .map(ClickHouseSql::literal)
                        .collect(Collectors.joining(","));
                for (String[] f : TabSeparated.rows(sql.execute("SELECT DISTINCT event_id FROM " + db + ".events"
                        + " WHERE event_id IN (" + list + ") FORMAT TabSeparated"))) {
                    out.add(f[0]);
                }
            }
            return out;
        }
    }
}
