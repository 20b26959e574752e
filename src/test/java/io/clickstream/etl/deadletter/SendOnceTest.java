package io.clickstream.etl.deadletter;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.clickstream.etl.event.DeadLetter;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SendOnceTest {
    /** One partition; records as (offset in the list, letter). */
    private final List<DeadLetter> topic = new ArrayList<>();

    private final Map<String, String> ledger = new HashMap<>();
    private String topicId = "id1";
    /** Fails the send after the broker stored it: a run that stops before the ledger says "sent". */
    private boolean stopAfterSend;

    private final SendOnce.Topic kafka = new SendOnce.Topic() {
        @Override
        public int partitionOf(DeadLetter d) {
            return 0;
        }

        @Override
        public long end(int partition) {
            return topic.size();
        }

        @Override
        public boolean holds(int partition, long from, DeadLetter d, String detailPrefix) {
            return topic.subList((int) from, topic.size()).stream()
                    .anyMatch(t -> t.topic.equals(d.topic)
                            && t.partition == d.partition
                            && t.offset == d.offset
                            && t.detail.startsWith(detailPrefix));
        }

        @Override
        public void send(int partition, DeadLetter d) {
            topic.add(d);
            if (stopAfterSend) {
                throw new IllegalStateException("stopped");
            }
        }
    };

    private SendOnce once() {
        SendOnce.Ledger l = new SendOnce.Ledger() {
            @Override
            public String get(String key) {
                return ledger.get(key);
            }

            @Override
            public void put(String key, String value) {
                ledger.put(key, value);
            }

            @Override
            public void close() {}
        };
        TopicIds ids = new TopicIds() {
            @Override
            public String id(String t) {
                return topicId;
            }

            @Override
            public void close() {}
        };
        return new SendOnce(l, kafka, ids);
    }

    private static DeadLetter letter(long offset) {
        DeadLetter d = new DeadLetter();
        d.reason = "clickhouse_rejected";
        d.detail = "db.events: Code: 53";
        d.topic = "web";
        d.partition = 2;
        d.offset = offset;
        return d;
    }

    @Test
    void aRowRefusedAgainAfterARestartOrReplayIsNotSentAgain() throws Exception {
        assertThat(once().send(letter(7), "db.events")).isTrue();
        assertThat(once().send(letter(7), "db.events")).isFalse();
        assertThat(once().send(letter(8), "db.events")).isTrue();
        assertThat(topic).hasSize(2);
        assertThat(ledger).containsEntry("db.events:id1:2:7", "sent");
    }

    @Test
    void aRunStoppedAfterTheSendButBeforeTheLedgerSaidSentIsSettledByReadingTheTopic() throws Exception {
        once().send(letter(1), "db.events"); // another letter before, so the note is not at offset 0
        stopAfterSend = true;
        assertThatThrownBy(() -> once().send(letter(7), "db.events")).hasMessage("stopped");
        stopAfterSend = false;
        assertThat(ledger.get("db.events:id1:2:7")).isEqualTo("0:1");

        assertThat(once().send(letter(7), "db.events")).isFalse();
        assertThat(topic).hasSize(2);
        assertThat(ledger).containsEntry("db.events:id1:2:7", "sent");
    }

    @Test
    void aRunStoppedBeforeTheSendSendsItNow() throws Exception {
        ledger.put("db.events:id1:2:7", "0:0");
        assertThat(once().send(letter(7), "db.events")).isTrue();
        assertThat(topic).hasSize(1);
    }

    @Test
    void anotherTableOrATopicCreatedAgainIsAnotherInput() throws Exception {
        once().send(letter(7), "db.events");
        assertThat(once().send(letter(7), "db.other")).isTrue();
        topicId = "id2";
        assertThat(once().send(letter(7), "db.events")).isTrue();
        assertThat(topic).hasSize(3);
    }

    @Test
    void aLetterWithoutASourcePositionIsAlwaysSent() throws Exception {
        DeadLetter session = letter(-1);
        session.topic = "";
        assertThat(once().send(session, "db.sessions")).isTrue();
        assertThat(once().send(session, "db.sessions")).isTrue();
        assertThat(ledger).isEmpty();
    }

    @Test
    void aLedgerEntryItCannotReadStopsWithoutSending() {
        ledger.put("db.events:id1:2:7", "{\"v\":2}");
        assertThatThrownBy(() -> once().send(letter(7), "db.events"))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("db.events:id1:2:7")
                .hasMessageContaining("{\"v\":2}");
        assertThat(topic).isEmpty();
        assertThat(ledger).containsEntry("db.events:id1:2:7", "{\"v\":2}");
    }
}
