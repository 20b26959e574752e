package io.clickstream.etl.tools;

import io.clickstream.etl.aggregate.AggregateViews;
import io.clickstream.etl.aggregate.AggregateViews.View;
import io.clickstream.etl.clickhouse.ClickHouseEndpoints;
import io.clickstream.etl.clickhouse.ClickHouseSql;
import io.clickstream.etl.clickhouse.ClusterAlter;
import io.clickstream.etl.clickhouse.TabSeparated;
import io.clickstream.etl.config.JobConfig;
import io.clickstream.etl.config.Options;
import io.clickstream.etl.config.Parsers;
import io.clickstream.etl.join.JoinRule;
import io.clickstream.etl.kafka.ErasureTopic;
import io.clickstream.etl.privacy.ErasureTracker;
import io.clickstream.etl.privacy.PrivacySettings;
import io.clickstream.etl.privacy.Pseudonymizer;
import io.clickstream.etl.redis.RedisErasureAcks;
import io.clickstream.etl.redis.RedisSettings;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;

/**
 * Erases users (a data subject's request): their events, sessions and per-user aggregates in ClickHouse, the
 * per-page aggregates of the days they were active, and their state in Redis; and reports what it removed.
 *
 * <pre>java -cp clickstream-etl.jar io.clickstream.etl.tools.Erase --config clickstream.yaml --user u100042 [--dry-run]</pre>
 *
 * <p>The order is what makes it stick while the job runs:
 *
 * <ol>
 *   <li>The erasure goes on the erasure list (privacy.erasure-topic), dated privacy.erasure-lead ahead: it covers the
 *       user's inputs published up to then. The list is durable: a replay, a restore of an older checkpoint, a
 *       Redis that lost its data all meet it.
 *   <li>The tool waits until every task of a running job has acknowledged it (ErasureTracker): then nothing from
 *       before the erasure can still reach ClickHouse or Redis — not a pending session row, not a row in a sink's
 *       buffer or retry, not a join value.
 *   <li>Only then it deletes: the Redis state from before the erasure, the user's join values, the rows in
 *       ClickHouse published up to the erasure (mutations on every replica, waited for), and recomputes the
 *       aggregates.
 * </ol>
 *
 * <p>ClickHouse statements name the users by their hash (uh) only, and the one statement that computes the hashes
 * is not logged, so neither system.mutations, the distributed DDL queue in ZooKeeper nor the query log hold an erased
 * id an analyst could read.
 */
public final class Erase {
    private static final String USAGE =
            "usage: Erase (--user ID)... [--users-file FILE] [--config FILE] [--set key=value]..."
                    + " [--previous-key-file FILE]... [--dry-run] [--wait DURATION] [--remember DAYS]\n"
                    + "  --user               a user id exactly as the producers send it (repeat for more; no splitting)\n"
                    + "  --users-file         one user id per line, exactly (empty lines skipped)\n"
                    + "  --previous-key-file  a pseudonymization key used before the current one: the pseudonyms it gave are"
                    + " erased too\n"
                    + "  --dry-run            count what would be removed, change nothing\n"
                    + "  --wait               how long to wait for a running job's tasks to acknowledge (default 30m)\n"
                    + "  --remember           how long erasures stay on the list (default 90 days: at least as long as Kafka keeps"
                    + " the topics)";
    /**
     * The tables with rows per user, and which of a user's rows an erasure deletes: those whose column {@code dated}
     * is at or before the erasure (a session the user started afresh after it stays), or all of them where it is null.
     * Rows of the aggregates hold everything of a user-day: they go, and what remains is counted again. users_daily:
     * fed until V006 made user_days, still holding the days before it. corrected_days: which of the user's days late
     * events corrected (V008); a day of the user's recomputed from the events is plain again.
     */
    private record PerUserTable(String name, String dated) {}

    private static final List<PerUserTable> PER_USER_TABLES = List.of(
            new PerUserTable("events_local", "version"),
            new PerUserTable("sessions_local", "record_time"),
            new PerUserTable("user_days_local", null),
            new PerUserTable("users_daily_local", null),
            new PerUserTable("corrected_days_local", null));
    /** An acknowledgement older than this comes from a task that no longer runs. */
    private static final long FRESH_MS = 3 * ErasureTracker.ACK_REFRESH_MS;

    private Erase() {}

    public static void main(String[] args) {
        CommandLine.run(args, Erase::run);
    }

