package io.clickstream.etl.tools;

import io.clickstream.etl.aggregate.AggregateViews.View;
import io.clickstream.etl.clickhouse.ClickHouseEndpoints;
import io.clickstream.etl.clickhouse.ClickHouseSql;
import io.clickstream.etl.clickhouse.TabSeparated;
import io.clickstream.etl.config.JobConfig;
import io.clickstream.etl.config.Options;
import io.clickstream.etl.privacy.ErasedUsers;
import io.clickstream.etl.privacy.PrivacySettings;
import io.clickstream.etl.privacy.Pseudonymizer;
import io.clickstream.etl.redis.RedisConnection;
import io.clickstream.etl.redis.RedisSettings;
import java.time.Duration;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Erases users (a data subject's request): their events, sessions and per-user aggregates in ClickHouse, the
 * per-page aggregates of the days they were active, and their state in Redis; and reports what it removed.
 *
 * <pre>java -cp clickstream-etl.jar io.clickstream.etl.tools.Erase --config clickstream.yaml --user u100042 [--dry-run]</pre>
 *
 * <p>Order matters while the job runs: first the erasure is recorded in Redis (the job's per-user tasks read it
 * every {@code privacy.erasure-check-interval}, leave out the user's events up to that time — also those a replay
 * reads again — and forget the user's cached state); after they have all seen it, the user's Redis hash is deleted
 * and ClickHouse's rows are deleted (mutations on every shard, waited for), then the aggregates of the affected past
 * days are recomputed without them.
 */
public final class Erase {
    private static final String USAGE =
            "usage: Erase --user ID[,ID...] [--config FILE] [--set key=value]... [--dry-run]"
                    + " [--settle DURATION] [--remember DAYS]\n"
                    + "  --user      user ids as the producers send them (pseudonymized here when privacy.pseudonymize has user_id)\n"
                    + "  --dry-run   count what would be removed, change nothing\n"
                    + "  --settle    wait between recording the erasure and deleting (default: 2 x privacy.erasure-check-interval"
                    + " + 5 s), so that every task of a running job has seen it\n"
                    + "  --remember  how long the erasure is kept, for replays (default 90: keep it at least as long as Kafka keeps"
                    + " the topics)";
    private static final List<String> PER_USER_TABLES = List.of("events_local", "sessions_local", "users_daily_local");

    private Erase() {}

    public static void main(String[] args) {
        CommandLine.run(args, Erase::run);
    }

    public static void run(String... args) throws Exception {
        CommandLine cli = new CommandLine(args, Set.of("user", "settle", "remember"), Set.of("dry-run"), USAGE);
        String given = cli.get("user", null);
        if (given == null || given.isBlank()) {
            throw new IllegalArgumentException("--user is required\n" + USAGE);
        }
        JobConfig config = cli.config();
        PrivacySettings privacy = PrivacySettings.from(config);
        Pseudonymizer pseudonymizer =
                privacy.pseudonymize().contains("user_id") ? privacy.pseudonymizer(System.getenv()) : null;
        Map<String, String> stored = new LinkedHashMap<>();
        for (String user : given.split(",")) {
            if (!user.isBlank()) {
                stored.put(user.strip(), pseudonymizer == null ? user.strip() : pseudonymizer.pseudonym(user.strip()));
            }
        }
        boolean dryRun = cli.flag("dry-run");
        Duration settle = cli.get("settle", null) == null
                ? config.get(Options.PRIVACY_ERASURE_CHECK).multipliedBy(2).plusSeconds(5)
                : io.clickstream.etl.config.Parsers.duration(cli.get("settle", null));
        long rememberMs =
                Duration.ofDays(Long.parseLong(cli.get("remember", "90"))).toMillis();
        String db = config.get(Options.CLICKHOUSE_DATABASE);
        String cluster = config.get(Options.CLICKHOUSE_CLUSTER);
        RedisSettings redis = RedisSettings.from(config, System.getenv());
        String ids = stored.values().stream().map(ClickHouseSql::literal).collect(Collectors.joining(", "));

        try (ClickHouseSql sql = new ClickHouseSql(
                        ClickHouseEndpoints.from(config, System.getenv()).withSocketTimeout(Duration.ofHours(1)));
                RedisConnection redisConnection = new RedisConnection(redis)) {
            Map<String, Long> before = counts(sql, db, ids);
            List<LocalDate> days = new ArrayList<>();
            for (String d : TabSeparated.column(sql.execute("SELECT DISTINCT dt FROM " + db
                    + ".events WHERE user_id IN (" + ids + ") ORDER BY dt FORMAT TabSeparated"))) {
                days.add(LocalDate.parse(d.trim()));
            }
            Map<String, Long> redisFields = new LinkedHashMap<>();
            for (String id : stored.values()) {
                redisFields.put(id, redisConnection.call(j -> j.hlen(userKey(redis, id))));
            }
            stored.forEach((user, id) -> System.out.println("user " + user
                    + (user.equals(id) ? "" : " (stored as " + id + ")") + ": Redis fields " + redisFields.get(id)));
            System.out.println("rows in " + db + ": " + before + "; active on " + days.size() + " day(s) " + days);
            if (dryRun) {
                System.out.println("dry run: nothing changed");
                return;
            }

            long erasedAt = System.currentTimeMillis();
            String erasedKey = redis.keyPrefix() + ":" + ErasedUsers.KEY;
            redisConnection.call(j -> {
                stored.values().forEach(id -> j.hset(erasedKey, id, Long.toString(erasedAt)));
                // Erasures older than --remember are dropped: Kafka no longer holds what they were guarding against.
                j.hgetAll(erasedKey).forEach((id, at) -> {
                    if (Long.parseLong(at) < erasedAt - rememberMs) {
                        j.hdel(erasedKey, id);
                    }
                });
                return null;
            });
            System.out.printf(
                    "recorded in %s at %d; waiting %d s for the job's tasks to see it%n",
                    erasedKey, erasedAt, settle.toSeconds());
            Thread.sleep(settle.toMillis());

            long deletedKeys = redisConnection.call(j ->
                    j.del(stored.values().stream().map(id -> userKey(redis, id)).toArray(String[]::new)));
            for (String table : PER_USER_TABLES) {
                sql.execute("ALTER TABLE " + db + "." + table + " ON CLUSTER " + cluster + " DELETE WHERE user_id IN ("
                        + ids + ")");
            }
            awaitMutations(config, db);
            Map<String, List<View>> views = Aggregates.views(sql, db);
            LocalDate today = LocalDate.now(ZoneOffset.UTC);
            List<LocalDate> rebuilt = new ArrayList<>();
            for (LocalDate day : days) {
                if (day.isBefore(today)) {
                    Aggregates.rebuildDay(sql, db, cluster, views, day, false);
                    rebuilt.add(day);
                }
            }
            Map<String, Long> after = counts(sql, db, ids);
            System.out.println("removed: " + diff(before, after) + "; Redis: " + deletedKeys + " key(s), "
                    + redisFields.values().stream().mapToLong(Long::longValue).sum() + " field(s); aggregates of "
                    + rebuilt.size() + " day(s) recomputed " + rebuilt);
            if (days.contains(today)) {
                System.out.println(
                        "today's objects_daily still counts them until it is recomputed: run tools.Aggregates"
                                + " rebuild --from " + today + " --to " + today + " tomorrow");
            }
            if (after.values().stream().anyMatch(n -> n > 0)) {
                throw new IllegalStateException("rows are left after the erasure: " + after
                        + " (rows inserted while it ran?" + " run it again)");
            }
            System.out.println(
                    "erased: " + String.join(", ", stored.keySet()) + "; left in " + db + ": " + after
                            + "; Kafka keeps the raw events until its retention (the job leaves them out if it reads them again)");
        }
    }

    private static String userKey(RedisSettings redis, String id) {
        return redis.keyPrefix() + ":user:" + id;
    }

    private static Map<String, Long> counts(ClickHouseSql sql, String db, String ids) throws Exception {
        Map<String, Long> out = new LinkedHashMap<>();
        for (String table : PER_USER_TABLES) {
            String distributed = table.substring(0, table.length() - "_local".length());
            out.put(
                    distributed,
                    Long.parseLong(sql.execute("SELECT count() FROM " + db + "." + distributed + " WHERE user_id IN ("
                                    + ids + ") FORMAT TabSeparated")
                            .trim()));
        }
        return out;
    }

    private static Map<String, Long> diff(Map<String, Long> before, Map<String, Long> after) {
        Map<String, Long> out = new LinkedHashMap<>();
        before.forEach((k, v) -> out.put(k, v - after.getOrDefault(k, 0L)));
        return out;
    }

    /** Waits until every node of clickhouse.urls has applied its mutations of {@code db}. */
    private static void awaitMutations(JobConfig config, String db) throws Exception {
        ClickHouseEndpoints endpoints = ClickHouseEndpoints.from(config, System.getenv());
        long deadline = System.currentTimeMillis() + Duration.ofMinutes(30).toMillis();
        for (String url : config.get(Options.CLICKHOUSE_URLS)) {
            try (ClickHouseSql node = new ClickHouseSql(endpoints, url)) {
                while (true) {
                    String left = node.execute("SELECT count() FROM system.mutations WHERE database = "
                                    + ClickHouseSql.literal(db) + " AND is_done = 0 FORMAT TabSeparated")
                            .trim();
                    if (left.equals("0")) {
                        break;
                    }
                    if (System.currentTimeMillis() > deadline) {
                        throw new IllegalStateException(url + " has not applied " + left + " mutation(s) of " + db
                                + " in 30 minutes: see system.mutations there (latest_fail_reason)");
                    }
                    Thread.sleep(500);
                }
            }
        }
    }
}
