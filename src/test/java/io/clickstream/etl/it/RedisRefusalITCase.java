package io.clickstream.etl.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.clickstream.etl.event.Event;
import io.clickstream.etl.redis.RedisSettings;
import io.clickstream.etl.session.SessionRules;
import io.clickstream.etl.testing.FakeFunnelTopic;
import io.clickstream.etl.user.UserStepOperator;
import io.clickstream.etl.user.UserStepSettings;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.apache.flink.streaming.util.OneInputStreamOperatorTestHarness;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.Jedis;

/**
 * A real Redis server that refuses the job's calls — full under noeviction, or a login it does not know — fails
 * the sessions step at once with what to fix, instead of retrying for ever while the job looks merely slow. The
 * server is this test's own (redis-server from the local stack), so the shared one is never filled or reconfigured.
 */
class RedisRefusalITCase {
    private Process server;
    private Path dir;

    private int startServer(String... extra) throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        dir = Files.createTempDirectory("redis-refusal");
        java.util.List<String> cmd = new java.util.ArrayList<>(java.util.List.of(
                "redis-server",
                "--port",
                String.valueOf(port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                dir.toString()));
        cmd.addAll(java.util.List.of(extra));
        server = new ProcessBuilder(cmd)
                .redirectErrorStream(true)
                .redirectOutput(dir.resolve("log").toFile())
                .start();
        long deadline = System.currentTimeMillis() + 10_000;
        while (true) {
            try (Jedis j = new Jedis("127.0.0.1", port)) {
                j.ping();
                return port;
            } catch (Exception e) {
                if (System.currentTimeMillis() > deadline) {
                    throw new IllegalStateException("redis-server did not start, see " + dir.resolve("log"), e);
                }
                Thread.sleep(100);
            }
        }
    }

    @AfterEach
    void stopServer() throws Exception {
        if (server != null) {
            server.destroy();
            server.waitFor(10, TimeUnit.SECONDS);
        }
    }

    private static OneInputStreamOperatorTestHarness<Event, Event> sessions(RedisSettings redis) throws Exception {
        UserStepSettings settings = new UserStepSettings(
                SessionRules.defaults(),
                java.util.List.of(),
                1,
                Duration.ofMillis(100),
                1000,
                Duration.ofSeconds(10),
                Duration.ofDays(90),
                Duration.ofDays(7),
                Duration.ofDays(30),
                Duration.ofSeconds(1),
                Duration.ofSeconds(30));
        OneInputStreamOperatorTestHarness<Event, Event> h =
                new OneInputStreamOperatorTestHarness<>(new UserStepOperator(
                        settings,
                        redis.users(),
                        FakeFunnelTopic.definitions("refusal"),
                        io.clickstream.etl.testing.FakeErasureList.feed("refusal", true)));
        h.open();
        return h;
    }

    private static Event event() {
        Event e = new Event();
        e.eventId = "e1";
        e.userId = "u1";
        e.eventType = "page_view";
        e.eventTime = System.currentTimeMillis();
        e.source = "web";
        return e;
    }

    @Test
    void aFullRedisUnderNoevictionFailsTheJobAtOnceSayingSo() throws Exception {
        int port = startServer("--maxmemory", "2mb", "--maxmemory-policy", "noeviction");
        try (Jedis j = new Jedis("127.0.0.1", port)) {
            // Small values up to the limit, so that no write of any size fits any more.
            byte[] block = new byte[1024];
            for (int i = 0; i < 100_000; i++) {
                try {
                    j.set(("fill" + i).getBytes(), block);
                } catch (redis.clients.jedis.exceptions.JedisDataException full) {
                    break;
                }
            }
        }
        OneInputStreamOperatorTestHarness<Event, Event> h =
                sessions(new RedisSettings("127.0.0.1", port, null, null, 2000, "refusal"));
        try {
            h.processElement(event(), 0); // a read needs no memory; the event's state is written at the barrier
            assertThatThrownBy(() -> h.prepareSnapshotPreBarrier(1))
                    .hasMessageContaining("OOM")
                    .hasMessageContaining("raise maxmemory");
            assertThat(h.getOutput())
                    .as("the event left, its checkpoint fails: replayed after the restore")
                    .hasSize(1);
        } finally {
            assertThatThrownBy(h::close)
                    .as("the harness's close ends the input, which writes again")
                    .hasMessageContaining("OOM");
        }
    }

    @Test
    void aLoginRedisDoesNotKnowFailsTheJobNamingTheSettings() throws Exception {
        int port = startServer();
        OneInputStreamOperatorTestHarness<Event, Event> h =
                sessions(new RedisSettings("127.0.0.1", port, "nobody", "not-the-password", 2000, "refusal"));
        try {
            assertThatThrownBy(() -> h.processElement(event(), 0))
                    .hasMessageContaining("WRONGPASS")
                    .hasMessageContaining("redis.user");
        } finally {
            h.close();
        }
    }
}
