package io.clickstream.etl.clickhouse;

import com.clickhouse.client.api.Client;
import com.clickhouse.client.api.ClientMisconfigurationException;
import com.clickhouse.client.api.ServerException;
import com.clickhouse.client.api.insert.InsertResponse;
import com.clickhouse.client.api.insert.InsertSettings;
import com.clickhouse.data.ClickHouseFormat;
import java.io.ByteArrayInputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

/**
 * Inserts RowBinary batches through the Distributed table with client-v2. On a failure the next attempt goes to
 * the next endpoint, so one node down does not stop ingestion.
 */
public final class ClickHouseInserter implements Inserter {
    // TOO_LARGE_STRING_SIZE

    private final List<Client> clients;
    private final List<String> urls;
    private final String table;
    private final List<String> columns;
    private final InsertSettings settings;
    private final long timeoutMs;
    /** The endpoint the next insert goes to; sender threads move it on after a failure. */
    private volatile int current;

    private ClickHouseInserter(
            ClickHouseEndpoints endpoints,
            String table,
            List<String> columns,
            boolean distributedSync,
            long timeoutMs) {
        this.columns = List.copyOf(columns);
        this.urls = endpoints.urls();
        this.clients = new ArrayList<>();
        for (String url : urls) {
            clients.add(endpoints.open(url));
        }
        this.table = table;
        this.timeoutMs = timeoutMs;
        // insert_deduplicate stays on (the server default): a retried batch that did reach a shard is dropped
        // there by the replicated table's block deduplication instead of being stored twice.
        this.settings = new InsertSettings().serverSetting("insert_distributed_sync", distributedSync ? "1" : "0");
    }

    public static Inserter.Factory factory(
            ClickHouseEndpoints endpoints,
            String qualifiedTable,
            List<String> columns,
            boolean distributedSync,
            long timeoutMs) {
        return () -> new ClickHouseInserter(endpoints, qualifiedTable, columns, distributedSync, timeoutMs);
    }

    @Override
    public void insert(Batch batch) throws Exception {
        int index = current;
        try (InsertResponse ignored = clients.get(index)
                .insert(
                        table,
                        columns,
                        new ByteArrayInputStream(batch.data(), 0, batch.bytes()),
                        ClickHouseFormat.RowBinary,
                        settings)
                .get(timeoutMs, TimeUnit.MILLISECONDS)) {
            // The 18.16 server sends no X-ClickHouse-Summary, so there is no row count to check here.
        } catch (ExecutionException | CompletionException e) {
            current = (index + 1) % clients.size();
            throw withEndpoint(e.getCause() instanceof Exception ? (Exception) e.getCause() : e, urls.get(index));
        } catch (Exception e) {
            current = (index + 1) % clients.size();
            throw withEndpoint(e, urls.get(index));
        }
    }

    private static Exception withEndpoint(Exception e, String url) {
        e.addSuppressed(new Exception("endpoint: " + url));
        return e;
    }

    /** The code of the server error behind {@code error}, or -1 if the server did not answer with one. */
    static int serverCode(Throwable error) {
        for (Throwable t = error; t != null; t = t.getCause()) {
            if (t instanceof ServerException server) {
                return server.getCode();
            }
        }
        return -1;
    }

    @Override
    public boolean isRetryable(Throwable error) {
        for (Throwable t = error; t != null; t = t.getCause()) {
            if (t instanceof ClientMisconfigurationException) {
                return false;
            }
        }
        return !ClickHouseErrors.NOT_RETRYABLE.contains(serverCode(error));
    }

    @Override
    public boolean mayHaveStored(Throwable error) {
        // A Distributed insert can fail on one shard after another stored its part, so a server's error answer
        // does not prove that nothing was stored either; only a connection never made does.
        return !ClickHouseSql.neverConnected(error);
    }

    @Override
    public boolean mayBeRowLevel(Throwable error) {
        return ClickHouseErrors.ROW_LEVEL.contains(serverCode(error));
    }

    @Override
    public String table() {
        return table;
    }

    @Override
    public void close() {
        clients.forEach(Client::close);
    }
}
