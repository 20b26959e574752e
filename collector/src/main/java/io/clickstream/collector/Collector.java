package io.clickstream.collector;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.vertx.core.Context;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.CorsHandler;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.common.errors.AuthenticationException;
import org.apache.kafka.common.errors.AuthorizationException;
import org.apache.kafka.common.errors.InvalidTopicException;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The HTTP collector: {@code POST /v1/events} (a JSON object, an array, or NDJSON; gzip bodies), {@code GET
 * /v1/pixel.gif} for browsers that cannot POST, {@code /health} and {@code /ready}; on a separate admin port
 * {@code /metrics} and {@code /ready} with the reason. A request is answered 200 only when Kafka has acknowledged
 * every one of its events; 400 (with a reason) refuses it whole before anything is written, or names the events
 * Kafka refused for good; 503 with Retry-After when Kafka is unavailable or too slow, or the collector is at one of
 * its limits; the answer names the events that were not acknowledged, so that a client sends those again.
 *
 * <p>Memory is bounded whatever the clients do: bodies and unacknowledged events count against a byte budget
 * ({@code max-in-flight-bytes}), connections and concurrent requests are limited, a body must arrive within {@code
 * body-read-timeout}, and nothing waits on an event loop.
 */
public final class Collector implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Collector.class);
    /** A transparent 1×1 GIF. */
    static final byte[] PIXEL = Base64.getDecoder().decode("R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7");

    private final CollectorSettings settings;
    private final EventSink sink;
    private final CollectorMetrics metrics = new CollectorMetrics();
    private final EventReader reader;
    private final Vertx vertx;
    private final Budget budget;
    private final AtomicInteger requests = new AtomicInteger();
    private final AtomicInteger connections = new AtomicInteger();
    private final List<HttpServer> servers = new CopyOnWriteArrayList<>();
    private volatile HttpServer admin;
    private volatile boolean shuttingDown;
    private volatile int port;

    private Collector(CollectorSettings settings, EventSink sink) {
        this.settings = settings;
        this.sink = sink;
        this.reader = new EventReader(settings.maxEventsPerRequest());
        this.budget = new Budget(settings.maxInFlightBytes());
        this.vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(loops(settings)));
        metrics.registry.gauge("collector.bytes.in_flight", budget, Budget::used);
        metrics.registry.gauge("collector.requests.in_flight", requests);
        metrics.registry.gauge("collector.connections", connections);
    }

    private static int loops(CollectorSettings settings) {
        return settings.eventLoops() > 0
                ? settings.eventLoops()
                : Runtime.getRuntime().availableProcessors();
    }

    /** Starts listening (one server per event loop, sharing the port, and the admin port); returns once it does. */
    public static Collector start(CollectorSettings settings, EventSink sink) throws Exception {
        settings.checkHeap(Runtime.getRuntime().maxMemory());
        Collector c = new Collector(settings, sink);
        Router router = c.router();
        HttpServerOptions options = new HttpServerOptions()
                .setHost(settings.host())
                .setPort(settings.port())
                .setDecompressionSupported(true)
                // HTTP/1.1 only: behind a TLS-terminating balancer h2c buys nothing, and Vert.x does not decompress
                // bodies of requests upgraded to it.
                .setHttp2ClearTextEnabled(false)
                .setTcpNoDelay(true)
                .setIdleTimeout(120);
        AtomicInteger bound = new AtomicInteger();
        c.vertx
                .deployVerticle(
                        () -> new VerticleBase() {
                            @Override
                            public Future<?> start() {
                                return vertx.createHttpServer(options)
                                        .connectionHandler(c::connection)
                                        .requestHandler(router)
                                        .listen()
                                        .onSuccess(s -> {
                                            c.servers.add(s);
                                            bound.set(s.actualPort());
                                        });
                            }
                        },
                        new DeploymentOptions().setInstances(loops(settings)))
                .toCompletionStage()
                .toCompletableFuture()
                .get(30, TimeUnit.SECONDS);
        c.port = bound.get();
        c.admin = c.vertx
                .createHttpServer(
                        new HttpServerOptions().setHost(settings.adminHost()).setPort(settings.adminPort()))
                .requestHandler(c.adminRouter())
                .listen()
                .toCompletionStage()
                .toCompletableFuture()
                .get(30, TimeUnit.SECONDS);
        LOG.info(
                "collector listening on {}:{} ({} event loops), admin on {}:{}, routes {}, default topic {}",
                settings.host(),
                c.port,
                loops(settings),
                settings.adminHost(),
                c.admin.actualPort(),
                settings.routes(),
                settings.defaultTopic());
        return c;
    }

    public int port() {
        return port;
    }

    public int adminPort() {
        return admin.actualPort();
    }

    private void connection(io.vertx.core.http.HttpConnection connection) {
        if (connections.incrementAndGet() > settings.maxConnections()) {
            connections.decrementAndGet();
            metrics.refused("too_many_connections", 1);
            connection.close();
            return;
        }
        connection.closeHandler(v -> connections.decrementAndGet());
    }

    private Router router() {
        Router router = Router.router(vertx);
        if (!settings.corsOrigins().isEmpty()) {
            CorsHandler cors = CorsHandler.create()
                    .allowedMethods(Set.of(HttpMethod.POST, HttpMethod.GET, HttpMethod.OPTIONS))
                    .allowedHeaders(Set.of("Content-Type", "Content-Encoding"))
                    .maxAgeSeconds(3600);
            if (!settings.corsOrigins().contains("*")) {
                cors.addOrigins(settings.corsOrigins());
            }
            router.route("/v1/*").handler(cors);
        }
        router.post("/v1/events").handler(this::postEvents);
        router.get("/v1/pixel.gif").handler(this::pixel);
        router.get("/health")
                .handler(ctx ->
                        ctx.response().putHeader("Content-Type", "text/plain").end("ok\n"));
        // For a load balancer: whether to send traffic here, without the reason (that is on the admin port).
        router.get("/ready")
                .handler(ctx ->
                        ctx.response().setStatusCode(isReady() ? 200 : 503).end(isReady() ? "ready\n" : "not ready\n"));
        router.route().failureHandler(this::failure);
        return router;
    }

    private Router adminRouter() {
        Router router = Router.router(vertx);
        router.get("/health").handler(ctx -> ctx.response().end("ok\n"));
        router.get("/ready").handler(this::readiness);
        router.get("/metrics")
                .handler(ctx -> ctx.response()
                        .putHeader("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
                        .end(metrics.scrape()));
        return router;
    }

    /** An unexpected failure of a request: as {@link #failure}. */
    private void internal(Exchange x, Throwable e) {
        if (!x.finish()) {
            return;
        }
        String id = UUID.randomUUID().toString().substring(0, 8);
        LOG.error("request failed (error {})", id, e);
        metrics.refused("internal_error", 1);
        json(x.ctx.response().setStatusCode(500), error("internal_error", "see the collector's log, error " + id, -1));
        metrics.request(x.endpoint, 500, x.start);
    }

    /** An unexpected failure: logged with an id; the client gets the id, never the exception's text. */
    private void failure(RoutingContext ctx) {
        int status = ctx.statusCode() > 0 ? ctx.statusCode() : 500;
        String id = UUID.randomUUID().toString().substring(0, 8);
        if (status >= 500) {
            LOG.error("request failed (error {})", id, ctx.failure());
        }
        metrics.refused(status >= 500 ? "internal_error" : "failed", 1);
        json(
                ctx.response().setStatusCode(status),
                error(status >= 500 ? "internal_error" : "failed", "see the collector's log, error " + id, -1));
    }

    private boolean isReady() {
        return !shuttingDown && sink.ready();
    }

    private void readiness(RoutingContext ctx) {
        if (shuttingDown) {
            ctx.response().setStatusCode(503).end("shutting down\n");
        } else if (!sink.ready()) {
            String why = sink instanceof KafkaEventSink k ? k.problem() : "";
            ctx.response().setStatusCode(503).end("Kafka not usable: " + why + "\n");
        } else {
            ctx.response().end("ready\n");
        }
    }

    // ------------------------------------------------------------------------------------------ one request

    /** One request's counters, released exactly once when it is answered (or its connection goes). */
    private final class Exchange {
        final RoutingContext ctx;
        final String endpoint;
        final boolean pixel;
        final long start = System.nanoTime();
        private final AtomicBoolean done = new AtomicBoolean();
        private long reserved;
        private long timer = -1;
        /** The body as it arrives; dropped once read, so a request waiting for Kafka holds only its events. */
        private Buffer body;

        Exchange(RoutingContext ctx, String endpoint, boolean pixel) {
            this.ctx = ctx;
            this.endpoint = endpoint;
            this.pixel = pixel;
        }

        boolean reserve(long bytes) {
            if (!budget.tryReserve(bytes)) {
                return false;
            }
            reserved += bytes;
            return true;
        }

        void unreserve(long bytes) {
            budget.release(bytes);
            reserved -= bytes;
        }

        /** True for the one caller that answers. */
        boolean finish() {
            if (!done.compareAndSet(false, true)) {
                return false;
            }
            body = null;
            if (timer >= 0) {
                vertx.cancelTimer(timer);
            }
            budget.release(reserved);
            reserved = 0;
            requests.decrementAndGet();
            return true;
        }

        boolean finished() {
            return done.get();
        }
    }

    private void postEvents(RoutingContext ctx) {
        HttpServerRequest req = ctx.request();
        Exchange x = new Exchange(ctx, "events", false);
        requests.incrementAndGet();
        if (shuttingDown) {
            unavailable(x, "shutting_down", "the collector is stopping", List.of(), 0, true);
            return;
        }
        if (requests.get() > settings.maxConcurrentRequests()) {
            unavailable(x, "overloaded", "too many requests at once", List.of(), 0, true);
            return;
        }
        // Sized from Content-Length where there is one (never above the limit): no doubling copies as it grows.
        String length = req.getHeader("Content-Length");
        int expected = 4096;
        try {
            expected = length == null ? expected : (int) Math.min(Long.parseLong(length), settings.maxBodyBytes());
        } catch (NumberFormatException e) {
            // the decoder refuses such a request before it gets here
        }
        x.body = Buffer.buffer(Math.max(expected, 16));
        x.timer = vertx.setTimer(settings.bodyReadTimeout().toMillis(), id -> {
            if (x.finish()) {
                metrics.refused("body_timeout", 1);
                closing(x, 408)
                        .end(error(
                                        "body_timeout",
                                        "the body did not arrive within "
                                                + settings.bodyReadTimeout().toMillis() + " ms (body-read-timeout)",
                                        -1)
                                .toString());
                metrics.request(x.endpoint, 408, x.start);
            }
        });
        req.handler(chunk -> {
            if (x.finished()) {
                return;
            }
            if (x.body.length() + chunk.length() > settings.maxBodyBytes()) {
                if (x.finish()) {
                    metrics.refused("body_too_large", 1);
                    closing(x, 413)
                            .end(error(
                                            "body_too_large",
                                            "the body is larger than " + settings.maxBodyBytes()
                                                    + " bytes (max-body-bytes, after decompression)",
                                            -1)
                                    .toString());
                    metrics.request(x.endpoint, 413, x.start);
                }
                return;
            }
            if (!x.reserve(chunk.length())) {
                unavailable(x, "overloaded", "more bytes in flight than max-in-flight-bytes", List.of(), 0, true);
                return;
            }
            x.body.appendBuffer(chunk);
        });
        req.exceptionHandler(e -> x.finish()); // the connection went: nothing to answer
        req.endHandler(v -> {
            if (!x.finished()) {
                vertx.cancelTimer(x.timer); // read in time: from here on it waits for Kafka, up to send-timeout
                x.timer = -1;
                byte[] bytes = x.body.getBytes();
                x.body = null;
                received(x, bytes);
            }
        });
        req.resume();
    }

    private void received(Exchange x, byte[] body) {
        List<ObjectNode> events;
        try {
            events = reader.read(body);
        } catch (BadRequest e) {
            refuse(x, e);
            return;
        }
        accept(x, events, x.ctx.request().getParam("source"));
    }

    private void pixel(RoutingContext ctx) {
        Exchange x = new Exchange(ctx, "pixel", true);
        requests.incrementAndGet();
        ObjectNode event = PixelEvents.fromQuery(
                ctx.request().params(),
                ctx.request().getHeader("Referer"),
                ctx.request().getHeader("User-Agent"),
                System.currentTimeMillis());
        if (shuttingDown || requests.get() > settings.maxConcurrentRequests()) {
            unavailable(x, shuttingDown ? "shutting_down" : "overloaded", "", List.of(), 0, false);
            return;
        }
        try {
            reader.read(EventReader.MAPPER.writeValueAsBytes(event));
        } catch (BadRequest | JsonProcessingException e) {
            BadRequest b = e instanceof BadRequest br ? br : new BadRequest("malformed_json", 0, e.getMessage());
            refuse(x, b);
            return;
        }
        accept(x, List.of(event), null);
    }

    private void accept(Exchange x, List<ObjectNode> events, String requestSource) {
        if (events.isEmpty()) { // an empty array: nothing to wait for
            answer(x, 0, List.of(), List.of(), null);
            return;
        }
        long receivedAt = System.currentTimeMillis();
        HttpServerRequest req = x.ctx.request();
        String peer = req.remoteAddress() == null ? "" : req.remoteAddress().hostAddress();
        String client =
                settings.trustedProxies().clientAddress(peer, req.headers().getAll("X-Forwarded-For"));
        List<Record> records = new ArrayList<>(events.size());
        long bytes = 0;
        try {
            for (int i = 0; i < events.size(); i++) {
                Record r = record(events.get(i), i, requestSource, receivedAt, client);
                records.add(r);
                bytes += r.value.length;
            }
        } catch (BadRequest e) {
            refuse(x, e);
            return;
        }
        // A request that arrived before a stop began is still taken: the stop waits for it.
        if (!sink.ready()) {
            unavailable(
                    x,
                    "kafka_unavailable",
                    "Kafka is not reachable or the topics are missing",
                    indexes(events.size()),
                    0,
                    false);
            return;
        }
        int n = records.size();
        long bodyBytes = x.reserved;
        if (metrics.inFlightEvents.addAndGet(n) > settings.maxInFlightEvents() || !x.reserve(bytes)) {
            metrics.inFlightEvents.addAndGet(-n);
            unavailable(x, "overloaded", "Kafka is slower than the events arrive", indexes(n), 0, false);
            return;
        }
        x.unreserve(bodyBytes); // the events are what is held now
        Context context = vertx.getOrCreateContext();
        AtomicInteger left = new AtomicInteger(n);
        Exception[] errors = new Exception[n];
        for (int i = 0; i < n; i++) {
            Record r = records.get(i);
            int index = i;
            java.util.function.Consumer<Exception> done = error -> {
                errors[index] = error;
                if (left.decrementAndGet() == 0) {
                    metrics.inFlightEvents.addAndGet(-n);
                    context.runOnContext(v -> acknowledged(x, n, errors));
                }
            };
            try {
                sink.send(r.topic, r.key, r.value, done);
            } catch (RuntimeException e) {
                done.accept(e); // a bug, not Kafka's answer: 500 below
            }
        }
    }

    /** All of a request's events answered by Kafka: 200, or which ones to send again (503) and which never (400). */
    private void acknowledged(Exchange x, int n, Exception[] errors) {
        for (Exception e : errors) {
            if (e != null && !(e instanceof org.apache.kafka.common.KafkaException)) {
                internal(x, e);
                return;
            }
        }
        List<Integer> retry = new ArrayList<>();
        List<Integer> rejected = new ArrayList<>();
        Exception first = null;
        boolean misconfigured = false;
        for (int i = 0; i < n; i++) {
            Exception e = errors[i];
            if (e == null) {
                continue;
            }
            first = first == null ? e : first;
            if (e instanceof RecordTooLargeException) {
                rejected.add(i); // the brokers refuse it whatever the time: sending it again cannot help
            } else {
                retry.add(i);
                misconfigured |= e instanceof InvalidTopicException
                        || e instanceof AuthorizationException
                        || e instanceof AuthenticationException;
            }
        }
        if (first != null) {
            LOG.warn(
                    "{} of {} events not acknowledged by Kafka ({} refused for good): {}",
                    retry.size() + rejected.size(),
                    n,
                    rejected.size(),
                    first.getClass().getSimpleName());
        }
        if (misconfigured) {
            metrics.refused("kafka_misconfigured", retry.size());
        }
        answer(x, n - retry.size() - rejected.size(), retry, rejected, first);
    }

    private void answer(Exchange x, int accepted, List<Integer> retry, List<Integer> rejected, Exception error) {
        if (!retry.isEmpty()) {
            unavailable(x, "kafka_unavailable", "Kafka did not acknowledge every event", retry, accepted, false);
            return;
        }
        if (!x.finish()) {
            return;
        }
        metrics.accepted.increment(accepted);
        HttpServerResponse response = x.ctx.response();
        if (x.pixel) {
            gif(response);
            metrics.request(x.endpoint, 200, x.start);
        } else if (!rejected.isEmpty()) {
            metrics.refused("event_rejected", rejected.size());
            ObjectNode body = error(
                            "event_rejected",
                            "Kafka refused these events for good (larger than the brokers take?): do not send them"
                                    + " again",
                            -1)
                    .put("accepted", accepted);
            indexList(body, "rejected_indexes", rejected);
            json(response.setStatusCode(400), body);
            metrics.request(x.endpoint, 400, x.start);
        } else {
            json(response, EventReader.MAPPER.createObjectNode().put("accepted", accepted));
            metrics.request(x.endpoint, 200, x.start);
        }
    }

    private Record record(ObjectNode event, int index, String requestSource, long receivedAt, String client)
            throws BadRequest {
        JsonNode s = event.get("source");
        String source = s != null && s.isTextual() ? s.asText() : null;
        if (source == null && requestSource != null && !requestSource.isBlank()) {
            source = requestSource;
            event.put("source", source);
        }
        String topic = source == null ? null : settings.routes().get(source);
        if (topic == null) {
            topic = settings.defaultTopic();
        }
        if (topic == null) {
            throw new BadRequest(
                    "unknown_source",
                    index,
                    "event " + index + ": source " + (source == null ? "missing" : "'" + source + "' unknown")
                            + " (known: " + settings.routes().keySet()
                            + "; set `source` in the event or ?source= on the request)");
        }
        // Server-side fields: the clients' own values are replaced, so the job can rely on them.
        event.put("received_at", receivedAt);
        event.put("client_ip", client);
        if (!settings.trustBodyIp() && event.remove("ip") != null) {
            metrics.bodyIpRemoved.increment();
        }
        byte[] value;
        try {
            value = EventReader.MAPPER.writeValueAsBytes(event);
        } catch (JsonProcessingException e) {
            throw new BadRequest("malformed_json", index, e.getOriginalMessage());
        }
        if (value.length > settings.maxEventBytes()) {
            throw new BadRequest(
                    "event_too_large",
                    index,
                    "event " + index + " is " + value.length + " bytes, more than " + settings.maxEventBytes()
                            + " (max-event-bytes)");
        }
        return new Record(topic, EventReader.userId(event).getBytes(StandardCharsets.UTF_8), value);
    }

    private record Record(String topic, byte[] key, byte[] value) {}

    private void refuse(Exchange x, BadRequest e) {
        if (!x.finish()) {
            return;
        }
        metrics.refused(e.reason(), 1);
        if (x.pixel) {
            gif(x.ctx.response()); // a browser shows the image whatever happened; the refusal is counted
        } else {
            json(x.ctx.response().setStatusCode(400), error(e.reason(), e.getMessage(), e.index()));
        }
        metrics.request(x.endpoint, x.pixel ? 200 : 400, x.start);
    }

    /**
     * 503 with Retry-After, naming the events to send again ({@code retry}, indexes in the request); {@code close}: the
     * body is still arriving, so the connection goes after the answer.
     */
    private void unavailable(
            Exchange x, String reason, String detail, List<Integer> retry, int accepted, boolean close) {
        if (!x.finish()) {
            return;
        }
        metrics.failed.increment(retry.size());
        metrics.accepted.increment(accepted);
        metrics.refused(reason, Math.max(1, retry.size()));
        if (x.pixel) {
            gif(x.ctx.response());
            metrics.request(x.endpoint, 200, x.start);
            return;
        }
        ObjectNode body = error(reason, detail, -1).put("accepted", accepted).put("failed", retry.size());
        indexList(body, "failed_indexes", retry);
        HttpServerResponse response = close ? closing(x, 503) : x.ctx.response().setStatusCode(503);
        response.putHeader("Retry-After", Integer.toString(settings.retryAfterSeconds()));
        json(response, body);
        metrics.request(x.endpoint, 503, x.start);
    }

    /** A response after which the connection closes (its request's body was not read to the end). */
    private HttpServerResponse closing(Exchange x, int status) {
        HttpServerResponse response = x.ctx.response().setStatusCode(status).putHeader("Connection", "close");
        response.endHandler(v -> x.ctx.request().connection().close());
        return response.putHeader("Content-Type", "application/json");
    }

    private static List<Integer> indexes(int n) {
        List<Integer> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            out.add(i);
        }
        return out;
    }

    private static void indexList(ObjectNode body, String name, List<Integer> indexes) {
        ArrayNode list = body.putArray(name);
        indexes.forEach(list::add);
    }

    private static void gif(HttpServerResponse response) {
        response.putHeader("Content-Type", "image/gif")
                .putHeader("Cache-Control", "no-store")
                .end(Buffer.buffer(PIXEL));
    }

    private static ObjectNode error(String reason, String detail, int index) {
        ObjectNode body =
                EventReader.MAPPER.createObjectNode().put("error", reason).put("detail", detail);
        if (index >= 0) {
            body.put("index", index);
        }
        return body;
    }

    private static void json(HttpServerResponse response, ObjectNode body) {
        response.putHeader("Content-Type", "application/json").end(body.toString());
    }

    /**
     * Graceful stop: not ready any more, new requests get 503, the open ones — being read or waiting for Kafka —
     * finish (up to shutdown-timeout), then the servers close and everything sent is flushed to Kafka.
     */
    @Override
    public void close() {
        shuttingDown = true;
        long timeoutMs = settings.shutdownTimeout().toMillis();
        long deadline = System.currentTimeMillis() + timeoutMs;
        while (requests.get() > 0 && System.currentTimeMillis() < deadline) {
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        if (requests.get() > 0) {
            LOG.warn("{} requests still open after {} ms", requests.get(), timeoutMs);
        }
        List<Future<Void>> closing = new ArrayList<>();
        servers.forEach(s -> closing.add(s.shutdown(1, TimeUnit.SECONDS)));
        if (admin != null) {
            closing.add(admin.close());
        }
        try {
            Future.all(closing).toCompletionStage().toCompletableFuture().get(3, TimeUnit.SECONDS);
        } catch (Exception e) {
            LOG.warn("closing the HTTP servers: {}", e.toString());
        }
        sink.flush();
        sink.close();
        try {
            vertx.close().toCompletionStage().toCompletableFuture().get(3, TimeUnit.SECONDS);
        } catch (Exception e) {
            LOG.warn("closing Vert.x: {}", e.toString());
        }
        LOG.info("collector stopped: {} events accepted", (long) metrics.accepted.count());
    }
}
