package io.clickstream.etl.tools;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;
import io.clickstream.etl.config.JobConfig;
import io.clickstream.etl.config.Options;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Collectors;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * Summarises the dead-letter topic: how many inputs were rejected, per reason, with an example detail each.
 * Reads the whole topic without joining a group (nothing is committed).
 *
 * <pre>java -cp clickstream-etl.jar io.clickstream.etl.tools.DeadLetterReport --config flink-conf/clickstream.yaml</pre>
 */
public final class DeadLetterReport {
    private static final String USAGE =
            "usage: DeadLetterReport [--config FILE] [--set key=value]... [--since-offsets FILE]\n"
                    + "  Counts the records of kafka.dead-letter-topic per reason.";
    private static final JsonMapper JSON = new JsonMapper();

    private DeadLetterReport() {}

    public static void main(String[] args) {
        CommandLine.run(args, DeadLetterReport::run);
    }

    static void run(String[] args) throws Exception {
        JobConfig config = new CommandLine(args, Set.of(), Set.of(), USAGE).config();
        String topic = config.get(Options.DEAD_LETTER_TOPIC);
        Counts counts = count(config, Long.MIN_VALUE, Long.MAX_VALUE);
        System.out.printf("dead-letter topic %s: %d rejected inputs%n", topic, counts.total);
        counts.perReason.forEach(
                (reason, n) -> System.out.printf("  %-24s %8d   e.g. %s%n", reason, n, counts.examples.get(reason)));
    }

    /** The dead letters of the topic whose record time is in [fromMs, toMs), per reason. */
    static Counts count(JobConfig config, long fromMs, long toMs) throws Exception {
        String topic = config.get(Options.DEAD_LETTER_TOPIC);
        Properties p = new Properties();
        p.putAll(config.kafkaClientProperties());
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        // The job writes dead letters in transactions: an aborted one (a restart) holds letters written again later.
        p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        Counts counts = new Counts();
        try (KafkaConsumer<byte[], byte[]> consumer =
                new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            List<TopicPartition> partitions = consumer.partitionsFor(topic, Duration.ofSeconds(30)).stream()
                    .map(i -> new TopicPartition(topic, i.partition()))
                    .collect(Collectors.toList());
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            if (fromMs > 0) {
                Map<TopicPartition, Long> at = new java.util.HashMap<>();
                partitions.forEach(tp -> at.put(tp, fromMs));
                consumer.offsetsForTimes(at).forEach((tp, o) -> {
                    if (o != null) {
                        consumer.seek(tp, o.offset());
                    } else {
                        consumer.seekToEnd(List.of(tp));
                    }
                });
            }
            Map<TopicPartition, Long> end = consumer.endOffsets(partitions);
            while (partitions.stream().anyMatch(tp -> consumer.position(tp) < end.get(tp))) {
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofSeconds(1))) {
                    if (r.timestamp() >= fromMs && r.timestamp() < toMs) {
                        counts.add(r.value());
                    }
                }
            }
        }
        return counts;
    }

    /**
     * Records counted per reason. Anyone can write to the topic, so a record that is not a dead letter of this job
     * (not JSON, no reason, a tombstone) is counted under a name of its own instead of ending the report.
     */
    static final class Counts {
        static final String NOT_JSON = "(not JSON)";
        static final String NO_REASON = "(no reason)";
        static final String EMPTY = "(empty record)";

        final Map<String, Long> perReason = new TreeMap<>();
        final Map<String, String> examples = new LinkedHashMap<>();
        long total;

        void add(byte[] value) {
            String reason;
            String example = "";
            if (value == null || value.length == 0) {
                reason = EMPTY;
            } else {
                JsonNode n;
                try {
                    n = JSON.readTree(value);
                } catch (java.io.IOException e) {
                    n = null;
                }
                if (n == null || !n.isObject()) {
                    reason = NOT_JSON;
                    example = new String(value, 0, Math.min(value.length, 80), StandardCharsets.UTF_8);
                } else {
                    reason = n.path("reason").isTextual() ? n.get("reason").asText() : NO_REASON;
                    example = n.path("detail").asText("");
                }
            }
            perReason.merge(reason, 1L, Long::sum);
            examples.putIfAbsent(reason, example);
            total++;
        }
    }
}
