package io.clickstream.etl.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.clickstream.etl.config.JobConfig;
import io.clickstream.etl.config.Options;
import io.clickstream.etl.testing.MalformedInputs;
import io.clickstream.etl.testing.TestStack;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * tools.Balance over a real run: valid events, malformed ones, an event sent twice and an aborted transaction in two
 * partitions, read by the job, then records the job has not read, then a dead letter written twice, then a stored row
 * deleted. Each record is counted where it ended, the aborted records and the transaction markers are no inputs, the
 * second dead letter and the deleted row's record are named with their offsets.
 */
class BalanceITCase {
    @RegisterExtension
    static final MiniClusterExtension FLINK = new MiniClusterExtension(new MiniClusterResourceConfiguration.Builder()
            .setNumberTaskManagers(1)
            .setNumberSlotsPerTaskManager(2)
            .build());

    private static TestStack.BalanceRun balance(JobConfig config) throws Exception {
        return TestStack.balance(config, 50);
    }

    /** Records written in a transaction that is then aborted: never inputs, and their markers hold no record. */
    private static void abortedTransaction(String topic) {
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, TestStack.kafkaBootstrap());
        p.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, TestStack.unique("aborted"));
        try (KafkaProducer<byte[], byte[]> producer =
                new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer())) {
            producer.initTransactions();
            producer.beginTransaction();
            for (int i = 0; i < 6; i++) {
                producer.send(new ProducerRecord<>(
                        topic,
                        i % 2,
                        null,
                        ("{\"event_id\":\"aborted" + i + "\",\"user_id\":\"bu1\",\"event_type\":\"click\"}")
                                .getBytes(StandardCharsets.UTF_8)));
            }
            producer.flush();
            producer.abortTransaction();
        }
    }

    @Test
    void everyInputIsStoredDeadLetteredDeliveredAgainOrInFlightAndALostOneIsNamed() throws Exception {
        TestStack.requireRunning();
        TestStack.Streaming setup = TestStack.streaming("balance", Map.of());
        String topic = setup.topic();
        String node = TestStack.clickHouseUrls().get(0);
        String db = setup.database();
        long t0 = System.currentTimeMillis() - 600_000;
        List<ProducerRecord<byte[], byte[]>> valid = TestStack.pageViews(topic, "b", "bu", 20, 0, 300, t0);
        List<ProducerRecord<byte[], byte[]>> records = new ArrayList<>(valid.subList(0, 150));
        List<MalformedInputs.Malformed> malformed = MalformedInputs.all("bad-", System.currentTimeMillis(), false);
        for (int i = 0; i < malformed.size(); i++) {
            records.add(new ProducerRecord<>(
                    topic,
                    ("bad" + i).getBytes(StandardCharsets.UTF_8),
                    malformed.get(i).payload()));
        }
        records.addAll(valid.subList(150, 300));
        records.add(valid.get(10)); // sent again: the job stores the event once
        TestStack.produce(records);
        abortedTransaction(topic);

        JobClient job = TestStack.jobWithoutRestarts(setup.config(), 500).executeAsync("BalanceITCase");
        TestStack.BalanceRun done;
        try {
            TestStack.await(
                    "every input accounted for and committed",
                    Duration.ofSeconds(120),
                    TestStack.unchecked(() -> balance(setup.config()).printed().contains(" + 0 in flight")
                            && balance(setup.config()).code() == 0));
        } finally {
            job.cancel().get(60, TimeUnit.SECONDS);
        }
        done = balance(setup.config());
        int inputs = 300 + malformed.size() + 1;
        assertThat(done.code()).as(done.printed()).isZero();
        assertThat(done.printed())
                .contains("balanced: " + inputs + " inputs = 300 stored + " + malformed.size()
                        + " dead letters + 1 delivered again (their event stored from another record) + 0 in flight");

        // Records the stopped job has not read: in flight, still balanced.
        TestStack.produce(TestStack.pageViews(topic, "later", "bu", 20, 0, 40, t0 + 200_000));
        TestStack.BalanceRun later = balance(setup.config());
        assertThat(later.code()).as(later.printed()).isZero();
        assertThat(later.printed())
                .contains("balanced: " + (inputs + 40) + " inputs = 300 stored + " + malformed.size()
                        + " dead letters + 1 delivered again (their event stored from another record) + 40 in flight");

        // A second dead letter for an input (another job writing to the same topic would give one): twice.
        String deadTopic = setup.config().get(Options.DEAD_LETTER_TOPIC);
        org.apache.kafka.clients.consumer.ConsumerRecord<byte[], byte[]> letter =
                TestStack.consume(deadTopic, 1, Duration.ofSeconds(30)).get(0);
        TestStack.produce(List.of(new ProducerRecord<>(deadTopic, letter.key(), letter.value())));
        com.fasterxml.jackson.databind.JsonNode source =
                new com.fasterxml.jackson.databind.json.JsonMapper().readTree(letter.value());
        TestStack.BalanceRun twice = balance(setup.config());
        assertThat(twice.code()).as(twice.printed()).isEqualTo(1);
        assertThat(twice.printed())
                .contains("NOT balanced")
                .contains("TWICE in " + topic + "-"
                        + source.get("source_partition").asInt()
                        + ": 1 record(s) with more than one dead letter, at offsets ["
                        + source.get("source_offset").asLong() + "]");

        // A stored row gone: its record is lost, and named by partition and offset.
        String position = TestStack.query(
                        node,
                        "SELECT kafka_partition, kafka_offset FROM " + db + ".events WHERE event_id = 'b42'"
                                + " FORMAT TabSeparated")
                .trim();
        TestStack.alter(db + ".events_local", "DELETE WHERE event_id = 'b42'");
        TestStack.await(
                "the row deleted",
                Duration.ofSeconds(60),
                TestStack.unchecked(() ->
                        TestStack.count(node, "SELECT count() FROM " + db + ".events WHERE event_id = 'b42'") == 0));
        TestStack.BalanceRun lost = balance(setup.config());
        String[] at = position.split("\t");
        assertThat(lost.code()).as(lost.printed()).isEqualTo(1);
        assertThat(lost.printed())
                .contains("NOT balanced: " + (inputs + 40) + " inputs = 299 stored")
                .contains("LOST in " + topic + "-" + at[0] + ": 1 record(s) below the committed offset")
                .contains("at offsets [" + at[1] + "]");
    }
}
