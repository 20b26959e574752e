package io.clickstream.etl.tools;

import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.clickstream.etl.config.JobConfig;
import io.clickstream.etl.config.Options;
import io.clickstream.etl.kafka.Topics;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * Produces a synthetic click stream into the job's topics: users with sessions (30-minute gaps), page views,
 * clicks, carts and purchases on web and app, order and payment events from a backend service, realistic IPs,
 * user agents and referrers, plus an optional share of malformed inputs. Seeded: the same arguments give the
 * same events.
 *
 * <pre>java -cp clickstream-etl.jar io.clickstream.etl.tools.EventGenerator --config flink-conf/clickstream.yaml \
 *     --count 100000 --rate 20000 --invalid-ratio 0.01</pre>
 */
public final class EventGenerator {
    private static final String USAGE = "usage: EventGenerator [--config FILE] [--set key=value]... [options]\n"
            + "  Writes to kafka.topics (1st: web, 2nd: app, 3rd: backend events) at kafka.bootstrap-servers.\n"
            + "  --count N           events to produce (default 100000)\n"
            + "  --rate N            events per second, 0 = as fast as possible (default 0)\n"
            + "  --users N           distinct users (default 5000)\n"
            + "  --span-minutes N    event times spread over the N minutes before now (default 360)\n"
            + "  --until-minutes-ago N  the span ends N minutes before now (default 0): history that ends where a\n"
            + "                      live stream's times begin\n"
            + "  --invalid-ratio R   share of malformed inputs, 0..1 (default 0)\n"
            + "  --seed N            random seed (default 42)\n"
            + "  --growing           users join one after another over the span (user k from k/N of it on), as a\n"
            + "                      site's audience grows: history with cohorts; default: every user from the start\n"
            + "  --millis-only       every ts as epoch milliseconds (default: 1 in 10 as ISO-8601 text); for readers\n"
            + "                      that take one type only, like ClickHouse's Kafka engine\n"
            + "  --create-topics N   create missing topics (and the dead-letter topic) with N partitions\n"
            + "  --file PATH         write NDJSON to PATH (gzip if it ends in .gz) instead of sending: history for\n"
            + "                      tools.Backfill, in time order\n"
            + "  --http URL          send through the HTTP collector at URL (e.g. http://127.0.0.1:8088) instead of\n"
            + "                      straight to Kafka: sources web, app, backend for the config's 1st, 2nd, 3rd topic\n"
            + "  --summary FILE      write the counts as JSON\n"
            + "  --late-share R      share of events sent late, 0..1 (default 0): each such event is sent after the\n"
            + "                      events --late-minutes later than it (a phone uploading a batch hours late)\n"
            + "  --late-minutes N    how late, in event time (default 60)";

    private static final JsonMapper JSON = new JsonMapper();
    /** The collector's default routes: source name per topic of `kafka.topics`, in order. */
    private static final String[] HTTP_SOURCES = {"web", "app", "backend"};

