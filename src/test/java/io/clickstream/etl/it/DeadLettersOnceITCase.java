package io.clickstream.etl.it;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;
import io.clickstream.etl.config.Options;
import io.clickstream.etl.testing.MalformedInputs;
import io.clickstream.etl.testing.TestStack;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Malformed inputs read by a run that stops before its first checkpoint, then by the next run from the group's
 * offsets (none committed, so from the start): one dead letter per input, not one per run that read it.
 */
class DeadLettersOnceITCase {
    @RegisterExtension
    static final MiniClusterExtension FLINK = new MiniClusterExtension(new MiniClusterResourceConfiguration.Builder()
            .setNumberTaskManagers(1).setNumberSlotsPerTaskManager(2).build());

    private static final JsonMapper JSON = new JsonMapper();

    @Test
    void inputsReadAgainAfterAStopBeforeTheCheckpointGetOneDeadLetterEach() throws Exception {
        TestStack.requireRunning();
        TestStack.Streaming setup = TestStack.streaming("dlonce", Map.of("kafka.start-from", "group-offsets"));
        String dead = setup.config().get(Options.DEAD_LETTER_TOPIC);
        List<MalformedInputs.Malformed> malformed = MalformedInputs.all("once-", System.currentTimeMillis(), false);
        List<ProducerRecord<byte[], byte[]>> records = new ArrayList<>();
        for (int i = 0; i < malformed.size(); i++) {
            records.add(new ProducerRecord<>(setup.topic(), ("k" + i).getBytes(StandardCharsets.UTF_8),
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
            List<ConsumerRecord<byte[], byte[]>> letters = TestStack.consume(dead, inputs.size(), Duration.ofSeconds(60));
            Map<String, Integer> perInput = new HashMap<>();
            for (ConsumerRecord<byte[], byte[]> r : letters) {
                JsonNode n = JSON.readTree(r.value());
                perInput.merge(n.get("source_partition").asInt() + "@" + n.get("source_offset").asLong(), 1, Integer::sum);
            }
            assertThat(perInput.keySet()).isEqualTo(inputs);
            assertThat(perInput.values()).as("one dead letter per input").containsOnly(1);
        } finally {
            second.cancel().get(60, TimeUnit.SECONDS);
        }
    }
}