    public static void run(String... args) throws Exception {
        CommandLine cli = new CommandLine(
                args, Set.of("user", "users-file", "previous-key-file", "wait", "remember"), Set.of("dry-run"), USAGE);
        Set<String> given = new LinkedHashSet<>(cli.all("user"));
        if (cli.get("users-file", null) != null) {
            for (String line : Files.readAllLines(Path.of(cli.get("users-file", null)), StandardCharsets.UTF_8)) {
                if (!line.isEmpty()) {
                    given.add(line);
                }
            }
        }
        if (given.isEmpty() || given.contains("")) {
            throw new IllegalArgumentException(
                    "--user ID (or --users-file) is required, and an id is never empty\n" + USAGE);
        }
        JobConfig config = cli.config();
        Map<String, Set<String>> stored = storedForms(config, given, cli.all("previous-key-file"));
        Set<String> ids = new LinkedHashSet<>();
        stored.values().forEach(ids::addAll);
        boolean dryRun = cli.flag("dry-run");
        Duration wait = Parsers.duration(cli.get("wait", "30m"));
        long rememberMs =
                Duration.ofDays(Long.parseLong(cli.get("remember", "90"))).toMillis();
        String db = config.get(Options.CLICKHOUSE_DATABASE);
        String cluster = config.get(Options.CLICKHOUSE_CLUSTER);
        RedisSettings redis = RedisSettings.from(config, System.getenv());
        ClickHouseEndpoints endpoints = ClickHouseEndpoints.from(config, System.getenv());

        try (ClickHouseSql sql = new ClickHouseSql(endpoints.withSocketTimeout(Duration.ofHours(1)));
                RedisErasureAcks acks = new RedisErasureAcks(redis)) {
            String hashes = hashes(sql, ids);
            Map<String, Long> before = counts(sql, db, hashes, Long.MAX_VALUE);
            Map<String, ErasureTopic.Erasure> listed = ErasureTopic.readAll(config);
            Set<LocalDate> days = new TreeSet<>();
            for (String d : TabSeparated.column(sql.execute(
                    "SELECT DISTINCT dt FROM " + db + ".events WHERE uh IN (" + hashes + ") FORMAT TabSeparated"))) {
                days.add(LocalDate.parse(d.trim()));
            }
            // A run that stopped after deleting the events left the days on the list.
            ids.forEach(id -> {
                if (listed.get(id) != null) {
                    days.addAll(listed.get(id).days());
                }
            });
            stored.forEach((user, forms) -> System.out.println("user " + user + ": stored as " + forms.size()
                    + " form(s)" + (forms.contains(user) ? "" : " (pseudonyms)")));
            System.out.println("rows in " + db + ": " + before + "; active on " + days.size() + " day(s) " + days);
            if (dryRun) {
                System.out.println("dry run: nothing changed");
                return;
            }

            Published published = publish(config, ids, days, listed, rememberMs);
            long erasedAt = published.erasedAt();
            System.out.printf(
                    "on the erasure list (%s) up to %d; waiting for the tasks of a running job to acknowledge%n",
                    config.get(Options.PRIVACY_ERASURE_TOPIC), erasedAt);
            awaitAcknowledged(acks, published.version(), wait);

            int records = 0;
            int olderKeys = 0;
            int joinVersions = 0;
            try (ErasedRedisState state =
                    new ErasedRedisState(redis, JoinRule.parseAll(config.get(Options.JOIN_RULES)))) {
                for (String id : ids) {
                    ErasedRedisState.Removed r = state.erase(id, erasedAt);
                    records += r.record() ? 1 : 0;
                    olderKeys += r.olderKeys();
                    joinVersions += r.joinVersions();
                }
            }

            String marker = Long.toString(erasedAt);
            requireEveryReplica(sql, config, endpoints, cluster);
            ClusterAlter alter = ClusterAlter.of(sql, endpoints, cluster);
            for (PerUserTable table : PER_USER_TABLES) {
                // The marker is in every mutation's text, dated or not: awaitMutations finds them by it.
                alter.run(
                        db + "." + table.name(),
                        "DELETE WHERE uh IN (" + hashes + ") AND "
                                + (table.dated() == null ? marker + " > 0" : table.dated() + " <= " + marker));
            }
            awaitMutations(config, endpoints, db, marker);
            Map<String, List<View>> views = Aggregates.views(sql, db);
            LocalDate today = LocalDate.now(ZoneOffset.UTC);
            List<LocalDate> rebuilt = new ArrayList<>();
            for (LocalDate day : days) {
                if (day.isBefore(today)) {
                    Aggregates.rebuildDay(sql, db, alter, views, day, false);
                    rebuilt.add(day);
                }
            }
            // The user-days not rebuilt whole (today; any after the erasure): from the user's remaining events.
            for (View view : views.getOrDefault("user_days_local", List.of())) {
                sql.execute(
                        AggregateViews.rebuildInsert(db, view, "uh IN (" + hashes + ") AND dt >= '" + today + "'"),
                        Map.of("insert_distributed_sync", "1"));
            }
            Map<String, Long> after = counts(sql, db, hashes, erasedAt);
            System.out.println("removed: " + diff(before, counts(sql, db, hashes, Long.MAX_VALUE)) + "; Redis: "
                    + records + " record(s), " + olderKeys + " key(s) of the earlier layout, " + joinVersions
                    + " join value(s); aggregates of " + rebuilt.size() + " day(s) recomputed " + rebuilt);
            if (days.contains(today)) {
                System.out.println(
                        "today's objects_daily still counts them until it is recomputed: run tools.Aggregates"
                                + " rebuild --from " + today + " --to " + today + " tomorrow");
            }
            if (after.get("events") > 0 || after.get("sessions") > 0) {
                throw new IllegalStateException("rows from before the erasure are left: " + after + " (run it again)");
            }
            System.out.println(
                    "erased: " + String.join(", ", stored.keySet())
                            + "; Kafka keeps the raw events until its retention (the job leaves them out if it reads them again)");
        }
    }

