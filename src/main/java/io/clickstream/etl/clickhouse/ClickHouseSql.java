package io.clickstream.etl.clickhouse;

import com.clickhouse.client.api.Client;
import com.clickhouse.client.api.query.QueryResponse;

import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

/**
 * Runs SQL text and returns the raw response body. Reads must name their format in the SQL
 * ({@code FORMAT TabSeparated}): ClickHouse 18.16 ignores the format header that typed reads rely on.
 */
public final class ClickHouseSql implements AutoCloseable {
    private final Client client;
    private final String url;

    public ClickHouseSql(ClickHouseEndpoints endpoints, String url) {
        this.client = endpoints.open(url);
        this.url = url;
    }

    /** On the first endpoint of the list. */
    public ClickHouseSql(ClickHouseEndpoints endpoints) {
        this(endpoints, endpoints.urls().get(0));
    }

    /** A ClickHouse string literal: quotes and backslashes escaped, so no value can end the literal. */
    public static String literal(String s) {
        return "'" + s.replace("\\", "\\\\").replace("'", "\\'") + "'";
    }

    public String url() {
        return url;
    }

    public String execute(String sql) throws Exception {
        try (QueryResponse response = client.query(sql).get(10, TimeUnit.MINUTES);
             InputStream in = response.getInputStream()) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    @Override
    public void close() {
        client.close();
    }
}
