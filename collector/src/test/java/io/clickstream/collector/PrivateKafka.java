package io.clickstream.collector;

import java.io.File;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

/**
 * A Kafka broker of its own (KRaft, one node) for a test that stops and restarts it: the broker jars the local stack
 * installed ({@code CLICKSTREAM_KAFKA_LIBS}), its own ports and log directory, which survives a restart.
 */
final class PrivateKafka implements AutoCloseable {
    private final Path dir;
    private final String classpath;
    final int port;
    private final int controllerPort;
    private Process process;

    PrivateKafka(Path dir) throws IOException, InterruptedException {
        String libs = System.getenv("CLICKSTREAM_KAFKA_LIBS");
        if (libs == null || !new File(libs).isDirectory()) {
            throw new IllegalStateException("CLICKSTREAM_KAFKA_LIBS is not set to the Kafka broker jars: run "
                    + "`set -a; eval \"$(scripts/stack.sh env)\"; set +a` after scripts/stack.sh install");
        }
        this.dir = dir;
        this.classpath = libs + "/*";
        this.port = freePort();
        this.controllerPort = freePort();
        Files.writeString(
                dir.resolve("server.properties"),
                String.join(
                        "\n",
                        "process.roles=broker,controller",
                        "node.id=1",
                        "controller.quorum.voters=1@127.0.0.1:" + controllerPort,
                        "listeners=PLAINTEXT://127.0.0.1:" + port + ",CONTROLLER://127.0.0.1:" + controllerPort,
                        "advertised.listeners=PLAINTEXT://127.0.0.1:" + port,
                        "controller.listener.names=CONTROLLER",
                        "listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT",
                        "log.dirs=" + dir.resolve("data"),
                        "num.partitions=4",
                        "offsets.topic.replication.factor=1",
                        "transaction.state.log.replication.factor=1",
                        "transaction.state.log.min.isr=1",
                        "group.initial.rebalance.delay.ms=0",
                        "auto.create.topics.enable=false",
                        ""));
        Process format = new ProcessBuilder(
                        "java",
                        "-Xmx256m",
                        "-cp",
                        classpath,
                        "kafka.tools.StorageTool",
                        "format",
                        "-t",
                        UUID.randomUUID().toString().replace("-", "").substring(0, 22),
                        "-c",
                        dir.resolve("server.properties").toString())
                .redirectErrorStream(true)
                .redirectOutput(dir.resolve("format.log").toFile())
                .start();
        if (!format.waitFor(60, TimeUnit.SECONDS) || format.exitValue() != 0) {
            throw new IllegalStateException(
                    "formatting the private Kafka failed: " + Files.readString(dir.resolve("format.log")));
        }
    }

    String bootstrap() {
        return "127.0.0.1:" + port;
    }

    void start() throws Exception {
        process = new ProcessBuilder(List.of(
                        "java",
                        "-Xms256m",
                        "-Xmx256m",
                        "-cp",
                        classpath,
                        "-Dlog4j2.configurationFile=" + dir.resolve("none.properties"),
                        "kafka.Kafka",
                        dir.resolve("server.properties").toString()))
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(
                        dir.resolve("kafka.log").toFile()))
                .start();
        long deadline = System.currentTimeMillis() + 90_000;
        while (System.currentTimeMillis() < deadline) {
            try (Socket s = new Socket("127.0.0.1", port)) {
                return;
            } catch (IOException e) {
                if (!process.isAlive()) {
                    throw new IllegalStateException("the private Kafka exited: see " + dir.resolve("kafka.log"));
                }
                Thread.sleep(200);
            }
        }
        throw new IllegalStateException(
                "the private Kafka did not listen within 90 s: see " + dir.resolve("kafka.log"));
    }

    /** A clean stop (SIGTERM), as an operator's restart does. */
    void stop() throws InterruptedException {
        if (process != null && process.isAlive()) {
            process.destroy();
            if (!process.waitFor(30, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor();
            }
        }
    }

    @Override
    public void close() throws InterruptedException {
        stop();
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }
}