    /** The erasures' date and the list position the job's tasks must acknowledge. */
    private record Published(long erasedAt, long version) {}

    /**
     * The forms a user id is stored in: as given (also when pseudonyms are on: they may have been off before), and
     * its pseudonym under the current key and under each previous one.
     */
    static Map<String, Set<String>> storedForms(JobConfig config, Set<String> given, List<String> previousKeyFiles)
            throws Exception {
        PrivacySettings privacy = PrivacySettings.from(config);
        List<Pseudonymizer> keys = new ArrayList<>();
        if (privacy.pseudonymize().contains("user_id")) {
            keys.add(privacy.pseudonymizer(System.getenv()));
        }
        for (String file : previousKeyFiles) {
            keys.add(new PrivacySettings(privacy.ip(), List.of("user_id"), file).pseudonymizer(Map.of()));
        }
        Map<String, Set<String>> out = new LinkedHashMap<>();
        for (String user : given) {
            Set<String> forms = new LinkedHashSet<>();
            forms.add(user);
            keys.forEach(k -> forms.add(k.pseudonym(user)));
            out.put(user, forms);
        }
        return out;
    }

    /**
     * The users' hashes as the tables' uh column holds them, computed by ClickHouse in a query that is not logged
     * (the only statement that carries the ids).
     */
    private static String hashes(ClickHouseSql sql, Set<String> ids) throws Exception {
        String list = ids.stream().map(ClickHouseSql::literal).collect(Collectors.joining(", "));
        String out = sql.execute(
                "SELECT cityHash64(arrayJoin([" + list + "])) FORMAT TabSeparated", Map.of("log_queries", "0"));
        return String.join(", ", TabSeparated.column(out));
    }

    /**
     * Puts the erasures on the list, dated privacy.erasure-lead ahead, with the days found; erasures older than
     * {@code rememberMs} leave it. A publish that took longer than the clocks' margin is done again with a later date,
     * so that every task that has not read it yet is sure to be before that date.
     */
    private static Published publish(
            JobConfig config,
            Set<String> ids,
            Set<LocalDate> days,
            Map<String, ErasureTopic.Erasure> listed,
            long rememberMs)
            throws Exception {
        long lead = config.get(Options.PRIVACY_ERASURE_LEAD).toMillis();
        for (int attempt = 1; ; attempt++) {
            long started = System.currentTimeMillis();
            long erasedAt = started + lead;
            Map<String, ErasureTopic.Erasure> records = new LinkedHashMap<>();
            listed.forEach((id, e) -> {
                if (e.erasedAt() < started - rememberMs) {
                    records.put(id, null); // Kafka no longer holds what it guarded against
                }
            });
            ids.forEach(id -> records.put(id, new ErasureTopic.Erasure(erasedAt, new ArrayList<>(days))));
            long version = ErasureTopic.publish(config, records);
            if (System.currentTimeMillis() - started < ErasureTracker.CLOCK_MARGIN_MS / 2 || attempt == 3) {
                return new Published(erasedAt, version);
            }
        }
    }

    /** Waits until every task of a running job has acknowledged list position {@code version}. */
    private static void awaitAcknowledged(RedisErasureAcks acks, long version, Duration wait) throws Exception {
        long deadline = System.currentTimeMillis() + wait.toMillis();
        long printed = 0;
        while (true) {
            long now = System.currentTimeMillis();
            RedisErasureAcks.Coverage c = RedisErasureAcks.coverage(acks.read(), version, now - FRESH_MS);
            if (!c.running()) {
                System.out.println("no running job has acknowledged the list in the last " + FRESH_MS / 1000
                        + " s: none runs (a job reads the list before it starts)");
                break;
            }
            if (c.complete()) {
                System.out.println("every task of the running job acknowledged the erasure");
                break;
            }
            if (now > deadline) {
                throw new IllegalStateException("after " + wait
                        + " these tasks still have not acknowledged the erasure: "
                        + c.behind() + ". Is the job's checkpointing working (acknowledgements follow completed "
                        + "checkpoints)? Nothing was deleted; the erasure is on the list and the job keeps leaving the "
                        + "users' inputs out. Run Erase again to finish.");
            }
            if (now - printed > 10_000) {
                printed = now;
                System.out.println("waiting for " + c.behind().size() + " task(s): " + c.behind());
            }
            Thread.sleep(500);
        }
        acks.forgetOlderThan(System.currentTimeMillis() - Duration.ofDays(1).toMillis());
    }

