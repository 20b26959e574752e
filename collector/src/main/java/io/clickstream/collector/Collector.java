package io.clickstream.collector;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
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
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import io.vertx.ext.web.handler.CorsHandler;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The HTTP collector: {@code POST /v1/events} (a JSON object, an array, or NDJSON; gzip bodies), {@code GET
 * /v1/pixel.gif} for browsers that cannot POST, {@code /health}, {@code /ready}, {@code /metrics}. A request is
 * answered 200 only when Kafka has acknowledged every one of its events; 400 (with a reason) refuses it whole before
 * anything is written; 503 with Retry-After when Kafka is unavailable, too slow or the collector is overloaded.
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
    private final List<HttpServer> servers = new CopyOnWriteArrayList<>();
    private volatile boolean shuttingDown;
    private volatile int port;

    private Collector(CollectorSettings settings, EventSink sink) {
        this.settings = settings;
        this.sink = sink;
        this.reader = new EventReader(settings.maxEventsPerRequest());
        int loops = settings.eventLoops() > 0
                ? settings.eventLoops()
                : Runtime.getRuntime().availableProcessors();
        this.vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(loops));
    }

    /** Starts listening (one server per event loop, sharing the port); returns once it does. */
    public static Collector start(CollectorSettings settings, EventSink sink) throws Exception {
        Collector c = new Collector(settings, sink);
        Router router = c.router();
        int loops = settings.eventLoops() > 0
                ? settings.eventLoops()
                : Runtime.getRuntime().availableProcessors();
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
                                        .requestHandler(router)
                                        .listen()
                                        .onSuccess(s -> {
                                            c.servers.add(s);
                                            bound.set(s.actualPort());
                                        });
                            }
                        },
                        new DeploymentOptions().setInstances(loops))
                .toCompletionStage()
                .toCompletableFuture()
                .get(30, TimeUnit.SECONDS);
        c.port = bound.get();
        LOG.info(
                "collector listening on {}:{} ({} event loops), routes {}, default topic {}",
                settings.host(),
                c.port,
                loops,
                settings.routes(),
                settings.defaultTopic());
        return c;
    }

    public int port() {
        return port;
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
        router.post("/v1/events").handler(BodyHandler.create(false).setBodyLimit(settings.maxBodyBytes()));
        router.post("/v1/events").handler(this::postEvents);
        router.get("/v1/pixel.gif").handler(this::pixel);
        router.get("/health")
                .handler(ctx ->
                        ctx.response().putHeader("Content-Type", "text/plain").end("ok\n"));
        router.get("/ready").handler(this::readiness);
        router.get("/metrics")
                .handler(ctx -> ctx.response()
                        .putHeader("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
                        .end(metrics.scrape()));
        router.route().failureHandler(ctx -> {
            int status = ctx.statusCode() > 0 ? ctx.statusCode() : 500;
            String reason = status == 413 ? "body_too_large" : "failed";
            String detail = status == 413
                    ? "the body is larger than " + settings.maxBodyBytes()
                            + " bytes (max-body-bytes, after decompression)"
                    : String.valueOf(ctx.failure());
            if (status >= 500) {
                LOG.error("request failed", ctx.failure());
            }
            metrics.refused(reason, 1);
            json(ctx.response().setStatusCode(status), error(reason, detail, -1));
        });
        return router;
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

    private void postEvents(RoutingContext ctx) {
        long start = System.nanoTime();
        List<ObjectNode> events;
        try {
            byte[] body = ctx.body().buffer() == null
                    ? new byte[0]
                    : ctx.body().buffer().getBytes();
            events = reader.read(body);
        } catch (BadRequest e) {
            refuse(ctx, "events", start, e);
            return;
        }
        accept(ctx, "events", start, events, ctx.request().getParam("source"), false);
    }

    private void pixel(RoutingContext ctx) {
        long start = System.nanoTime();
        ObjectNode event = PixelEvents.fromQuery(
                ctx.request().params(),
                ctx.request().getHeader("Referer"),
                ctx.request().getHeader("User-Agent"),
                System.currentTimeMillis());
        try {
            reader.read(EventReader.MAPPER.writeValueAsBytes(event));
        } catch (BadRequest | JsonProcessingException e) {
            BadRequest b = e instanceof BadRequest br ? br : new BadRequest("malformed_json", 0, e.getMessage());
            refuse(ctx, "pixel", start, b);
            return;
        }
        accept(ctx, "pixel", start, List.of(event), null, true);
    }

    private void accept(
            RoutingContext ctx,
            String endpoint,
            long start,
            List<ObjectNode> events,
            String requestSource,
            boolean pixel) {
        long receivedAt = System.currentTimeMillis();
        String peer = ctx.request().remoteAddress() == null
                ? ""
                : ctx.request().remoteAddress().hostAddress();
        String client =
                settings.trustedProxies().clientAddress(peer, ctx.request().getHeader("X-Forwarded-For"));
        List<Record> records = new ArrayList<>(events.size());
        try {
            for (int i = 0; i < events.size(); i++) {
                records.add(record(events.get(i), i, requestSource, receivedAt, client));
            }
        } catch (BadRequest e) {
            refuse(ctx, endpoint, start, e);
            return;
        }
        if (shuttingDown || !sink.ready()) {
            unavailable(
                    ctx,
                    endpoint,
                    start,
                    shuttingDown ? "shutting_down" : "kafka_unavailable",
                    shuttingDown ? "the collector is stopping" : "Kafka is not reachable or the topics are missing",
                    0,
                    events.size());
            return;
        }
        int n = records.size();
        if (metrics.inFlightEvents.addAndGet(n) > settings.maxInFlightEvents()) {
            metrics.inFlightEvents.addAndGet(-n);
            unavailable(ctx, endpoint, start, "overloaded", "Kafka is slower than the events arrive", 0, n);
            return;
        }
        Context context = vertx.getOrCreateContext();
        AtomicInteger left = new AtomicInteger(n);
        AtomicInteger failures = new AtomicInteger();
        AtomicReference<Exception> firstError = new AtomicReference<>();
        for (Record r : records) {
            sink.send(r.topic, r.key, r.value, error -> {
                if (error != null) {
                    failures.incrementAndGet();
                    firstError.compareAndSet(null, error);
                }
                if (left.decrementAndGet() == 0) {
                    metrics.inFlightEvents.addAndGet(-n);
                    context.runOnContext(v -> answer(ctx, endpoint, start, n, failures.get(), firstError.get(), pixel));
                }
            });
        }
    }

    private void answer(
            RoutingContext ctx, String endpoint, long start, int n, int failed, Exception error, boolean pixel) {
        if (failed > 0) {
            LOG.warn("{} of {} events not acknowledged by Kafka: {}", failed, n, String.valueOf(error));
            unavailable(
                    ctx,
                    endpoint,
                    start,
                    "kafka_unavailable",
                    "Kafka did not acknowledge: " + error,
                    n - failed,
                    failed);
            return;
        }
        metrics.accepted.increment(n);
        HttpServerResponse response = ctx.response();
        if (pixel) {
            response.putHeader("Content-Type", "image/gif")
                    .putHeader("Cache-Control", "no-store")
                    .end(Buffer.buffer(PIXEL));
        } else {
            json(response, EventReader.MAPPER.createObjectNode().put("accepted", n));
        }
        metrics.request(endpoint, 200, start);
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

    private void refuse(RoutingContext ctx, String endpoint, long start, BadRequest e) {
        metrics.refused(e.reason(), 1);
        json(ctx.response().setStatusCode(400), error(e.reason(), e.getMessage(), e.index()));
        metrics.request(endpoint, 400, start);
    }

    private void unavailable(
            RoutingContext ctx, String endpoint, long start, String reason, String detail, int accepted, int failed) {
        metrics.failed.increment(failed);
        metrics.accepted.increment(accepted);
        ObjectNode body = error(reason, detail, -1).put("accepted", accepted).put("failed", failed);
        json(
                ctx.response()
                        .setStatusCode(503)
                        .putHeader("Retry-After", Integer.toString(settings.retryAfterSeconds())),
                body);
        metrics.request(endpoint, 503, start);
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
     * Graceful stop: not ready any more, no new connections, open requests finish (up to shutdown-timeout), then
     * everything sent is flushed to Kafka.
     */
    @Override
    public void close() {
        shuttingDown = true;
        long timeoutMs = settings.shutdownTimeout().toMillis();
        long deadline = System.currentTimeMillis() + timeoutMs;
        // Requests waiting for Kafka finish first (new ones get 503 and /ready says so); then the servers close.
        while (metrics.inFlightEvents.get() > 0 && System.currentTimeMillis() < deadline) {
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        if (metrics.inFlightEvents.get() > 0) {
            LOG.warn("{} events still unacknowledged after {} ms", metrics.inFlightEvents.get(), timeoutMs);
        }
        try {
            Future.all(servers.stream()
                            .map(s -> s.shutdown(1, TimeUnit.SECONDS))
                            .toList())
                    .toCompletionStage()
                    .toCompletableFuture()
                    .get(10, TimeUnit.SECONDS);
        } catch (Exception e) {
            LOG.warn("closing the HTTP servers: {}", e.toString());
        }
        sink.flush();
        sink.close();
        try {
            vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        } catch (Exception e) {
            LOG.warn("closing Vert.x: {}", e.toString());
        }
        LOG.info("collector stopped: {} events accepted", (long) metrics.accepted.count());
    }
}
