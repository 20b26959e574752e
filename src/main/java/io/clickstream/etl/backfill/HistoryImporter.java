package io.clickstream.etl.backfill;

import io.clickstream.etl.event.DeadLetter;
import io.clickstream.etl.event.RejectReason;
import io.clickstream.etl.kafka.DeadLetterSerializer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * Imports files into the backfill topic exactly once. Records go in Kafka transactions of {@code batch} records,
 * each with the file's progress (records consumed so far) in the progress topic: a transaction commits both or
 * neither. So a file imported before is recognised by its SHA-256 and left out, and an import stopped half-way
 * continues after the last committed record. One transactional id per backfill topic: a second import started
 * meanwhile fences the first (which then stops with Kafka's ProducerFencedException), and the progress is read only
 * after that, so no two imports send the same records.
 */
public final class HistoryImporter implements AutoCloseable {
    /** What an import of one file did. */
    public enum Outcome {
        IMPORTED,
        RESUMED,
        ALREADY_IMPORTED
    }

    public record Result(Path file, Outcome outcome, long events, long records, ImportProgress earlier) {}

    /** Told of the progress (bytes of the file read, events sent) and of every committed transaction. */
    public interface Listener {
        void reading(Path file, long bytesRead, long bytes, long events);

        default void committed(ImportProgress progress) {}
    }

    /** Events between two reports to the listener inside a transaction (besides one after each commit). */
    private static final int PROGRESS_EVERY = 100;

    private final KafkaProducer<byte[], byte[]> producer;
    private final String topic;
    private final String deadLetterTopic;
    /** The largest record the backfill topic takes (its max.message.bytes, the producer's max.request.size). */
    private final long maxRecordBytes;

    private int deadLetterPartitions;
    private final String progressTopic;
    private final int batch;
    private final Listener listener;
    private final Map<String, ImportProgress> progress;

    /**
     * {@code deadLetterTopic}: where records the backfill topic cannot take (larger than {@code maxRecordBytes}) go as
     * dead letters, in the same transaction.
     */
    public HistoryImporter(
            Map<String, String> kafka,
            String topic,
            String progressTopic,
            String deadLetterTopic,
            long maxRecordBytes,
            int batch,
            Listener listener) {
        this.topic = topic;
        this.deadLetterTopic = deadLetterTopic;
        this.maxRecordBytes = maxRecordBytes;
        this.progressTopic = progressTopic;
        this.batch = batch;
        this.listener = listener;
        Properties p = new Properties();
        p.putAll(kafka);
        p.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, topic + "-import");
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.LINGER_MS_CONFIG, "20");
        p.put(ProducerConfig.BATCH_SIZE_CONFIG, "262144");
        p.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4");
        producer = new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer());
        producer.initTransactions();
        progress = readProgress(kafka, progressTopic);
    }

    /** What the progress topic says of a file (by its SHA-256), or null. */
    public ImportProgress progressOf(String sha256) {
        return progress.get(sha256);
    }

    public Result importFile(Path file, String source) throws Exception {
        String sha = HistoryFile.sha256(file);
        long bytes = Files.size(file);
        ImportProgress earlier = progress.get(sha);
        if (earlier != null && earlier.done()) {
            return new Result(file, Outcome.ALREADY_IMPORTED, 0, earlier.records(), earlier);
        }
        ImportProgress at = earlier != null
                ? earlier
                : ImportProgress.start(sha, file.getFileName().toString(), bytes);
        long skip = at.records();
        long sent = 0;
        try (HistoryFile in = new HistoryFile(file)) {
            long read = 0;
            long inBatch = 0;
            long recordsInBatch = 0;
            long eventsInBatch = 0;
            producer.beginTransaction();
            for (byte[] record = in.next(); record != null; record = in.next()) {
                read++;
                if (read <= skip) {
                    continue;
                }
                recordsInBatch++;
                if (!blank(record)) {
                    HistoryFile.Converted c = HistoryFile.convert(record, source);
                    int size = c.value().length + (c.key() == null ? 0 : c.key().length) + RECORD_OVERHEAD;
                    if (size > maxRecordBytes) {
                        producer.send(deadLetter(file, read, c, size));
                        deadLetters++;
                    } else {
                        producer.send(new ProducerRecord<>(topic, c.key(), c.value()));
                    }
                    eventsInBatch++;
                    inBatch++;
                    if (eventsInBatch % PROGRESS_EVERY == 0) {
                        listener.reading(file, in.bytesRead(), bytes, at.events() + eventsInBatch);
                    }
                }
                if (inBatch >= batch) {
                    at = commit(at, recordsInBatch, eventsInBatch, false);
                    sent += eventsInBatch;
                    recordsInBatch = 0;
                    eventsInBatch = 0;
                    inBatch = 0;
                    listener.reading(file, in.bytesRead(), bytes, at.events());
                    producer.beginTransaction();
                }
            }
            at = commit(at, recordsInBatch, eventsInBatch, true);
            sent += eventsInBatch;
            listener.reading(file, bytes, bytes, at.events());
        }
        return new Result(file, earlier == null ? Outcome.IMPORTED : Outcome.RESUMED, sent, at.records(), earlier);
    }

    /** Dead letters sent for records the backfill topic could not take, by this importer. */
    public long deadLetters() {
        return deadLetters;
    }

    private long deadLetters;
    /** What Kafka adds to a record's key and value (headers, lengths, offsets) at most, for the size check. */
    static final int RECORD_OVERHEAD = 128;

    private static boolean blank(byte[] record) {
        for (byte b : record) {
            if (b != ' ' && b != '\t' && b != '\r') {
                return false;
            }
        }
        return true;
    }

    /** A record the backfill topic cannot take, as a dead letter with where it was in the file. */
    private ProducerRecord<byte[], byte[]> deadLetter(Path file, long record, HistoryFile.Converted c, int size) {
        DeadLetter d = new DeadLetter();
        d.reason = RejectReason.OVERSIZE.code();
        d.detail = "record " + record + " of " + file.getFileName() + " is " + size
                + " bytes, more than the backfill topic takes (" + maxRecordBytes
                + " bytes: its max.message.bytes or the producer's max.request.size)";
        d.topic = "file:" + file.getFileName();
        d.partition = 0;
        d.offset = record;
        d.timestamp = System.currentTimeMillis();
        d.key = c.key();
        d.payload = c.value();
        return DeadLetterSerializer.record(deadLetterTopic, d, () -> {
            if (deadLetterPartitions == 0) {
                deadLetterPartitions = producer.partitionsFor(deadLetterTopic).size();
            }
            return deadLetterPartitions;
        });
    }

    private ImportProgress commit(ImportProgress at, long records, long events, boolean done) {
        ImportProgress next = at.advanced(records, events, done, System.currentTimeMillis());
        producer.send(new ProducerRecord<>(
                progressTopic, next.sha256().getBytes(java.nio.charset.StandardCharsets.UTF_8), next.toJson()));
        producer.commitTransaction();
        progress.put(next.sha256(), next);
        listener.committed(next);
        return next;
    }

    /** The last committed progress of every file, read to the end of the topic. */
    public static Map<String, ImportProgress> readProgress(Map<String, String> kafka, String topic) {
        Properties p = new Properties();
        p.putAll(kafka);
        p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        Map<String, ImportProgress> out = new HashMap<>();
        try (KafkaConsumer<byte[], byte[]> consumer =
                new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            List<TopicPartition> parts = new ArrayList<>();
            consumer.partitionsFor(topic, Duration.ofSeconds(30))
                    .forEach(i -> parts.add(new TopicPartition(topic, i.partition())));
            consumer.assign(parts);
            consumer.seekToBeginning(parts);
            Map<TopicPartition, Long> end = consumer.endOffsets(parts);
            while (parts.stream().anyMatch(tp -> consumer.position(tp) < end.get(tp))) {
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(500))) {
                    if (r.value() != null) {
                        ImportProgress ip = ImportProgress.fromJson(r.value());
                        out.put(ip.sha256(), ip);
                    }
                }
            }
        }
        return out;
    }

    @Override
    public void close() {
        producer.close(Duration.ofSeconds(30));
    }
}
