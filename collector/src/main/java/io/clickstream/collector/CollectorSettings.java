package io.clickstream.collector;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;

/**
 * What the collector is told, built from {@code key=value} settings in one place ({@link #from(Map)}): a properties
 * file, then environment variables {@code CLICKSTREAM_COLLECTOR_<KEY>} (upper case, '.' and '-' as '_').
 */
public record CollectorSettings(
        String host,
        int port,
        int eventLoops,
        String kafkaBootstrapServers,
        Map<String, String> kafkaProperties,
        Map<String, String> routes,
        String defaultTopic,
        int maxBodyBytes,
        int maxEventsPerRequest,
        int maxEventBytes,
        List<String> corsOrigins,
        TrustedProxies trustedProxies,
        Duration sendTimeout,
        int maxInFlightEvents,
        long maxInFlightBytes,
        int maxConnections,
        int maxConcurrentRequests,
        Duration bodyReadTimeout,
        boolean trustBodyIp,
        String adminHost,
        int adminPort,
        int retryAfterSeconds,
        Duration shutdownTimeout) {

    /** Every key, with its default ("" = none) and what it does; docs/ingest.md's collector table lists the same. */
    public static final Map<String, String[]> KEYS = keys();

    private static Map<String, String[]> keys() {
        Map<String, String[]> k = new LinkedHashMap<>();
        k.put("host", new String[] {"0.0.0.0", "address to listen on"});
        k.put("port", new String[] {"8088", "HTTP port"});
        k.put("event-loops", new String[] {"0", "Netty event loops (0: one per core)"});
        k.put("kafka.bootstrap-servers", new String[] {"127.0.0.1:9092", "Kafka brokers"});
        k.put("routes", new String[] {
            "web:clickstream-web,app:clickstream-app,backend:clickstream-backend",
            "source:topic pairs: an event's `source` (or the request's `?source=`) picks its topic"
        });
        k.put("default-topic", new String[] {
            "", "topic for sources not in `routes`; empty: such events are refused (400 unknown_source)"
        });
        k.put("max-body-bytes", new String[] {"1048576", "largest request body, after gzip decompression (413 above)"});
        k.put("max-events-per-request", new String[] {"1000", "most events in one request (400 above)"});
        k.put(
                "max-event-bytes",
                new String[] {"65536", "largest event, as written to Kafka (the job's validation.max-event-bytes)"});
        k.put("cors-origins", new String[] {"", "origins allowed to POST from browsers, comma-separated (`*` for any)"
        });
        k.put("trusted-proxies", new String[] {"", "addresses/CIDRs whose X-Forwarded-For is believed, comma-separated"
        });
        k.put("send-timeout", new String[] {"10s", "how long Kafka may take to acknowledge before the request gets 503"
        });
        k.put(
                "max-in-flight-events",
                new String[] {"100000", "events sent but not yet acknowledged; above it requests get 503"});
        k.put("max-in-flight-bytes", new String[] {
            "33554432",
            "bytes held at once: request bodies being read and events not yet acknowledged; above it requests get 503"
                    + " (at most half the heap and half the producer's buffer.memory)"
        });
        k.put("max-connections", new String[] {"10000", "open connections; a connection beyond it is closed at once"});
        k.put("max-concurrent-requests", new String[] {
            "2000", "requests being read or waiting for Kafka; above it a request gets 503 before its body is read"
        });
        k.put("body-read-timeout", new String[] {
            "10s", "how long a request's whole body may take to arrive (408 and the connection closed after it)"
        });
        k.put("trust-body-ip", new String[] {
            "false",
            "keep an `ip` field clients send in the body (servers relaying their users' addresses); false: it is"
                    + " removed, and the job locates the event by `client_ip`, the address the collector saw"
        });
        k.put("admin-host", new String[] {"127.0.0.1", "address of the admin port (/metrics, /ready with details)"});
        k.put("admin-port", new String[] {"8089", "admin port: /metrics, /ready with the reason, /health"});
        k.put("retry-after", new String[] {"1s", "Retry-After of a 503"});
        k.put("shutdown-timeout", new String[] {
            "5s",
            "on SIGTERM: how long open requests may take to finish; the whole stop takes about this plus 2 s (keep the"
                    + " container's grace period above that: Docker's default is 10 s)"
        });
        k.put(
                "kafka.properties.*",
                new String[] {"", "passed to the Kafka producer as is (security, compression.type, …)"});
        return k;
    }

    public static CollectorSettings from(Map<String, String> given) {
        for (String key : given.keySet()) {
            if (!KEYS.containsKey(key) && !key.startsWith("kafka.properties.")) {
                throw new IllegalArgumentException(
                        "unknown collector setting '" + key + "' (known: " + KEYS.keySet() + ")");
            }
        }
        Map<String, String> v = new LinkedHashMap<>();
        KEYS.forEach((key, d) -> v.put(key, given.getOrDefault(key, d[0]).trim()));
        Map<String, String> kafka = new LinkedHashMap<>();
        given.forEach((key, value) -> {
            if (key.startsWith("kafka.properties.")) {
                kafka.put(key.substring("kafka.properties.".length()), value);
            }
        });
        CollectorSettings s = new CollectorSettings(
                v.get("host"),
                integer(v, "port"),
                integer(v, "event-loops"),
                v.get("kafka.bootstrap-servers"),
                Map.copyOf(kafka),
                routes(v.get("routes")),
                v.get("default-topic").isEmpty() ? null : v.get("default-topic"),
                integer(v, "max-body-bytes"),
                integer(v, "max-events-per-request"),
                integer(v, "max-event-bytes"),
                list(v.get("cors-origins")),
                TrustedProxies.parse("trusted-proxies", list(v.get("trusted-proxies"))),
                duration(v, "send-timeout"),
                integer(v, "max-in-flight-events"),
                longInteger(v, "max-in-flight-bytes"),
                integer(v, "max-connections"),
                integer(v, "max-concurrent-requests"),
                duration(v, "body-read-timeout"),
                bool(v, "trust-body-ip"),
                v.get("admin-host"),
                integer(v, "admin-port"),
                (int) Math.max(1, duration(v, "retry-after").toSeconds()),
                duration(v, "shutdown-timeout"));
        s.sanityCheck();
        return s;
    }

    /** The settings file (optional), overridden by {@code CLICKSTREAM_COLLECTOR_*} variables of {@code env}. */
    public static Map<String, String> merge(Properties file, Map<String, String> env) {
        Map<String, String> out = new LinkedHashMap<>();
        file.stringPropertyNames().forEach(k -> out.put(k, file.getProperty(k)));
        for (String key : KEYS.keySet()) {
            String name = "CLICKSTREAM_COLLECTOR_"
                    + key.toUpperCase(Locale.ROOT).replace('.', '_').replace('-', '_');
            if (env.containsKey(name)) {
                out.put(key, env.get(name));
            }
        }
        return out;
    }

    public void sanityCheck() {
        check(port >= 0 && port < 65536, "port", "must be 0..65535 (0: any free port), is " + port);
        check(eventLoops >= 0, "event-loops", "must be >= 0");
        check(!kafkaBootstrapServers.isBlank(), "kafka.bootstrap-servers", "is empty");
        check(
                !routes.isEmpty() || defaultTopic != null,
                "routes",
                "no routes and no default-topic: every event would be refused");
        check(maxBodyBytes >= 1024, "max-body-bytes", "must be at least 1024");
        check(maxEventsPerRequest >= 1, "max-events-per-request", "must be at least 1");
        check(maxEventBytes >= 256 && maxEventBytes <= maxBodyBytes, "max-event-bytes", "must be 256..max-body-bytes");
        check(!sendTimeout.isNegative() && sendTimeout.toMillis() >= 1000, "send-timeout", "must be at least 1s");
        check(
                maxInFlightEvents >= maxEventsPerRequest,
                "max-in-flight-events",
                "must be at least max-events-per-request");
        check(!shutdownTimeout.isNegative(), "shutdown-timeout", "must not be negative");
        check(
                maxInFlightBytes >= 2L * maxBodyBytes,
                "max-in-flight-bytes",
                "must be at least twice max-body-bytes (a body and its events), is " + maxInFlightBytes);
        check(maxConnections >= 1, "max-connections", "must be at least 1");
        check(maxConcurrentRequests >= 1, "max-concurrent-requests", "must be at least 1");
        check(bodyReadTimeout.toMillis() >= 100, "body-read-timeout", "must be at least 100ms");
        check(adminPort >= 0 && adminPort < 65536, "admin-port", "must be 0..65535 (0: any free port)");
        check(adminPort == 0 || adminPort != port, "admin-port", "must differ from port");
    }

    /**
     * Whether the byte budget fits the heap this JVM has ({@code maxHeap}): at most half of it, the rest is for
     * everything else.
     */
    public void checkHeap(long maxHeap) {
        check(
                maxInFlightBytes <= maxHeap / 2,
                "max-in-flight-bytes",
                "(" + maxInFlightBytes + ") must be at most half the heap (-Xmx, " + maxHeap + " bytes here)");
    }

    private static void check(boolean ok, String key, String message) {
        if (!ok) {
            throw new IllegalArgumentException("collector setting '" + key + "' " + message);
        }
    }

    private static Map<String, String> routes(String text) {
        Map<String, String> out = new LinkedHashMap<>();
        for (String pair : list(text)) {
            int colon = pair.indexOf(':');
            if (colon <= 0 || colon == pair.length() - 1) {
                throw new IllegalArgumentException("collector setting 'routes': '" + pair + "' is not source:topic");
            }
            out.put(pair.substring(0, colon).trim(), pair.substring(colon + 1).trim());
        }
        return Map.copyOf(out);
    }

    private static List<String> list(String text) {
        List<String> out = new ArrayList<>();
        for (String part : text.split(",")) {
            if (!part.isBlank()) {
                out.add(part.trim());
            }
        }
        return List.copyOf(out);
    }

    private static int integer(Map<String, String> v, String key) {
        try {
            return Integer.parseInt(v.get(key));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(
                    "collector setting '" + key + "' is not a whole number: '" + v.get(key) + "'");
        }
    }

    private static long longInteger(Map<String, String> v, String key) {
        try {
            return Long.parseLong(v.get(key));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(
                    "collector setting '" + key + "' is not a whole number: '" + v.get(key) + "'");
        }
    }

    private static boolean bool(Map<String, String> v, String key) {
        String text = v.get(key).toLowerCase(Locale.ROOT);
        if (!text.equals("true") && !text.equals("false")) {
            throw new IllegalArgumentException("collector setting '" + key + "' must be true or false: '" + text + "'");
        }
        return text.equals("true");
    }

    private static Duration duration(Map<String, String> v, String key) {
        String text = v.get(key).toLowerCase(Locale.ROOT);
        try {
            if (text.endsWith("ms")) {
                return Duration.ofMillis(Long.parseLong(text.substring(0, text.length() - 2)));
            }
            if (text.endsWith("s")) {
                return Duration.ofSeconds(Long.parseLong(text.substring(0, text.length() - 1)));
            }
            if (text.endsWith("min")) {
                return Duration.ofMinutes(Long.parseLong(text.substring(0, text.length() - 3)));
            }
        } catch (NumberFormatException e) {
            // falls through to the message below
        }
        throw new IllegalArgumentException(
                "collector setting '" + key + "' is not a duration such as 500ms, 10s, 1min: '" + text + "'");
    }
}
