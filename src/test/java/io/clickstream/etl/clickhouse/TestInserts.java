package io.clickstream.etl.clickhouse;

import io.clickstream.etl.event.Event;
import io.clickstream.etl.testing.TestStack;
import java.util.Arrays;
import java.util.List;

/** Events into a database of the test stack the way the job's sink sends them: RowBinary through the Distributed table. */
public final class TestInserts {
    private TestInserts() {}

    /** One insert of {@code rows}, synchronous across the shards. */
    public static void insert(String db, List<Event> rows) throws Exception {
        insert(db, rows, EventRowEncoder.INSTANCE);
    }

    /** As the events sink of a job with {@code encoder}'s columns writes them. */
    public static void insert(String db, List<Event> rows, EventRowEncoder encoder) throws Exception {
        RowBinaryBuffer out = new RowBinaryBuffer(1024);
        rows.forEach(e -> encoder.encode(e, out));
        try (Inserter inserter = ClickHouseInserter.factory(
                        TestStack.clickHouse(), db + ".events", encoder.columns(), true, 60_000)
                .open()) {
            inserter.insert(new Batch(Arrays.copyOf(out.array(), out.size()), rows.size(), -1, null));
        }
    }
}
