package io.clickstream.etl.clickhouse;

import com.clickhouse.client.api.Client;
import com.clickhouse.client.api.ClientFaultCause;
import io.clickstream.etl.config.JobConfig;
import io.clickstream.etl.config.Options;
import java.io.Serializable;
import java.time.Duration;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;

/** Where and as whom to reach ClickHouse over HTTP; opens official client-v2 clients. */
public final class ClickHouseEndpoints implements Serializable {
    private static final long serialVersionUID = 1L;

    private final List<String> urls;
    private final String user;
    private final String password;
    private final long socketTimeoutMs;

    public ClickHouseEndpoints(List<String> urls, String user, String password, Duration socketTimeout) {
        this.urls = List.copyOf(urls);
        this.user = user;
        this.password = password;
        this.socketTimeoutMs = socketTimeout.toMillis();
    }

    public static ClickHouseEndpoints from(JobConfig config, Map<String, String> env) {
        return new ClickHouseEndpoints(
                config.get(Options.CLICKHOUSE_URLS),
                config.get(Options.CLICKHOUSE_USER),
                config.clickHousePassword(env),
                config.get(Options.SINK_REQUEST_TIMEOUT));
    }

    /** The same endpoints with another read timeout (ON CLUSTER DDL waits for every host, up to minutes). */
    public ClickHouseEndpoints withSocketTimeout(Duration timeout) {
        return new ClickHouseEndpoints(urls, user, password, timeout);
    }

    public List<String> urls() {
        return urls;
    }

    /** The user the clients log in as (never the password: it stays inside the clients). */
    public String user() {
        return user;
    }

    /**
     * A client for one endpoint. Server-side response compression stays off: the Debian 18.16 build answers
     * compress=1 with an empty body. The client's own retries are off: the sink's retry policy (backoff, failover
     * to the next endpoint, metrics) is the only one, so clickhouse.sink.max-retries means what it says.
     */
    Client open(String url) {
        return new Client.Builder()
                .addEndpoint(url)
                .setUsername(user)
                .setPassword(password)
                .compressServerResponse(false)
                .setSocketTimeout(socketTimeoutMs, ChronoUnit.MILLIS)
                .setConnectTimeout(5_000, ChronoUnit.MILLIS)
                .retryOnFailures(ClientFaultCause.None)
                .setMaxRetries(0)
                .build();
    }
}
