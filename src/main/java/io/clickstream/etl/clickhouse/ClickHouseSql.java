package io.clickstream.etl.clickhouse;

import com.clickhouse.client.api.Client;
import com.clickhouse.client.api.ConnectionInitiationException;
import com.clickhouse.client.api.query.QueryResponse;
import com.clickhouse.client.api.query.QuerySettings;
import java.io.InputStream;
import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Runs SQL text and returns the raw response body. Reads must name their format in the SQL
 * ({@code FORMAT TabSeparated}): ClickHouse 18.16 ignores the format header that typed reads rely on.
 *
 * <p>Over several endpoints, a statement that cannot reach one goes to the next, and later statements start there.
 * Only a connection that was never made moves it on: then the statement surely did not run. A server's answer, or
 * a failure after the statement was sent, is the caller's to judge.
 */
public final class ClickHouseSql implements AutoCloseable {
    private final List<Client> clients = new ArrayList<>();
    private final List<String> urls;
    private int current;

    public ClickHouseSql(ClickHouseEndpoints endpoints, String url) {
        this(endpoints, List.of(url));
    }

    /** On every endpoint of the list, starting with the first. */
    public ClickHouseSql(ClickHouseEndpoints endpoints) {
        this(endpoints, endpoints.urls());
    }

    private ClickHouseSql(ClickHouseEndpoints endpoints, List<String> urls) {
        this.urls = List.copyOf(urls);
        for (String url : this.urls) {
            clients.add(endpoints.open(url));
        }
    }

    /** A ClickHouse string literal: quotes and backslashes escaped, so no value can end the literal. */
    public static String literal(String s) {
        return "'" + s.replace("\\", "\\\\").replace("'", "\\'") + "'";
    }

    /** The endpoint the next statement goes to. */
    public String url() {
        return urls.get(current);
    }

    public String execute(String sql) throws Exception {
        return execute(sql, Map.of());
    }

    /** As {@link #execute(String)}, with server settings for this statement (e.g. insert_distributed_sync). */
    public String execute(String sql, Map<String, String> settings) throws Exception {
        QuerySettings querySettings = new QuerySettings();
        settings.forEach(querySettings::serverSetting);
        Exception failed = null;
        for (int tried = 0; tried < clients.size(); tried++) {
            int index = current;
            try (QueryResponse response =
                            clients.get(index).query(sql, querySettings).get(10, TimeUnit.MINUTES);
                    InputStream in = response.getInputStream()) {
                return new String(in.readAllBytes(), StandardCharsets.UTF_8);
            } catch (Exception e) {
                e.addSuppressed(new Exception("endpoint: " + urls.get(index)));
                if (!neverConnected(e)) {
                    throw e;
                }
                if (failed == null) {
                    failed = e;
                } else {
                    failed.addSuppressed(e);
                }
                current = (index + 1) % clients.size();
            }
        }
        throw failed;
    }

    static boolean neverConnected(Throwable error) {
        for (Throwable t = error; t != null; t = t.getCause()) {
            if (t instanceof ConnectException
                    || t instanceof NoRouteToHostException
                    || t instanceof UnknownHostException
                    || t instanceof ConnectionInitiationException) {
                return true;
            }
        }
        return false;
    }

    @Override
    public void close() {
        clients.forEach(Client::close);
    }
}