    private static final String[] PAGES = {
        "/",
        "/search",
        "/category/shoes",
        "/category/jackets",
        "/category/bags",
        "/product/1001",
        "/product/1002",
        "/product/2001",
        "/product/3005",
        "/blog/how-to-choose",
        "/about",
        "/help/shipping",
        "/account",
        "/cart",
        "/checkout"
    };
    private static final String[] REFERRERS = {
        "",
        "",
        "",
        "https://www.google.com/",
        "https://www.bing.com/",
        "https://t.co/x1",
        "https://news.example.org/deals",
        "https://mail.example.com/newsletter"
    };
    private static final String[] USER_AGENTS = {
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_6) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15",
        "Mozilla/5.0 (X11; Linux x86_64; rv:132.0) Gecko/20100101 Firefox/132.0",
        "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1",
        "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36",
        "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"
    };
    private static final String[] APP_AGENTS = {
        "ShopApp/5.2.1 (iOS 18.1; iPhone15,2)", "ShopApp/5.2.0 (Android 14; Pixel 8)"
    };
    private static final long SESSION_GAP_MS = 30 * 60_000L;

    private final Random random;
    private final List<User> users = new ArrayList<>();
    private final long startMs;
    private final long spanMs;
    boolean millisOnly;
    boolean growing;

    EventGenerator(long seed, int userCount, long startMs, long spanMs) {
        this.random = new Random(seed);
        this.startMs = startMs;
        this.spanMs = spanMs;
        for (int i = 0; i < userCount; i++) {
            users.add(new User("u" + (100000 + i), randomIp(), random.nextInt(3)));
        }
    }

    public static void main(String[] args) {
        CommandLine.run(args, EventGenerator::run);
    }

    static void run(String[] args) throws Exception {
        CommandLine cli = new CommandLine(
                args,
                Set.of(
                        "count",
                        "rate",
                        "users",
                        "span-minutes",
                        "until-minutes-ago",
                        "invalid-ratio",
                        "seed",
                        "create-topics",
                        "summary",
                        "http",
                        "file",
                        "late-share",
                        "late-minutes"),
                Set.of("millis-only", "growing"),
                USAGE);
        JobConfig config = cli.config();
        int count = cli.getInt("count", 100_000);
        int rate = cli.getInt("rate", 0);
        double invalidRatio = cli.getDouble("invalid-ratio", 0);
        long spanMs = cli.getInt("span-minutes", 360) * 60_000L;
        double lateShare = cli.getDouble("late-share", 0);
        long lateMs = cli.getInt("late-minutes", 60) * 60_000L;
        if (count < 0 || rate < 0 || invalidRatio < 0 || invalidRatio > 1 || cli.getInt("users", 5000) <= 0) {
            throw new IllegalArgumentException("--count and --rate must be >= 0, --users > 0, --invalid-ratio in 0..1");
        }
        if (lateShare < 0 || lateShare > 1 || lateMs < 0) {
            throw new IllegalArgumentException("--late-share must be in 0..1, --late-minutes >= 0");
        }
        // The events held back, by the index of the event after which they are sent: event i's time is the span's
        // start plus span * i / (count - 1), so "late minutes later" is a fixed number of events later.
        long lateBy = count <= 1 || spanMs == 0 ? 0 : (long) Math.ceil((double) lateMs * (count - 1) / spanMs);
        java.util.ArrayDeque<Object[]> held = new java.util.ArrayDeque<>();
        java.util.Random lateRandom = new java.util.Random(cli.getInt("seed", 42) + 1L);
        long sentLate = 0;
        String bootstrap = config.get(Options.KAFKA_BOOTSTRAP_SERVERS);
        List<String> topics = config.get(Options.KAFKA_TOPICS);
        int partitions = cli.getInt("create-topics", 0);
        if (partitions > 0) {
            List<String> all = new ArrayList<>(topics);
            all.add(config.get(Options.DEAD_LETTER_TOPIC));
            createTopics(config.kafkaClientProperties(), Topics.of(config), all, partitions);
        }

        long endMs = System.currentTimeMillis() - cli.getInt("until-minutes-ago", 0) * 60_000L;
        EventGenerator generator =
                new EventGenerator(cli.getInt("seed", 42), cli.getInt("users", 5000), endMs - spanMs, spanMs);
        generator.millisOnly = cli.flag("millis-only");
        generator.growing = cli.flag("growing");
        Map<String, Long> perTopic = new TreeMap<>();
        long valid = 0;
        long invalid = 0;
        AtomicLong acked = new AtomicLong();
        AtomicReference<Exception> sendError = new AtomicReference<>();
        long began = System.nanoTime();
        long lastReport = began;
        String httpUrl = cli.get("http", null);
        HttpEventSender http = httpUrl == null ? null : new HttpEventSender(httpUrl);
        String file = cli.get("file", null);
        java.io.OutputStream out = file == null
                ? null
                : new java.io.BufferedOutputStream(
                        file.endsWith(".gz")
                                ? new java.util.zip.GZIPOutputStream(Files.newOutputStream(Path.of(file)), 1 << 16)
                                : Files.newOutputStream(Path.of(file)),
                        1 << 16);
        try (KafkaProducer<byte[], byte[]> producer =
                http != null || out != null ? null : producer(config.kafkaClientProperties())) {
            List<Generated> toSend = new ArrayList<>();
            for (int i = 0; i < count; i++) {
                Generated next = generator.next(i, count, topics.size(), invalidRatio);
                toSend.clear();
                while (!held.isEmpty() && (long) held.peekFirst()[0] <= i) {
                    toSend.add((Generated) held.pollFirst()[1]);
                }
                if (lateShare > 0 && lateRandom.nextDouble() < lateShare) {
                    held.addLast(new Object[] {i + lateBy, next});
                    sentLate++;
                } else {
                    toSend.add(next);
                }
                if (i == count - 1) {
                    held.forEach(h -> toSend.add((Generated) h[1]));
                    held.clear();
                }
                for (Generated g : toSend) {
                    String topic = topics.get(g.topicIndex);
                    if (out != null) {
                        out.write(g.value);
                        out.write('\n');
                    } else if (http != null) {
                        http.send(HTTP_SOURCES[g.topicIndex % HTTP_SOURCES.length], g.value, g.valid);
                    } else {
                        producer.send(new ProducerRecord<>(topic, g.key, g.value), (md, e) -> {
                            if (e != null) {
                                sendError.compareAndSet(null, e);
                            } else {
                                acked.incrementAndGet();
                            }
                        });
                    }
                    perTopic.merge(topic, 1L, Long::sum);
                    if (g.valid) {
                        valid++;
                    } else {
                        invalid++;
                    }
                    if (sendError.get() != null) {
                        throw sendError.get();
                    }
                }
                if (rate > 0) {
                    long due = began + (long) ((i + 1) * 1e9 / rate);
                    long wait = due - System.nanoTime();
                    if (wait > 0) {
                        Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
                    }
                }
                long now = System.nanoTime();
                if (now - lastReport >= 1_000_000_000L) {
                    lastReport = now;
                    System.out.printf(
                            "sent %d/%d events (%.0f/s), %d malformed%n",
                            i + 1, count, (i + 1) / ((now - began) / 1e9), invalid);
                }
            }
            if (out != null) {
                out.close();
                acked.set(count);
            } else if (http != null) {
                http.close();
                acked.set(http.accepted.get());
            } else {
                producer.flush();
            }
        }
        if (sendError.get() != null) {
            throw sendError.get();
        }
        double seconds = (System.nanoTime() - began) / 1e9;
        System.out.printf(
                "done: %d events (%d valid, %d malformed) in %.1f s, %.0f events/s, acknowledged %d%n",
                count, valid, invalid, seconds, count / seconds, acked.get());
        if (lateShare > 0) {
            System.out.printf("sent late: %d events, %d minutes after their time%n", sentLate, lateMs / 60_000);
        }
        if (http != null) {
            System.out.printf(
                    "through the collector: %d accepted, refused %s, %d requests sent again after a 503%n",
                    http.accepted.get(), http.refusedSummary(), http.retried.get());
        }
        String summaryFile = cli.get("summary", null);
        if (summaryFile != null) {
            ObjectNode s = JSON.createObjectNode();
            s.put("events", count);
            s.put("valid", valid);
            s.put("malformed", invalid);
            s.set("per_topic", JSON.valueToTree(perTopic));
            s.put("late", sentLate);
            if (http != null) {
                s.put("collector_accepted", http.accepted.get());
                s.set("collector_refused", JSON.valueToTree(http.refused));
            }
            Files.writeString(Path.of(summaryFile), JSON.writeValueAsString(s) + "\n");
        }
    }

    // ----------------------------------------------------------------------------------------- simulation

    private static final class User {
        final String id;
        final String ip;
        final int platform; // 0, 1: web (desktop or mobile); 2: app
        long lastEventAt = Long.MIN_VALUE / 2; // half: "now - lastEventAt" must not overflow
        int step;
        String page = "/";
        String referrer = "";
        String userAgent;

        User(String id, String ip, int platform) {
            this.id = id;
            this.ip = ip;
            this.platform = platform;
        }
    }

    static final class Generated {
        final int topicIndex;
        final byte[] key;
        final byte[] value;
        final boolean valid;

        Generated(int topicIndex, byte[] key, byte[] value, boolean valid) {
            this.topicIndex = topicIndex;
            this.key = key;
            this.value = value;
            this.valid = valid;
        }
    }

    Generated next(int i, int count, int topicCount, double invalidRatio) {
        // A few users are far more active than most (skewed choice), as on real sites; growing: among those who
        // have joined by now, the earliest the most active.
        int joined = growing ? Math.max(1, (int) ((long) users.size() * (i + 1) / Math.max(1, count))) : users.size();
        User u = users.get((int) (joined * Math.pow(random.nextDouble(), 2.5)));
        long now = startMs + (count <= 1 ? 0 : spanMs * i / (count - 1));
        boolean newSession = now - u.lastEventAt > SESSION_GAP_MS;
        if (newSession) {
            u.step = 0;
            u.page = PAGES[random.nextInt(6)];
            u.referrer = REFERRERS[random.nextInt(REFERRERS.length)];
            u.userAgent = u.platform == 2
                    ? APP_AGENTS[random.nextInt(APP_AGENTS.length)]
                    : USER_AGENTS[random.nextInt(USER_AGENTS.length)];
        }
        u.lastEventAt = now;
        String eventType = nextType(u, newSession);
        boolean backend = eventType.equals("order_created") || eventType.equals("payment_succeeded");
        int role = backend ? 2 : (u.platform == 2 ? 1 : 0);
        int topicIndex = role % topicCount;

        ObjectNode e = JSON.createObjectNode();
        e.put("event_id", uuid());
        e.put("user_id", u.id);
        e.put("event_type", eventType);
        // Both accepted forms of ts: mostly epoch milliseconds, some ISO-8601.
        if (!millisOnly && random.nextInt(10) == 0) {
            e.put("ts", java.time.Instant.ofEpochMilli(now).toString());
        } else {
            e.put("ts", now);
        }
        if (role != 2) {
            e.put("source", role == 1 ? "app" : "web");
            e.put("url", "https://shop.example.com" + u.page);
            e.put("referrer", u.step <= 1 ? u.referrer : "https://shop.example.com/");
            e.put("ip", u.ip);
            e.put("user_agent", u.userAgent);
        }
        ObjectNode props = e.putObject("properties");
        switch (eventType) {
            case "click":
                props.put("element", random.nextBoolean() ? "buy-button" : "nav-link");
                break;
            case "add_to_cart":
            case "purchase":
            case "order_created":
                props.put("product_id", u.page.startsWith("/product/") ? u.page.substring(9) : "1001");
                props.put("price", Math.round(random.nextDouble() * 20000) / 100.0);
                props.put("currency", "EUR");
                break;
            case "search":
                props.put("query", random.nextBoolean() ? "running shoes" : "rain jacket");
                break;
            default:
                break;
        }
        byte[] key = u.id.getBytes(StandardCharsets.UTF_8);
        if (random.nextDouble() < invalidRatio) {
            return new Generated(topicIndex, key, malformed(e, now), false);
        }
        return new Generated(topicIndex, key, e.toString().getBytes(StandardCharsets.UTF_8), true);
    }

    /** page_view → (click | search)* → add_to_cart → checkout → purchase, with drop-offs at every step. */
    private String nextType(User u, boolean newSession) {
        if (newSession) {
            u.step = 1;
            return "page_view";
        }
        double r = random.nextDouble();
        if (u.step == 1 && r < 0.12) {
            u.step = 2;
            u.page = "/cart";
            return "add_to_cart";
        }
        if (u.step == 2 && r < 0.35) {
            u.step = 3;
            u.page = "/checkout";
            return "checkout_started";
        }
        if (u.step == 3 && r < 0.5) {
            u.step = 4;
            return "purchase";
        }
        if (u.step == 4) {
            u.step = r < 0.5 ? 5 : 1;
            return "order_created";
        }
        if (u.step == 5) {
            u.step = 1;
            return "payment_succeeded";
        }
        if (r < 0.55) {
            u.page = PAGES[random.nextInt(PAGES.length)];
            return "page_view";
        }
        if (r < 0.85) {
            return "click";
        }
        if (r < 0.95) {
            return "search";
        }
        return r < 0.98 ? "scroll" : "signup";
    }

    private byte[] malformed(ObjectNode e, long now) {
        switch (random.nextInt(11)) {
            case 0:
                return "{\"event_id\": \"x\", \"user_id\": ".getBytes(StandardCharsets.UTF_8);
            case 1:
                e.remove("user_id");
                break;
            case 2:
                e.put("event_id", "  ");
                break;
            case 3:
                e.put("ts", "yesterday afternoon");
                break;
            case 4:
                e.put("ts", now / 1000);
                break;
            case 5:
                e.put("user_id", 12.5);
                break;
            case 6:
                return ("[" + e + "]").getBytes(StandardCharsets.UTF_8);
            case 7:
                e.put("url", "https://shop.example.com/?q=" + "x".repeat(70_000));
                break;
            case 8:
                byte[] bytes = e.toString().getBytes(StandardCharsets.UTF_8);
                bytes[bytes.length / 2] = (byte) 0xC3;
                bytes[bytes.length / 2 + 1] = (byte) 0x28;
                return bytes;
            case 9:
                return new byte[0];
            default:
                e.put("ts", now + 400L * 24 * 3600 * 1000);
                break;
        }
        return e.toString().getBytes(StandardCharsets.UTF_8);
    }

    private String uuid() {
        return new java.util.UUID(random.nextLong(), random.nextLong()).toString();
    }

    private String randomIp() {
        // A quarter IPv6, some private addresses (geo must cope with them).
        int kind = random.nextInt(8);
        if (kind == 0) {
            return String.format(
                    "2a02:%x:%x::%x", random.nextInt(0xffff), random.nextInt(0xffff), random.nextInt(0xffff));
        }
        if (kind == 1) {
            return "10.0." + random.nextInt(256) + "." + random.nextInt(256);
        }
        return (1 + random.nextInt(222)) + "." + random.nextInt(256) + "." + random.nextInt(256) + "."
                + (1 + random.nextInt(254));
    }

    // ------------------------------------------------------------------------------------------------ Kafka

    private static KafkaProducer<byte[], byte[]> producer(Map<String, String> kafka) {
        Properties p = new Properties();
        p.putAll(kafka);
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.LINGER_MS_CONFIG, "20");
        p.put(ProducerConfig.BATCH_SIZE_CONFIG, "262144");
        p.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, "2097152");
        return new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer());
    }

    static void createTopics(Map<String, String> kafka, Topics how, List<String> topics, int partitions)
            throws Exception {
        Properties p = new Properties();
        p.putAll(kafka);
        try (Admin admin = Admin.create(p)) {
            List<String> created = how.createMissing(admin, topics, partitions);
            if (!created.isEmpty()) {
                System.out.println("created topics " + created);
            }
        }
    }
}