    /** Erase waits on every replica: clickhouse.urls must list them all. */
    private static void requireEveryReplica(
            ClickHouseSql sql, JobConfig config, ClickHouseEndpoints endpoints, String cluster) throws Exception {
        long replicas = Long.parseLong(sql.execute("SELECT count() FROM system.clusters WHERE cluster = "
                        + ClickHouseSql.literal(cluster) + " FORMAT TabSeparated")
                .trim());
        Set<String> seen = new TreeSet<>();
        for (String url : config.get(Options.CLICKHOUSE_URLS)) {
            try (ClickHouseSql node = new ClickHouseSql(endpoints, url)) {
                seen.add(node.execute("SELECT groupArray(substitution) FROM (SELECT substitution FROM system.macros "
                                + "WHERE macro IN ('shard', 'replica') ORDER BY macro) FORMAT TabSeparated")
                        .trim());
            }
        }
        if (seen.size() < replicas) {
            throw new IllegalStateException(Options.CLICKHOUSE_URLS.key() + " reaches " + seen.size() + " of the "
                    + replicas + " replicas of cluster " + cluster + ": Erase waits until every replica has deleted "
                    + "the rows, so list every node's URL there (nothing was deleted in ClickHouse yet; the erasure "
                    + "is on the list: run Erase again with the full list)");
        }
    }

    private static Map<String, Long> counts(ClickHouseSql sql, String db, String hashes, long upTo) throws Exception {
        Map<String, Long> out = new LinkedHashMap<>();
        out.put(
                "events",
                count(
                        sql,
                        "SELECT count() FROM " + db + ".events WHERE uh IN (" + hashes + ") AND version <= " + upTo));
        out.put(
                "sessions",
                count(
                        sql,
                        "SELECT count() FROM " + db + ".sessions WHERE uh IN (" + hashes + ") AND record_time <= "
                                + upTo));
        out.put("user_days", count(sql, "SELECT count() FROM " + db + ".user_days WHERE uh IN (" + hashes + ")"));
        out.put("users_daily", count(sql, "SELECT count() FROM " + db + ".users_daily WHERE uh IN (" + hashes + ")"));
        return out;
    }

    private static long count(ClickHouseSql sql, String query) throws Exception {
        return Long.parseLong(sql.execute(query + " FORMAT TabSeparated").trim());
    }

    private static Map<String, Long> diff(Map<String, Long> before, Map<String, Long> after) {
        Map<String, Long> out = new LinkedHashMap<>();
        before.forEach((k, v) -> out.put(k, v - after.getOrDefault(k, 0L)));
        return out;
    }

    /**
     * Waits until every node of clickhouse.urls has applied this run's mutations (those carrying {@code marker}),
     * whatever other mutations are pending there.
     */
    private static void awaitMutations(JobConfig config, ClickHouseEndpoints endpoints, String db, String marker)
            throws Exception {
        long deadline = System.currentTimeMillis() + Duration.ofMinutes(30).toMillis();
        String tables = PER_USER_TABLES.stream()
                .map(t -> ClickHouseSql.literal(t.name()))
                .collect(Collectors.joining(", "));
        for (String url : config.get(Options.CLICKHOUSE_URLS)) {
            try (ClickHouseSql node = new ClickHouseSql(endpoints, url)) {
                while (true) {
                    String[] state = node.execute("SELECT count(), countIf(is_done = 0) FROM "
                                    + "system.mutations WHERE database = " + ClickHouseSql.literal(db)
                                    + " AND table IN (" + tables + ") AND position(command, "
                                    + ClickHouseSql.literal(marker) + ") > 0 FORMAT TabSeparated")
                            .trim()
                            .split("\t", -1);
                    // Every table's mutation has reached this replica (from ZooKeeper) and is done there.
                    if (Long.parseLong(state[0]) >= PER_USER_TABLES.size() && state[1].equals("0")) {
                        break;
                    }
                    if (System.currentTimeMillis() > deadline) {
                        throw new IllegalStateException(url + " has not applied the erasure's deletes in 30 minutes ("
                                + state[0] + " seen, " + state[1] + " not done): see system.mutations there (its "
                                + "latest_fail_reason on current versions) and the server's log; run Erase again");
                    }
                    Thread.sleep(500);
                }
            }
        }
    }
}
