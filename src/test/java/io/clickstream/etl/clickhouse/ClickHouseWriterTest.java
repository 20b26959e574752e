package io.clickstream.etl.clickhouse;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.clickstream.etl.event.Event;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.ConnectException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Deque;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.apache.flink.metrics.groups.UnregisteredMetricsGroup;
import org.apache.flink.streaming.runtime.tasks.TestProcessingTimeService;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

class ClickHouseWriterTest {
    private final TestProcessingTimeService time = new TestProcessingTimeService();
    private final FakeInserter inserter = new FakeInserter();
    private final List<Long> sleeps = Collections.synchronizedList(new ArrayList<>());
    private SinkMetrics metrics;
    private ClickHouseWriter<Event> writer;

    /** The dead-letter path of the sink, in memory. */
    private final List<String> rejectedRows = Collections.synchronizedList(new ArrayList<>());

    /** The dead-letter path in memory: {@link #rejectedRows}. */
    private RejectedRows<Event> rejectedPath() {
        return new RejectedRows<>() {
            @Override
            public void reject(List<Event> refused, String table, String error) {
                refused.forEach(e -> rejectedRows.add(e.eventId + " " + error));
            }

            @Override
            public void close() {}
        };
    }

    private ClickHouseWriter<Event> writerWithRejectedPath(int rows) {
        metrics = new SinkMetrics(new UnregisteredMetricsGroup());
        RejectedRows<Event> path = rejectedPath();
        writer = new ClickHouseWriter<>(
                TestSinkSettings.of(Map.of("batch-rows", "" + rows, "flush-interval", "60s")),
                EventRowEncoder.INSTANCE,
                new ClickHouseWriter.Outputs<>(inserter, path, null),
                time,
                metrics,
                sleeps::add);
        return writer;
    }

    private ClickHouseWriter<Event> writer(int rows, long bytes, long intervalMs, int maxInFlight, int maxRetries) {
        metrics = new SinkMetrics(new UnregisteredMetricsGroup());
        writer = new ClickHouseWriter<>(
                TestSinkSettings.of(Map.of(
                        "batch-rows",
                        "" + rows,
                        "batch-bytes",
                        "" + bytes,
                        "flush-interval",
                        intervalMs + "ms",
                        "max-in-flight",
                        "" + maxInFlight,
                        "max-retries",
                        "" + maxRetries)),
                EventRowEncoder.INSTANCE,
                ClickHouseWriter.Outputs.of(inserter),
                time,
                metrics,
                sleeps::add);
        return writer;
    }

    @AfterEach
    void close() throws Exception {
        inserter.release.countDown();
        if (writer != null) {
            writer.close();
        }
    }

    private static Event event(int i) {
        Event e = new Event();
        e.eventId = "e" + i;
        e.userId = "u" + i;
        e.eventType = "page_view";
        e.source = "web";
        e.eventTime = 1_700_000_000_000L + i;
        e.url = "https://x.test/" + "p".repeat(i % 7);
        e.kafkaTopic = "t";
        e.kafkaTimestamp = e.eventTime;
        return e;
    }

