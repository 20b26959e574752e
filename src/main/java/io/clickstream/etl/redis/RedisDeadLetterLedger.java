package io.clickstream.etl.redis;

import io.clickstream.etl.deadletter.DeadLetterLedger;
import io.clickstream.etl.deadletter.Ranges;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The dead-letter ledger as one Redis hash, {@code <prefix>:dead-lettered}: field "topic-id:partition", value the
 * ranges "from-to,from-to". No TTL: a replay may come long after, and a field stays short (a range per run that
 * started somewhere new). Ranges are joined here and stored only if the field did not change meanwhile.
 */
public final class RedisDeadLetterLedger implements DeadLetterLedger {
    /** Sets ARGV[3] if the field still holds ARGV[2] ("" for none). */
    private static final String COMPARE_AND_SET = "local cur = redis.call('HGET', KEYS[1], ARGV[1]) or '' "
            + "if cur == ARGV[2] then redis.call('HSET', KEYS[1], ARGV[1], ARGV[3]) return 1 end return 0";

    private final RedisConnection connection;
    private final String key;

    public RedisDeadLetterLedger(RedisSettings settings) {
        this.connection = new RedisConnection(settings);
        this.key = settings.keyPrefix() + ":dead-lettered";
    }

    public static DeadLetterLedger.Factory factory(RedisSettings settings) {
        return () -> new RedisDeadLetterLedger(settings);
    }

    @Override
    public Map<String, Ranges> read() {
        Map<String, Ranges> out = new HashMap<>();
        connection.call(jedis -> jedis.hgetAll(key)).forEach((field, value) -> out.put(field, parse(field, value)));
        return out;
    }

    @Override
    public void add(Map<String, Ranges> ranges) {
        for (Map.Entry<String, Ranges> e : ranges.entrySet()) {
            while (true) {
                String before = connection.call(jedis -> jedis.hget(key, e.getKey()));
                String after = parse(e.getKey(), before).union(e.getValue()).toString();
                if (after.equals(before)) {
                    break;
                }
                Object set = connection.call(jedis -> jedis.eval(
                        COMPARE_AND_SET, List.of(key), List.of(e.getKey(), before == null ? "" : before, after)));
                if (Long.valueOf(1).equals(set)) {
                    break;
                }
            }
        }
    }

    private Ranges parse(String field, String value) {
        try {
            return Ranges.parse(value);
        } catch (IllegalArgumentException ex) {
            throw new IllegalStateException(
                    "Redis hash " + key + ", field " + field + ": " + ex.getMessage()
                            + ". It says which inputs have their dead letters written; repair or delete that field (a deleted"
                            + " field lets a replay write those dead letters again).",
                    ex);
        }
    }

    @Override
    public void close() {
        connection.close();
    }
}
