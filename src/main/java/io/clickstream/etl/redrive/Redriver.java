package io.clickstream.etl.redrive;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.clickstream.etl.deadletter.Ranges;
import io.clickstream.etl.event.DeadLetter;
import io.clickstream.etl.kafka.DeadLetterSerializer;
import io.clickstream.etl.redrive.DeadLetterFix.Kind;
import io.clickstream.etl.redrive.DeadLetterFix.Outcome;
import io.clickstream.etl.redrive.DeadLetterFix.StoredDeadLetter;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * Sends selected dead letters through the job again, fixed by the rules, each at most once. It reads the dead-letter
 * topic (committed records, up to its end when the run starts) and, in Kafka transactions of {@code batch} dead
 * letters, writes each fixed payload to a topic the job reads and each one that still fails as a new dead letter
 * naming the one it came from — together with the progress: per dead-letter partition (of the topic by its id), the
 * offsets re-driven, in the compacted topic {@code <target>-redrives}. A transaction commits the records and the progress or neither, so a run
 * stopped half-way leaves nothing half-done, and a run again (with the same or other rules) leaves out what was
 * re-driven. One transactional id per target topic: a second run started meanwhile fences the first, and the progress
 * is read only after that.
 */
public final class Redriver implements AutoCloseable {
    private static final JsonMapper JSON = new JsonMapper();

    /** Which dead letters: by reason, where the input was read, its record time and offsets (empty: any). */
    public record Selection(
            Set<String> reasons,
            Set<String> sourceTopics,
            long fromMs,
            long toMs,
            Integer sourcePartition,
            long fromOffset,
            long toOffset) {
        public static Selection all() {
            return new Selection(Set.of(), Set.of(), Long.MIN_VALUE, Long.MAX_VALUE, null, 0, Long.MAX_VALUE);
        }

        boolean matches(StoredDeadLetter d) {
            return (reasons.isEmpty() || reasons.contains(d.reason()))
                    && (sourceTopics.isEmpty() || sourceTopics.contains(d.originTopic()))
                    && d.sourceTimestamp() >= fromMs
                    && d.sourceTimestamp() < toMs
                    && (sourcePartition == null
                            || (d.redrivenFrom() == null
                                    && d.sourcePartition() == sourcePartition
                                    && d.sourceOffset() >= fromOffset
                                    && d.sourceOffset() <= toOffset));
        }
    }

    /** Told of each dead letter re-driven and of each committed transaction (tests stop a run half-way with it). */
    public interface Listener {
        default void sent(long redrivenSoFar) {}

        default void committed(long redrivenSoFar) {}
    }

    /** What a run found and did. */
    public static final class Report {
        public long read;
        public long notDeadLetters;
        public long notSelected;
        public long alreadyRedriven;
        public final Map<Kind, Long> byKind = new EnumMap<>(Kind.class);
        /** Still failing after the rules, per reason (written again, or left when already a re-drive's). */
        public final Map<String, Long> stillFailing = new TreeMap<>();

        public final Map<String, Long> notRedrivable = new TreeMap<>();
        /** Rule number → dead letters it changed. */
        public final Map<Integer, Long> byRule = new TreeMap<>();

        public final List<Sample> samples = new ArrayList<>();

        public long count(Kind k) {
            return byKind.getOrDefault(k, 0L);
        }

        public long selected() {
            return alreadyRedriven
                    + byKind.values().stream().mapToLong(Long::longValue).sum();
        }

        void add(Outcome o, StoredDeadLetter d, int maxSamples) {
            byKind.merge(o.kind(), 1L, Long::sum);
            o.rules().forEach(r -> byRule.merge(r, 1L, Long::sum));
            switch (o.kind()) {
                case NOT_REDRIVABLE -> notRedrivable.merge(o.why(), 1L, Long::sum);
                case STILL_FAILING, STILL_FAILING_AGAIN -> stillFailing.merge(o.why(), 1L, Long::sum);
                default -> {}
            }
            if ((o.kind() == Kind.FIXED || o.kind() == Kind.STILL_FAILING)
                    && samples.stream()
                                    .filter(s -> s.outcome.kind() == o.kind())
                                    .count()
                            < maxSamples) {
                samples.add(new Sample(d.reason(), d.partition(), d.offset(), o));
            }
        }
    }

    public record Sample(String reason, int partition, long offset, Outcome outcome) {}

    private final Map<String, String> kafka;
    private final String deadLetterTopic;
    private final String targetTopic;
    private final String progressTopic;
    private final DeadLetterFix fix;
    private final KafkaProducer<byte[], byte[]> producer;
    private final Map<Integer, Ranges> progress;
    /** The progress is the dead-letter topic's by its id: a topic deleted and created again starts afresh. */
    private final String deadLetterTopicId;

