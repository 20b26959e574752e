package io.clickstream.etl.tools;

import io.clickstream.etl.join.JoinOperator;
import io.clickstream.etl.join.JoinRule;
import io.clickstream.etl.join.JoinedValues;
import io.clickstream.etl.redis.RedisConnection;
import io.clickstream.etl.redis.RedisHashStore;
import io.clickstream.etl.redis.RedisSettings;
import io.clickstream.etl.session.UserHistory;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * What tools.Erase removes of a user from Redis, once the job's tasks have acknowledged the erasure: the per-user hash
 * if it holds nothing newer than the erasure (a user who came back after it keeps the new record), the keys of the
 * layout before the hash, and the versions of joins keyed by other fields that the user gave (found through the
 * user's index {@code join-given:<user>}).
 */
final class ErasedRedisState implements AutoCloseable {
    /** What was removed. */
    record Removed(boolean record, int olderKeys, int joinVersions) {}

    private final String prefix;
    private final List<JoinRule> userRules;
    private final RedisConnection redis;
    private final RedisHashStore store;

    ErasedRedisState(RedisSettings settings, List<JoinRule> rules) {
        this.prefix = settings.keyPrefix() + ":";
        this.userRules = rules.stream().filter(JoinRule::keyedByUser).toList();
        this.redis = new RedisConnection(settings);
        this.store = new RedisHashStore(settings);
    }

    Removed erase(String user, long erasedAt) {
        List<String> older = new ArrayList<>();
        older.add("session:" + user);
        userRules.forEach(r -> older.add("join:" + r.name() + ":" + user));
        byte[] history = redis.binary(j -> j.get((prefix + "session:" + user).getBytes(StandardCharsets.UTF_8)));
        if (history != null) {
            try {
                UserHistory.fromBytes(history).sessionIds().forEach(s -> older.add("funnel:" + s));
            } catch (IllegalArgumentException e) {
                // unreadable: its own key goes, the funnel keys expire on their own
            }
        }
        int olderKeys = 0;
        for (String k : older) {
            olderKeys += redis.call(j -> j.exists(prefix + k)) ? 1 : 0;
        }
        boolean record = store.deleteUpTo("user:" + user, erasedAt, older);
        return new Removed(record, olderKeys, eraseJoinValues(user, erasedAt));
    }

    private int eraseJoinValues(String user, long erasedAt) {
        String index = prefix + JoinOperator.GIVEN + user;
        Map<String, String> given = redis.call(j -> j.hgetAll(index));
        int removed = 0;
        for (Map.Entry<String, String> g : given.entrySet()) {
            String key = prefix + JoinOperator.VALUES + g.getKey();
            Map<byte[], byte[]> versions = redis.binary(j -> j.hgetAll(key.getBytes(StandardCharsets.UTF_8)));
            List<byte[]> gone = new ArrayList<>();
            versions.forEach((field, value) -> {
                try {
                    JoinedValues.Version v = JoinedValues.decode(new String(field, StandardCharsets.UTF_8), value);
                    if (v.giver().equals(user) && v.recordTime() <= erasedAt) {
                        gone.add(field);
                    }
                } catch (IllegalArgumentException e) {
                    // not a version this tool can read: left to the job, which fails on it with what to do
                }
            });
            if (!gone.isEmpty()) {
                removed += gone.size();
                redis.binary(j -> j.hdel(key.getBytes(StandardCharsets.UTF_8), gone.toArray(new byte[0][])));
            }
            if (Long.parseLong(g.getValue()) <= erasedAt) {
                redis.call(j -> j.hdel(index, g.getKey()));
            }
        }
        return removed;
    }

    @Override
    public void close() {
        redis.close();
        store.close();
    }
}
