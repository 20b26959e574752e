package io.clickstream.etl.tools;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/** What the Flink REST API says of the job, for tools that must not run while it does. */
final class FlinkJobs {
    static final String DEFAULT_NAME = "clickstream-etl";
    private static final JsonMapper JSON = new JsonMapper();

    private FlinkJobs() {}

    /** Fails when a job named {@code name} is not finished, cancelled or failed at {@code rest}. */
    static void refuseIfRunning(String rest, String name, String action) throws Exception {
        JsonNode jobs = JSON.readTree(HttpClient.newHttpClient()
                        .send(
                                HttpRequest.newBuilder(URI.create(rest.replaceAll("/$", "") + "/jobs/overview"))
                                        .timeout(Duration.ofSeconds(10))
                                        .build(),
                                HttpResponse.BodyHandlers.ofString())
                        .body())
                .path("jobs");
        for (JsonNode job : jobs) {
            if (name.equals(job.path("name").asText())
                    && !job.path("state").asText().matches("FINISHED|CANCELED|FAILED")) {
                throw new IllegalStateException(
                        "job " + name + " (" + job.path("jid").asText() + ") is "
                                + job.path("state").asText() + " at " + rest
                                + ": stop it first (flink stop --savepointPath DIR "
                                + job.path("jid").asText() + "), then " + action);
            }
        }
    }
}