    private static void await(BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!condition.getAsBoolean()) {
            assertThat(System.nanoTime()).as("condition not met within 10 s").isLessThan(deadline);
            Thread.sleep(5);
        }
    }

    @Test
    void sendsABatchWhenItHoldsBatchRowsRows() throws Exception {
        writer(3, 1 << 20, 60_000, 1, 0);
        for (int i = 0; i < 7; i++) {
            writer.write(event(i), null);
        }
        await(() -> inserter.succeeded.size() == 2);

        writer.flush(false);

        assertThat(inserter.succeeded).extracting(Batch::rows).containsExactly(3, 3, 1);
        assertThat(metrics.rows.getCount()).isEqualTo(7);
        assertThat(metrics.batches.getCount()).isEqualTo(3);
    }

    @Test
    void eachBatchRecordsHowLateItsNewestRowReachedTheSinkAndWhenItsOldestWasStored() throws Exception {
        writer(3, 1 << 20, 60_000, 1, 0);
        long now = System.currentTimeMillis();
        time.setCurrentTime(now); // the processing time is the wall clock's in a task
        for (int i = 0; i < 3; i++) {
            Event e = event(i);
            e.kafkaTimestamp = now - 8_000 + 1_000 * i; // published 8, 7 and 6 s ago
            writer.write(e, null);
        }
        await(() -> inserter.succeeded.size() == 1);
        await(() -> metrics.endToEndLagMs.getCount() == 1);

        assertThat(metrics.arrivalLagMs.getCount()).isEqualTo(1);
        assertThat(metrics.arrivalLagMs.getStatistics().getMax())
                .as("the newest row, 6 s late when it arrived")
                .isBetween(6_000L, 7_999L);
        assertThat(metrics.endToEndLagMs.getStatistics().getMax())
                .as("the oldest row, from its publish to the end of the insert")
                .isGreaterThanOrEqualTo(8_000L);
    }

    @Test
    void sendsABatchWhenItReachesBatchBytes() throws Exception {
        writer(1000, 300, 60_000, 1, 0);
        for (int i = 0; i < 10; i++) {
            writer.write(event(i), null);
        }
        writer.flush(false);

        assertThat(inserter.succeeded).hasSizeGreaterThan(1);
        assertThat(inserter.succeeded.subList(0, inserter.succeeded.size() - 1))
                .allSatisfy(b -> assertThat(b.bytes()).isGreaterThanOrEqualTo(300));
        assertThat(inserter.succeeded.stream().mapToInt(Batch::rows).sum()).isEqualTo(10);
        assertThat(metrics.bytes.getCount())
                .isEqualTo(inserter.succeeded.stream().mapToInt(Batch::bytes).sum());
    }

    @Test
    void sendsABatchWhenItsFirstRowIsFlushIntervalOld() throws Exception {
        writer(1000, 1 << 20, 1000, 1, 0);
        time.setCurrentTime(0);
        writer.write(event(1), null);
        time.setCurrentTime(500);
        writer.write(event(2), null);

        time.setCurrentTime(999);
        assertThat(inserter.attempts).isZero();

        time.setCurrentTime(1250); // checked every quarter interval: sent by 1.25 intervals at the latest
        await(() -> inserter.succeeded.size() == 1);
        assertThat(inserter.succeeded.get(0).rows()).isEqualTo(2);
    }

    @Test
    void rowsReadFarBehindTheirTopicWaitForTheCatchUpIntervalAndOnTimeRowsDoNot() throws Exception {
        long t0 = 1_700_000_000_000L;
        time.setCurrentTime(t0);
        metrics = new SinkMetrics(new UnregisteredMetricsGroup());
        writer = new ClickHouseWriter<>(
                TestSinkSettings.of(Map.of(
                        "batch-rows",
                        "1000",
                        "flush-interval",
                        "1000ms",
                        "catch-up-flush-interval",
                        "5000ms",
                        "catch-up-lag",
                        "30s",
                        "max-retries",
                        "0")),
                EventRowEncoder.INSTANCE,
                ClickHouseWriter.Outputs.of(inserter),
                time,
                metrics,
                sleeps::add);
        Event late = event(1);
        late.kafkaTimestamp = t0 - 60_000; // a backlog: read a minute after it was written
        writer.write(late, null);
        advanceTo(t0 + 4_750);
        assertThat(inserter.attempts).as("not at the flush interval").isZero();
        advanceTo(t0 + 5_250);
        await(() -> inserter.succeeded.size() == 1);

        Event onTime = event(2);
        onTime.kafkaTimestamp = t0 + 5_200;
        writer.write(onTime, null);
        advanceTo(t0 + 6_500);
        await(() -> inserter.succeeded.size() == 2);
    }

    /** A writer with the rejected-rows path that holds a catch-up's partial batch across checkpoints. */
    private ClickHouseWriter<Event> holdingWriter(long t0) throws Exception {
        time.setCurrentTime(t0);
        metrics = new SinkMetrics(new UnregisteredMetricsGroup());
        RejectedRows<Event> path = rejectedPath();
        writer = new ClickHouseWriter<>(
                TestSinkSettings.of(Map.of(
                        "batch-rows",
                        "1000",
                        "flush-interval",
                        "1000ms",
                        "catch-up-flush-interval",
                        "60s",
                        "catch-up-lag",
                        "30s",
                        "catch-up-hold",
                        "true",
                        "max-retries",
                        "0")),
                EventRowEncoder.INSTANCE,
                new ClickHouseWriter.Outputs<>(inserter, path, null),
                time,
                metrics,
                sleeps::add);
        return writer;
    }

    @Test
    void aCatchingUpWriterKeepsItsPartialBatchInTheCheckpointAndSendsItWholeAfterARestore() throws Exception {
        long t0 = 1_700_000_000_000L;
        ClickHouseWriter<Event> first = holdingWriter(t0);
        for (int i = 0; i < 3; i++) {
            Event late = event(i);
            late.kafkaTimestamp = t0 - 60_000; // a backlog
            first.write(late, null);
        }
        first.flush(false); // the checkpoint barrier
        List<BufferedRows<Event>> held = first.snapshotState(1);
        assertThat(inserter.attempts).as("not inserted at the barrier").isZero();
        assertThat(held).singleElement().satisfies(b -> assertThat(b.rows()).isEqualTo(3));

        // Through the state's serializer, as a restore reads it.
        BufferedRows.Serializer<Event> serializer =
                new BufferedRows.Serializer<>(org.apache.flink.api.common.typeinfo.TypeInformation.of(Event.class)
                        .createSerializer(new org.apache.flink.api.common.serialization.SerializerConfigImpl()));
        BufferedRows<Event> read = serializer.deserialize(serializer.getVersion(), serializer.serialize(held.get(0)));
        first.close();

        ClickHouseWriter<Event> restored = holdingWriter(t0 + 1000);
        restored.restore(List.of(read));
        for (int i = 3; i < 5; i++) {
            Event late = event(i);
            late.kafkaTimestamp = t0 - 60_000;
            restored.write(late, null);
        }
        restored.flush(true); // the end of input sends everything
        assertThat(inserter.succeeded).singleElement().satisfies(b -> {
            assertThat(b.rows()).isEqualTo(5);
            assertThat(b.rowObjects())
                    .extracting(e -> ((Event) e).eventId)
                    .containsExactly("e0", "e1", "e2", "e3", "e4");
        });
        ByteArrayOutputStream expected = new ByteArrayOutputStream();
        for (int i = 0; i < 5; i++) {
            RowBinaryBuffer one = new RowBinaryBuffer(64);
            Event e = event(i);
            e.kafkaTimestamp = t0 - 60_000;
            EventRowEncoder.INSTANCE.encode(e, one);
            expected.write(one.array(), 0, one.size());
        }
        assertThat(inserter.sent.get(0))
                .as("the same bytes as if never checkpointed")
                .isEqualTo(expected.toByteArray());
    }

    @Test
    void onTimeRowsAreStillInsertedAtEveryCheckpoint() throws Exception {
        long t0 = 1_700_000_000_000L;
        ClickHouseWriter<Event> w = holdingWriter(t0);
        Event onTime = event(1);
        onTime.kafkaTimestamp = t0 - 100;
        w.write(onTime, null);
        w.flush(false);
        assertThat(inserter.succeeded).extracting(Batch::rows).containsExactly(1);
        assertThat(w.snapshotState(1)).isEmpty();
    }

    /** Moves the clock a timer tick at a time, as a running task would see it. */
    private void advanceTo(long end) throws Exception {
        for (long t = time.getCurrentProcessingTime() + 250; t <= end; t += 250) {
            time.setCurrentTime(t);
        }
    }

    @Test
    void aRowWaitsAtMostAQuarterIntervalPastTheFlushInterval() throws Exception {
        time.setCurrentTime(0);
        writer(1000, 1 << 20, 1000, 1, 0);
        time.setCurrentTime(100);
        writer.write(event(1), null);

        time.setCurrentTime(1249);
        assertThat(inserter.attempts).isZero();
        time.setCurrentTime(1250); // the check after the row turned 1000 ms old, not a whole interval later
        await(() -> inserter.succeeded.size() == 1);
    }

    @Test
    void checkpointFlushSendsThePartialBatchAndWaitsForIt() throws Exception {
        writer(1000, 1 << 20, 60_000, 2, 0);
        writer.write(event(1), null);
        writer.write(event(2), null);
        assertThat(inserter.attempts).isZero();

        writer.flush(false);

        assertThat(inserter.succeeded).extracting(Batch::rows).containsExactly(2);
        assertThat(metrics.inFlightBatches.get()).isZero();
        assertThat(metrics.bufferedRows.get()).isZero();
    }

    @Test
    void retriesWithGrowingBackoffAndResendsTheSameBytes() throws Exception {
        writer(1000, 1 << 20, 60_000, 1, 5);
        inserter.failures.add(new ConnectException("refused"));
        inserter.failures.add(new ConnectException("refused"));
        inserter.failures.add(new ConnectException("refused"));
        writer.write(event(1), null);

        writer.flush(false);

        assertThat(inserter.attempts).isEqualTo(4);
        assertThat(inserter.sent).hasSize(4).allSatisfy(b -> assertThat(b).isEqualTo(inserter.sent.get(0)));
        assertThat(sleeps).containsExactly(100L, 200L, 250L);
        assertThat(metrics.retries.getCount()).isEqualTo(3);
        assertThat(metrics.rows.getCount()).isEqualTo(1);
        assertThat(metrics.failures.getCount()).isZero();
    }

    @Test
    void batchesTakeTurnsInTwoArraysAndAnArrayAFailedAttemptWasSentFromIsNeverWrittenAgain() throws Exception {
        writer(2, 1 << 20, 60_000, 1, 5);
        for (int i = 0; i < 6; i++) { // three batches, each inserted at the first attempt
            writer.write(event(i), null);
        }
        writer.flush(false);
        assertThat(inserter.arrays).hasSize(3);
        assertThat(inserter.arrays.get(2) == inserter.arrays.get(0))
                .as("the first batch's array, given back once inserted, holds the third")
                .isTrue();

        inserter.failures.add(new ConnectException("refused")); // the fourth batch: one failed attempt, then stored
        for (int i = 6; i < 12; i++) {
            writer.write(event(i), null);
        }
        writer.flush(false);
        assertThat(inserter.arrays).hasSize(7); // the fourth batch twice: the failed attempt and its retry
        byte[] failed = inserter.arrays.get(3);
        assertThat(inserter.arrays.get(4) == failed)
                .as("the retry sends the same bytes")
                .isTrue();
        assertThat(inserter.arrays.subList(5, 7).stream().noneMatch(a -> a == failed))
                .as(
                        "a request given up on may still read the failed attempt's array: no later batch is written into it")
                .isTrue();
        assertThat(Arrays.copyOf(failed, inserter.sent.get(3).length))
                .as("still the rows it was sent with")
                .isEqualTo(inserter.sent.get(3));
        ByteArrayOutputStream expected = new ByteArrayOutputStream();
        for (int i = 0; i < 12; i++) {
            RowBinaryBuffer one = new RowBinaryBuffer(64);
            EventRowEncoder.INSTANCE.encode(event(i), one);
            expected.write(one.array(), 0, one.size());
        }
        ByteArrayOutputStream stored = new ByteArrayOutputStream();
        inserter.succeeded.forEach(b -> stored.write(b.data(), 0, b.bytes()));
        assertThat(stored.toByteArray()).as("every row stored once, as written").isEqualTo(expected.toByteArray());
    }

    @Test
    void keepsTheFirstErrorAndRethrowsItOnceRetriesAreExhausted() throws Exception {
        writer(1, 1 << 20, 60_000, 1, 2);
        inserter.alwaysFail = new ConnectException("ClickHouse is down");
        writer.write(event(1), null);

        assertThatThrownBy(() -> writer.flush(false))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("failed after 2 retries")
                .hasMessageContaining("ClickHouse is down");
        assertThat(inserter.attempts).isEqualTo(3);
        assertThat(metrics.failures.getCount()).isEqualTo(1);
        assertThat(metrics.rows.getCount()).isZero();
        assertThatThrownBy(() -> writer.write(event(2), null)).isInstanceOf(IOException.class);
    }

    @Test
    void doesNotRetryAnErrorThatCannotGoAway() throws Exception {
        writer(1000, 1 << 20, 60_000, 1, 5);
        inserter.alwaysFail = new IllegalStateException("no such column");
        inserter.retryable = false;
        writer.write(event(1), null);

        assertThatThrownBy(() -> writer.flush(true)).hasMessageContaining("(not retryable)");
        assertThat(inserter.attempts).isEqualTo(1);
        assertThat(sleeps).isEmpty();
    }

    @Test
    void blocksTheWriterWhileMaxInFlightBatchesAreBeingSent() throws Exception {
        writer(1, 1 << 20, 60_000, 1, 0);
        inserter.blockUntilReleased = true;
        writer.write(event(1), null); // full at once: sent, now in flight and blocked
        await(() -> inserter.attempts == 1);

        CompletableFuture<Void> second = CompletableFuture.runAsync(() -> {
            try {
                writer.write(event(2), null);
            } catch (Exception e) {
                throw new RuntimeException(e);
            }
        });
        Thread.sleep(200);
        assertThat(second).as("second batch waits for a free slot").isNotDone();

        inserter.release.countDown();
        second.get(10, TimeUnit.SECONDS);
        writer.flush(false);
        assertThat(inserter.succeeded).hasSize(2);
    }

    @Test
    @Timeout(30) // the old timer blocked the task's thread, here this test's, until the insert returned: forever
    void aBatchDueWhileAnInsertRunsKeepsFillingWithoutBlockingTheTaskAndGoesWhenTheInsertReturns() throws Exception {
        time.setCurrentTime(0);
        writer(1000, 1 << 20, 1000, 1, 0);
        inserter.blockUntilReleased = true;
        writer.write(event(1), null);
        advanceTo(1_250);
        await(() -> inserter.attempts == 1); // in flight, held by the server

        // The next batch comes due while the first is still being inserted: the timer does not wait for it (this
        // test's thread is the task's and would hang), rows keep coming into the same batch.
        writer.write(event(2), null);
        advanceTo(2_500);
        writer.write(event(3), null);
        advanceTo(3_750);
        assertThat(inserter.attempts).isEqualTo(1);

        inserter.release.countDown();
        await(() -> metrics.inFlightBatches.get() == 0);
        advanceTo(4_000);
        await(() -> inserter.succeeded.size() == 2);
        assertThat(inserter.succeeded).extracting(Batch::rows).containsExactly(1, 2);
    }

    /** Events e0..e9 buffered by a writer with a dead-letter path, not yet flushed. */
    private void writeTenWithRejectedPath() throws Exception {
        writerWithRejectedPath(10);
        for (int i = 0; i < 10; i++) {
            writer.write(event(i), null);
        }
    }

    @Test
    void rowsTheServerRefusesGoToTheDeadLetterPathAndTheRestIsStored() throws Exception {
        inserter.poison = "e3,e7";
        writeTenWithRejectedPath();
        writer.flush(false);

        assertThat(rejectedRows)
                .containsExactlyInAnyOrder(
                        "e3 Code: 53 TYPE_MISMATCH (row-level)", "e7 Code: 53 TYPE_MISMATCH (row-level)");
        assertThat(inserter.succeeded.stream().mapToInt(Batch::rows).sum()).isEqualTo(8);
        assertThat(metrics.rejectedRows.getCount()).isEqualTo(2);
        assertThat(metrics.failures.getCount()).isZero();
        writer.write(event(11), null); // the writer goes on
        writer.flush(false);
        assertThat(inserter.succeeded.stream().mapToInt(Batch::rows).sum()).isEqualTo(9);
    }

    @Test
    void aTableThatNoLongerFitsTheRowsFailsTheJobInsteadOfDeadLetteringTheStream() throws Exception {
        inserter.poison = IntStream.range(0, 10).mapToObj(i -> "e" + i).collect(Collectors.joining(","));
        writeTenWithRejectedPath();

        assertThatThrownBy(() -> writer.flush(false))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("no longer fits")
                .hasMessageContaining("Code: 53");
        assertThat(rejectedRows).isEmpty();
        assertThat(inserter.attempts).as("the batch, then three rows alone").isEqualTo(4);
    }

    @Test
    void aRefusedRowAmongTheProbesGoesToTheDeadLettersAndTheRestIsStored() throws Exception {
        inserter.poison = "e0,e9";
        writeTenWithRejectedPath();
        writer.flush(false);

        assertThat(rejectedRows)
                .containsExactlyInAnyOrder(
                        "e0 Code: 53 TYPE_MISMATCH (row-level)", "e9 Code: 53 TYPE_MISMATCH (row-level)");
        assertThat(inserter.succeeded.stream()
                        .flatMap(b -> b.rowObjects().stream())
                        .map(r -> ((Event) r).eventId))
                .containsExactlyInAnyOrder("e1", "e2", "e3", "e4", "e5", "e6", "e7", "e8");
    }

    @Test
    void aRefusalOfTheTableItselfStillFailsTheJob() throws Exception {
        inserter.alwaysFail = new IllegalStateException("Code: 60 UNKNOWN_TABLE");
        inserter.retryable = false;
        writerWithRejectedPath(10);
        writer.write(event(1), null);

        assertThatThrownBy(() -> writer.flush(false))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("UNKNOWN_TABLE");
        assertThat(rejectedRows).isEmpty();
    }

    /** A table whose look-up is {@code find}. */
    private interface Lookup {
        Set<SourcePosition> find(List<Event> rows);
    }

    /** Events e0..e9 at offsets 0..9 of t:0, written and flushed by a writer with a replay guard. */
    private void writeTenWithGuard(InsertMarks marks, Lookup lookup) throws Exception {
        StoredRows<Event> table = new StoredRows<>() {
            @Override
            public Set<SourcePosition> find(List<Event> rows) {
                return lookup.find(rows);
            }

            @Override
            public void close() {}
        };
        metrics = new SinkMetrics(new UnregisteredMetricsGroup());
        writer = new ClickHouseWriter<>(
                TestSinkSettings.of(Map.of("batch-rows", "100", "flush-interval", "60s")),
                EventRowEncoder.INSTANCE,
                new ClickHouseWriter.Outputs<>(
                        inserter, null, new ReplayGuard<>(marks, table, EventRowEncoder.INSTANCE::position)),
                time,
                metrics,
                sleeps::add);
        for (int i = 0; i < 10; i++) {
            Event e = event(i);
            e.kafkaOffset = i;
            writer.write(e, null);
        }
        writer.flush(false);
    }

    @Test
    void anInsertThatTimedOutAfterTheServerStoredItIsNotSentAgain() throws Exception {
        inserter.storeThenTimeOut = 1;
        writeTenWithGuard(new ReplayGuardTest.MapMarks(), rows -> {
            Set<SourcePosition> found = new HashSet<>();
            inserter.succeeded.forEach(
                    b -> b.rowObjects().forEach(r -> found.add(EventRowEncoder.INSTANCE.position((Event) r))));
            return found;
        });
        writer.write(event(10), null); // and the writer goes on
        writer.flush(false);

        assertThat(inserter.succeeded.stream()
                        .flatMap(b -> b.rowObjects().stream())
                        .map(r -> ((Event) r).eventId))
                .as("each row stored once")
                .hasSize(11)
                .doesNotHaveDuplicates();
        assertThat(inserter.attempts)
                .as("the timed-out insert, then only the next batch")
                .isEqualTo(2);
        assertThat(metrics.replaySkippedRows.getCount()).isEqualTo(10);
    }

    @Test
    void rowsAnEarlierRunStoredAreLeftOutOfTheBatch() throws Exception {
        ReplayGuardTest.MapMarks marks = new ReplayGuardTest.MapMarks();
        marks.marks.put("t:0", 5L);
        Set<SourcePosition> stored = Set.of(new SourcePosition("t", 0, 2), new SourcePosition("t", 0, 4));
        writeTenWithGuard(marks, rows -> {
            Set<SourcePosition> found = new HashSet<>();
            rows.forEach(e -> found.add(EventRowEncoder.INSTANCE.position(e)));
            found.retainAll(stored);
            return found;
        });

        assertThat(inserter.succeeded).hasSize(1);
        assertThat(inserter.succeeded.get(0).rowObjects())
                .extracting(r -> ((Event) r).eventId)
                .containsExactly("e0", "e1", "e3", "e5", "e6", "e7", "e8", "e9");
        assertThat(metrics.rows.getCount()).isEqualTo(8);
        assertThat(metrics.replayCheckedRows.getCount()).isEqualTo(6);
        assertThat(metrics.replaySkippedRows.getCount()).isEqualTo(2);
        assertThat(marks.marks).containsEntry("t:0", 9L);
    }

    private static final class FakeInserter implements Inserter {
        /** Event ids the "server" refuses, comma-separated: a batch holding one fails as a whole, row-level. */
        volatile String poison = "";

        final List<Batch> succeeded = Collections.synchronizedList(new ArrayList<>());
        final List<byte[]> sent = Collections.synchronizedList(new ArrayList<>());
        /** The array each attempt was sent from, as it is (the writer may write later rows into it). */
        final List<byte[]> arrays = Collections.synchronizedList(new ArrayList<>());

        final Deque<Exception> failures = new ArrayDeque<>();
        final CountDownLatch release = new CountDownLatch(1);
        volatile Exception alwaysFail;
        volatile boolean retryable = true;
        volatile boolean blockUntilReleased;
        volatile int attempts;
        /** Inserts that the "server" stores and then the client times out on. */
        volatile int storeThenTimeOut;

        @Override
        public void insert(Batch batch) throws Exception {
            attempts++;
            sent.add(Arrays.copyOf(batch.data(), batch.bytes()));
            arrays.add(batch.data());
            if (blockUntilReleased) {
                release.await();
            }
            Exception next;
            synchronized (failures) {
                next = failures.poll();
            }
            if (next == null) {
                next = alwaysFail;
            }
            if (next != null) {
                throw next;
            }
            if (batch.rowObjects() != null) {
                for (Object row : batch.rowObjects()) {
                    if (java.util.Arrays.asList(poison.split(",")).contains(((Event) row).eventId)) {
                        throw new IllegalStateException("Code: 53 TYPE_MISMATCH (row-level)");
                    }
                }
            }
            // What the "server" stored: the batch's array is the writer's again once this returns.
            succeeded.add(new Batch(
                    Arrays.copyOf(batch.data(), batch.bytes()),
                    batch.rows(),
                    batch.oldestPublishedAt(),
                    batch.rowObjects() == null ? null : new ArrayList<>(batch.rowObjects())));
            if (storeThenTimeOut > 0) {
                storeThenTimeOut--;
                throw new java.net.SocketTimeoutException("Read timed out");
            }
        }

        @Override
        public boolean mayHaveStored(Throwable error) {
            return error instanceof java.net.SocketTimeoutException;
        }

        @Override
        public boolean isRetryable(Throwable error) {
            return retryable && !error.getMessage().contains("row-level");
        }

        @Override
        public boolean mayBeRowLevel(Throwable error) {
            return error.getMessage().contains("row-level");
        }

        @Override
        public void close() {}
    }
}
