package io.clickstream.etl.redis;

import io.clickstream.etl.clickhouse.InsertMarks;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The insert marks of one table as one Redis hash, {@code <prefix>:inserted:<database.table>}, field
 * "topic:partition", value the offset. No TTL: a replay may come long after, and the hash has one field per
 * partition.
 */
public final class RedisInsertMarks implements InsertMarks {
    /** Raises in one command; Lua numbers are doubles, exact for offsets up to 2^53. */
    private static final String RAISE = "for i = 1, #ARGV, 2 do "
            + "local cur = redis.call('HGET', KEYS[1], ARGV[i]) "
            + "if not cur or tonumber(cur) < tonumber(ARGV[i + 1]) then redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1]) end "
            + "end return 1";

    private final RedisConnection connection;
    private final String key;

    public RedisInsertMarks(RedisSettings settings, String table) {
        this.connection = new RedisConnection(settings);
        this.key = settings.keyPrefix() + ":inserted:" + table;
    }

    public static InsertMarks.Factory factory(RedisSettings settings, String table) {
        return () -> new RedisInsertMarks(settings, table);
    }

    @Override
    public Map<String, Long> read() {
        Map<String, Long> marks = new HashMap<>();
        connection.call(jedis -> jedis.hgetAll(key)).forEach((field, value) -> marks.put(field, Long.parseLong(value)));
        return marks;
    }

    @Override
    public void raise(Map<String, Long> highest) {
        List<String> args = new ArrayList<>(highest.size() * 2);
        highest.forEach((partition, offset) -> {
            args.add(partition);
            args.add(Long.toString(offset));
        });
        connection.call(jedis -> jedis.eval(RAISE, List.of(key), args));
    }

    @Override
    public void close() {
        connection.close();
    }
}
