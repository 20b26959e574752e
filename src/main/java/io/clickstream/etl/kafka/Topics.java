package io.clickstream.etl.kafka;

import io.clickstream.etl.config.JobConfig;
import io.clickstream.etl.config.Options;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;

/**
 * Creating topics so that they can be written to at once, replicated as the brokers are set up to (their
 * default.replication.factor, and min.insync.replicas from their defaults too) or as kafka.topic-replication-factor
 * says: history imported into a topic of one replica is lost with one broker.
 */
public final class Topics {
    private final Optional<Short> replication;

    private Topics(Optional<Short> replication) {
        this.replication = replication;
    }

    /** As the job's settings say (kafka.topic-replication-factor; unset: the brokers' default). */
    public static Topics of(JobConfig config) {
        Integer r = config.get(Options.KAFKA_TOPIC_REPLICATION);
        return new Topics(r == null ? Optional.empty() : Optional.of(r.shortValue()));
    }

    /**
     * kafka.topics, and backfill.topic when it is set: the topics the job reads. Here rather than in KafkaSources, so
     * that the tools, which run without Flink on the classpath, can ask too.
     */
    public static List<String> readByTheJob(JobConfig config) {
        List<String> topics = new java.util.ArrayList<>(config.get(Options.KAFKA_TOPICS));
        String backfill = config.get(Options.BACKFILL_TOPIC);
        if (backfill != null && !backfill.isBlank() && !topics.contains(backfill)) {
            topics.add(backfill);
        }
        return topics;
    }

    /** With the brokers' default replication. */
    public static Topics brokerDefaults() {
        return new Topics(Optional.empty());
    }

    /** The request for a topic: the partitions given, replication as set (empty: the brokers' default). */
    NewTopic request(String name, int partitions) {
        return new NewTopic(name, Optional.of(partitions), replication);
    }

    /** The request for a compacted topic of one partition. */
    NewTopic compactedRequest(String name) {
        return request(name, 1).configs(Map.of("cleanup.policy", "compact"));
    }

    /** Creates those of {@code topics} that do not exist; returns them. */
    public List<String> createMissing(Admin admin, List<String> topics, int partitions) throws Exception {
        Set<String> existing = admin.listTopics().names().get(30, TimeUnit.SECONDS);
        List<NewTopic> missing = new ArrayList<>();
        for (String t : new LinkedHashSet<>(topics)) {
            if (!existing.contains(t)) {
                missing.add(request(t, partitions));
            }
        }
        List<String> names = missing.stream().map(NewTopic::name).toList();
        if (!missing.isEmpty()) {
            admin.createTopics(missing).all().get(30, TimeUnit.SECONDS);
            awaitLeaders(admin, names);
        }
        return names;
    }

    /**
     * Creates {@code topic} compacted with one partition if it is missing: a log of the latest value per key (funnel
     * definitions, import progress) in the order written.
     */
    public void createCompacted(Admin admin, String topic) throws Exception {
        Set<String> existing = admin.listTopics().names().get(30, TimeUnit.SECONDS);
        if (existing.contains(topic)) {
            return;
        }
        NewTopic t = compactedRequest(topic);
        try {
            admin.createTopics(List.of(t)).all().get(30, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            // another client (a second job, a tool) created it meanwhile
            if (!(e.getCause() instanceof org.apache.kafka.common.errors.TopicExistsException)) {
                throw e;
            }
        }
        awaitLeaders(admin, List.of(topic));
    }

    /**
     * Waits until the broker serves every partition of {@code topics}. Producing at once to a just-created topic
     * can lose records even with an idempotent producer (KAFKA-15591: a first request refused as NOT_LEADER, a
     * later one accepted, and the first one's retries then rejected as out of order until they expire).
     */
    public static void awaitLeaders(Admin admin, List<String> topics) throws Exception {
        long deadline = System.currentTimeMillis() + 30_000;
        while (!haveLeaders(admin, topics)) {
            if (System.currentTimeMillis() > deadline) {
                throw new IllegalStateException("topics " + topics + " have no partition leaders after 30 s");
            }
            Thread.sleep(200);
        }
        // The broker answers describeTopics from its metadata cache a moment before its partitions take writes.
        Thread.sleep(500);
    }

    private static boolean haveLeaders(Admin admin, List<String> topics) throws Exception {
        try {
            return admin.describeTopics(topics).allTopicNames().get(30, TimeUnit.SECONDS).values().stream()
                    .allMatch(d -> d.partitions().stream()
                            .allMatch(p -> p.leader() != null && !p.leader().isEmpty()));
        } catch (ExecutionException e) {
            if (e.getCause() instanceof UnknownTopicOrPartitionException) {
                return false; // just created: the broker's metadata does not show it yet
            }
            throw e;
        }
    }
}
