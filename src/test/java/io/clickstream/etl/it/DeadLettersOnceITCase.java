package io.clickstream.etl.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;
import io.clickstream.etl.config.Options;
import io.clickstream.etl.testing.MalformedInputs;
import io.clickstream.etl.testing.TestStack;
import io.clickstream.etl.tools.Replay;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.apache.flink.api.common.JobStatus;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.RestOptions;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Malformed inputs read by a run that stops before its first checkpoint, then by the next run from the group's
 * offsets (none committed, so from the start), then again after a rewind with the replay tool, next to new ones:
 * one dead letter per input, not one per run that read it.
 */
class DeadLettersOnceITCase {
    @RegisterExtension
    static final MiniClusterExtension FLINK = new MiniClusterExtension(new MiniClusterResourceConfiguration.Builder()
            .setNumberTaskManagers(1)
            .setNumberSlotsPerTaskManager(2)
            .build());

    private static final JsonMapper JSON = new JsonMapper();

    @Test
    void inputsReadAgainAfterAStopOrARewindGetOneDeadLetterEach() throws Exception {
        TestStack.requireRunning();
        TestStack.Streaming setup = TestStack.streaming("dlonce", Map.of("kafka.start-from", "group-offsets"));
        String dead = setup.config().get(Options.DEAD_LETTER_TOPIC);
        List<MalformedInputs.Malformed> malformed = MalformedInputs.all("once-", System.currentTimeMillis(), false);
        List<ProducerRecord<byte[], byte[]>> records = new ArrayList<>();
        for (int i = 0; i < malformed.size(); i++) {
            records.add(new ProducerRecord<>(
                    setup.topic(),
                    ("k" + i).getBytes(StandardCharsets.UTF_8),
                    malformed.get(i).payload()));
        }
        Set<String> inputs = new HashSet<>();
        for (RecordMetadata m : TestStack.produce(records)) {
            inputs.add(m.partition() + "@" + m.offset());
        }

        // A run that reads and dead-letters them all, and is cancelled before any checkpoint (an hour apart).
        JobClient first = TestStack.job(setup.config(), 3_600_000).executeAsync("first run");
        Thread.sleep(15_000); // parsed and sent by now: what the at-least-once sink wrote was visible at this point
        first.cancel().get(60, TimeUnit.SECONDS);

        // The next run reads them again (nothing was committed) and checkpoints every second.
        JobClient second = TestStack.job(setup.config(), 1000).executeAsync("second run");
        try {
            assertOnePerInput(TestStack.consume(dead, inputs.size(), Duration.ofSeconds(60)), inputs);
            TestStack.await(
                    "the inputs' offsets committed",
                    Duration.ofSeconds(30),
                    TestStack.unchecked(() ->
                            TestStack.committedOffsets(setup.config().get(Options.KAFKA_GROUP_ID)) == inputs.size()));
        } finally {
            second.cancel().get(60, TimeUnit.SECONDS);
        }
        TestStack.await(
                "second run cancelled",
                Duration.ofSeconds(60),
                TestStack.unchecked(() -> second.getJobStatus().get() == JobStatus.CANCELED));

        // A deliberate replay: the group rewound to the start, while new malformed inputs arrive.
        Configuration client = FLINK.getClientConfiguration();
        Replay.run(new String[] {
            "--set",
            "kafka.bootstrap-servers=" + TestStack.kafkaBootstrap(),
            "--set",
            "kafka.topics=" + setup.topic(),
            "--set",
            "kafka.group-id=" + setup.config().get(Options.KAFKA_GROUP_ID),
            "--to-earliest",
            "--flink-rest",
            "http://" + client.get(RestOptions.ADDRESS) + ":" + client.get(RestOptions.PORT),
            "--watch-seconds",
            "0"
        });
        assertThat(TestStack.committedOffsets(setup.config().get(Options.KAFKA_GROUP_ID)))
                .as("rewound")
                .isZero();
        List<ProducerRecord<byte[], byte[]>> more = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            more.add(new ProducerRecord<>(
                    setup.topic(),
                    ("new" + i).getBytes(StandardCharsets.UTF_8),
                    ("{not json " + i).getBytes(StandardCharsets.UTF_8)));
        }
        for (RecordMetadata m : TestStack.produce(more)) {
            inputs.add(m.partition() + "@" + m.offset());
        }
        JobClient third = TestStack.job(setup.config(), 1000).executeAsync("replay");
        try {
            TestStack.await(
                    "every input read again",
                    Duration.ofSeconds(90),
                    TestStack.unchecked(() ->
                            TestStack.committedOffsets(setup.config().get(Options.KAFKA_GROUP_ID)) == inputs.size()));
            // Read for the count of a replay that writes them all again: only one each may be there.
            assertOnePerInput(TestStack.consume(dead, 2 * inputs.size(), Duration.ofSeconds(10)), inputs);
        } finally {
            third.cancel().get(60, TimeUnit.SECONDS);
        }
    }

    private static void assertOnePerInput(List<ConsumerRecord<byte[], byte[]>> letters, Set<String> inputs)
            throws Exception {
        Map<String, Integer> perInput = new HashMap<>();
        for (ConsumerRecord<byte[], byte[]> r : letters) {
            JsonNode n = JSON.readTree(r.value());
            perInput.merge(
                    n.get("source_partition").asInt() + "@"
                            + n.get("source_offset").asLong(),
                    1,
                    Integer::sum);
        }
        assertThat(perInput.keySet()).isEqualTo(inputs);
        assertThat(perInput.values()).as("one dead letter per input").containsOnly(1);
    }
}
