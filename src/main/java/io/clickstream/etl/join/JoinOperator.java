package io.clickstream.etl.join;

import io.clickstream.etl.event.Event;
import io.clickstream.etl.redis.BatchingRedisOperator;
import io.clickstream.etl.redis.BlobStore;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.flink.streaming.api.operators.OneInputStreamOperator;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;

/**
 * Denormalization at processing time (join.rules): values of one source carried into the events of others,
 * kept in Redis ({@code <prefix>:join:<rule>:<key>}) with a TTL. One read and one write per batch. A missing value
 * leaves the event as it is; a rule never holds an event back except while Redis is unreachable.
 */
public class JoinOperator extends BatchingRedisOperator<Event, Event, BlobStore>
        implements OneInputStreamOperator<Event, Event> {
    private static final long serialVersionUID = 1L;

    private final JoinSettings settings;
    private final long ttlMs;

    private transient Joiner joiner;

    public JoinOperator(JoinSettings settings, BlobStore.Factory storeFactory) {
        super(
                "joins",
                storeFactory,
                settings.batchSize(),
                settings.batchDelay().toMillis(),
                settings.maxBackoff().toMillis());
        this.settings = settings.sanityCheck();
        this.ttlMs = settings.ttl().toMillis();
    }

    @Override
    public void open() throws Exception {
        super.open();
        joiner = new Joiner(settings.rules(), settings.horizon());
    }

    @Override
    public void processElement(StreamRecord<Event> element) throws Exception {
        if (joiner.isEmpty()) {
            output.collect(element);
        } else {
            add(element.getValue());
        }
    }

    @Override
    protected void processBatch(List<Event> batch) throws Exception {
        List<String> keys = joiner.keys(batch);
        Map<String, JoinedValues> stored = new HashMap<>();
        if (!keys.isEmpty()) {
            List<byte[]> loaded = withRetries(() -> store.load(keys));
            for (int i = 0; i < keys.size(); i++) {
                try {
                    stored.put(keys.get(i), JoinedValues.fromBytes(loaded.get(i)));
                } catch (IllegalArgumentException e) {
                    throw unreadable(keys.get(i), "The joined values of " + keys.get(i), e);
                }
            }
        }
        Map<String, byte[]> changed = joiner.apply(batch, stored);
        if (!changed.isEmpty()) {
            withRetries(() -> {
                store.store(changed, ttlMs);
                return null;
            });
        }
        batch.forEach(this::emit);
    }
}
