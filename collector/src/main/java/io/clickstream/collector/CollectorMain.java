package io.clickstream.collector;

import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code java -jar clickstream-collector.jar [--config collector.properties]}: production wiring only. Settings from
 * the file, overridden by {@code CLICKSTREAM_COLLECTOR_*} environment variables; Kafka client secrets through
 * {@code kafka.properties.*} with Kafka's config providers ({@code ${env:…}}, {@code ${file:…}}), never on the command line.
 */
public final class CollectorMain {
    private static final Logger LOG = LoggerFactory.getLogger(CollectorMain.class);

    private CollectorMain() {}

    public static void main(String[] args) throws Exception {
        Properties file = new Properties();
        for (int i = 0; i < args.length; i++) {
            if (args[i].equals("--config") && i + 1 < args.length) {
                try (Reader r = Files.newBufferedReader(Path.of(args[++i]))) {
                    file.load(r);
                } catch (IOException e) {
                    System.err.println("cannot read the collector's settings file: " + e.getMessage());
                    System.exit(2);
                }
            } else {
                System.err.println("usage: java -jar clickstream-collector.jar [--config collector.properties]");
                System.exit(2);
            }
        }
        CollectorSettings settings;
        try {
            settings = CollectorSettings.from(CollectorSettings.merge(file, System.getenv()));
        } catch (IllegalArgumentException e) {
            System.err.println(e.getMessage());
            System.exit(2);
            return;
        }
        Set<String> topics = new HashSet<>(settings.routes().values());
        if (settings.defaultTopic() != null) {
            topics.add(settings.defaultTopic());
        }
        Collector collector = Collector.start(settings, new KafkaEventSink(settings, topics));
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime()
                .addShutdownHook(new Thread(
                        () -> {
                            LOG.info("stopping: finishing open requests, flushing to Kafka");
                            collector.close();
                            stopped.countDown();
                        },
                        "collector-shutdown"));
        stopped.await();
    }
}