    /** {@code dryRun}: no producer and no transaction; the progress is read all the same. */
    public Redriver(
            Map<String, String> kafka, String deadLetterTopic, String targetTopic, DeadLetterFix fix, boolean dryRun) {
        this.kafka = kafka;
        this.deadLetterTopic = deadLetterTopic;
        this.targetTopic = targetTopic;
        this.progressTopic = progressTopic(targetTopic);
        this.fix = fix;
        this.deadLetterTopicId = topicId(kafka, deadLetterTopic);
        if (dryRun) {
            producer = null;
        } else {
            Properties p = new Properties();
            p.putAll(kafka);
            p.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, targetTopic + "-redrive");
            p.put(ProducerConfig.ACKS_CONFIG, "all");
            p.put(ProducerConfig.LINGER_MS_CONFIG, "20");
            producer = new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer());
            producer.initTransactions(); // fences an earlier run before its progress is read
        }
        progress = readProgress();
    }

    /** Where the progress of re-drives into {@code targetTopic} is kept. */
    public static String progressTopic(String targetTopic) {
        return targetTopic + "-redrives";
    }

    public Report run(Selection selection, int batch, int maxSamples, Listener listener) {
        Report report = new Report();
        Map<Integer, Ranges> pending = new HashMap<>();
        long redrivenInRun = 0;
        int inTransaction = 0;
        int deadLetterPartitions = 0;
        try (KafkaConsumer<byte[], byte[]> consumer = committedReader()) {
            List<TopicPartition> parts = new ArrayList<>();
            consumer.partitionsFor(deadLetterTopic, Duration.ofSeconds(30))
                    .forEach(i -> parts.add(new TopicPartition(deadLetterTopic, i.partition())));
            deadLetterPartitions = parts.size();
            consumer.assign(parts);
            consumer.seekToBeginning(parts);
            // Up to the end as it is now: the dead letters this run writes are for a later run.
            Map<TopicPartition, Long> end = consumer.endOffsets(parts);
            if (producer != null) {
                producer.beginTransaction();
            }
            while (parts.stream().anyMatch(tp -> consumer.position(tp) < end.get(tp))) {
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(500))) {
                    if (r.offset() >= end.get(new TopicPartition(r.topic(), r.partition()))) {
                        continue;
                    }
                    report.read++;
                    StoredDeadLetter d = StoredDeadLetter.read(r.partition(), r.offset(), r.key(), r.value());
                    if (d == null) {
                        report.notDeadLetters++;
                        continue;
                    }
                    if (!selection.matches(d)) {
                        report.notSelected++;
                        continue;
                    }
                    if (progress.getOrDefault(d.partition(), Ranges.NONE).contains(d.offset())) {
                        report.alreadyRedriven++;
                        continue;
                    }
                    Outcome o = fix.apply(d);
                    report.add(o, d, maxSamples);
                    if (o.kind() != Kind.FIXED && o.kind() != Kind.STILL_FAILING) {
                        continue;
                    }
                    if (producer != null) {
                        producer.send(o.kind() == Kind.FIXED ? fixed(d, o) : failedAgain(d, o, deadLetterPartitions));
                    }
                    pending.merge(d.partition(), Ranges.of(d.offset(), d.offset()), Ranges::union);
                    inTransaction++;
                    redrivenInRun++;
                    if (listener != null) {
                        listener.sent(redrivenInRun);
                    }
                    if (inTransaction >= batch) {
                        commit(pending, listener, redrivenInRun, true);
                        inTransaction = 0;
                    }
                }
            }
            commit(pending, listener, redrivenInRun, false);
        }
        return report;
    }

    private void commit(Map<Integer, Ranges> pending, Listener listener, long redrivenSoFar, boolean more) {
        if (producer == null) {
            pending.forEach((p, r) -> progress.merge(p, r, Ranges::union));
            pending.clear();
            return;
        }
        for (Map.Entry<Integer, Ranges> e : pending.entrySet()) {
            Ranges all = progress.getOrDefault(e.getKey(), Ranges.NONE).union(e.getValue());
            ObjectNode n = JSON.createObjectNode()
                    .put("dead_letter_topic", deadLetterTopic)
                    .put("dead_letter_topic_id", deadLetterTopicId)
                    .put("partition", e.getKey())
                    .put("redriven", all.toString())
                    .put("at", System.currentTimeMillis());
            producer.send(new ProducerRecord<>(
                    progressTopic,
                    (deadLetterTopicId + "/" + e.getKey()).getBytes(StandardCharsets.UTF_8),
                    n.toString().getBytes(StandardCharsets.UTF_8)));
        }
        producer.commitTransaction();
        pending.forEach((p, r) -> progress.merge(p, r, Ranges::union));
        boolean any = !pending.isEmpty();
        pending.clear();
        if (any && listener != null) {
            listener.committed(redrivenSoFar);
        }
        if (more) {
            producer.beginTransaction();
        }
    }

    /** The fixed event, keyed by its user, at the input's record time (validation bounds are checked against it). */
    private ProducerRecord<byte[], byte[]> fixed(StoredDeadLetter d, Outcome o) {
        RecordHeaders headers = new RecordHeaders();
        headers.add("redriven_from", d.origin().getBytes(StandardCharsets.UTF_8));
        headers.add(
                "dead_letter",
                (deadLetterTopic + "/" + d.partition() + "@" + d.offset()).getBytes(StandardCharsets.UTF_8));
        return new ProducerRecord<>(targetTopic, null, timestamp(d), o.key(), o.after(), headers);
    }

    /**
     * A dead letter for a fixed payload that still fails. Its source position is the dead letter's (topic
     * {@code redrive:<dead-letter topic>}), not the input's: the input has its dead letter already, and a second one
     * at its position would count it twice.
     */
    private ProducerRecord<byte[], byte[]> failedAgain(StoredDeadLetter d, Outcome o, int partitions) {
        DeadLetter again = new DeadLetter();
        again.reason = o.why();
        again.detail = o.detail() + " (after re-drive rules " + o.rules() + ")";
        again.topic = "redrive:" + deadLetterTopic;
        again.partition = d.partition();
        again.offset = d.offset();
        again.timestamp = d.sourceTimestamp();
        again.key = o.key();
        again.payload = o.after();
        ProducerRecord<byte[], byte[]> r = DeadLetterSerializer.record(deadLetterTopic, again, () -> partitions);
        ObjectNode json;
        try {
            json = (ObjectNode) JSON.readTree(r.value());
        } catch (java.io.IOException e) {
            throw new IllegalStateException("cannot read a dead letter just written", e);
        }
        String[] origin = originParts(d);
        json.putObject(DeadLetterFix.REDRIVEN_FROM)
                .put("dead_letter_topic", deadLetterTopic)
                .put("dead_letter_partition", d.partition())
                .put("dead_letter_offset", d.offset())
                .put("source_topic", origin[0])
                .put("source_partition", Integer.parseInt(origin[1]))
                .put("source_offset", Long.parseLong(origin[2]));
        return new ProducerRecord<>(
                r.topic(),
                r.partition(),
                r.timestamp(),
                r.key(),
                json.toString().getBytes(StandardCharsets.UTF_8));
    }

    private static String topicId(Map<String, String> kafka, String topic) {
        Properties p = new Properties();
        p.putAll(kafka);
        try (Admin admin = Admin.create(p)) {
            return admin.describeTopics(List.of(topic))
                    .allTopicNames()
                    .get(60, TimeUnit.SECONDS)
                    .get(topic)
                    .topicId()
                    .toString();
        } catch (Exception e) {
            throw new IllegalStateException(
                    "cannot describe the dead-letter topic " + topic + ": " + e.getMessage(), e);
        }
    }

    private static String[] originParts(StoredDeadLetter d) {
        String o = d.origin();
        int at = o.lastIndexOf('@');
        int slash = o.lastIndexOf('/', at);
        return new String[] {o.substring(0, slash), o.substring(slash + 1, at), o.substring(at + 1)};
    }

    private static Long timestamp(StoredDeadLetter d) {
        return d.sourceTimestamp() > 0 ? d.sourceTimestamp() : null;
    }

    private KafkaConsumer<byte[], byte[]> committedReader() {
        Properties p = new Properties();
        p.putAll(kafka);
        p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        p.remove(ConsumerConfig.GROUP_ID_CONFIG);
        p.put(ConsumerConfig.ALLOW_AUTO_CREATE_TOPICS_CONFIG, "false"); // the progress topic must be compacted
        return new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer());
    }

    /** The offsets re-driven so far, per dead-letter partition (the last record per key of the compacted topic). */
    private Map<Integer, Ranges> readProgress() {
        Map<Integer, Ranges> out = new HashMap<>();
        try (KafkaConsumer<byte[], byte[]> consumer = committedReader()) {
            List<TopicPartition> parts = new ArrayList<>();
            consumer.partitionsFor(progressTopic, Duration.ofSeconds(30))
                    .forEach(i -> parts.add(new TopicPartition(progressTopic, i.partition())));
            if (parts.isEmpty()) {
                return out; // no re-drive yet (a dry run does not create the topic)
            }
            consumer.assign(parts);
            consumer.seekToBeginning(parts);
            Map<TopicPartition, Long> end = consumer.endOffsets(parts);
            while (parts.stream().anyMatch(tp -> consumer.position(tp) < end.get(tp))) {
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(500))) {
                    if (r.value() == null) {
                        continue;
                    }
                    JsonNode n;
                    try {
                        n = JSON.readTree(r.value());
                    } catch (java.io.IOException e) {
                        n = null;
                    }
                    if (n == null
                            || !n.path("redriven").isTextual()
                            || !n.path("partition").canConvertToInt()) {
                        throw new IllegalStateException("a record of " + progressTopic + " at " + r.partition() + "@"
                                + r.offset() + " is not re-drive progress (written by another program?): the"
                                + " re-drive would not know what it did; remove it or use another target topic");
                    }
                    if (deadLetterTopicId.equals(n.path("dead_letter_topic_id").asText())) {
                        out.put(
                                n.get("partition").asInt(),
                                Ranges.parse(n.get("redriven").asText()));
                    }
                }
            }
        }
        return out;
    }

    @Override
    public void close() {
        if (producer != null) {
            producer.close(Duration.ofSeconds(30));
        }
    }
}
