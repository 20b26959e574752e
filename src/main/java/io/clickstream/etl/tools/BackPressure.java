package io.clickstream.etl.tools;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.LocalTime;
import java.time.temporal.ChronoUnit;
import java.util.Locale;
import java.util.Set;

/**
 * Prints back-pressure per operator (chain) of the running jobs, from Flink's REST API (the numbers of the web UI's
 * back-pressure tab): level, the busiest subtask's back-pressured, busy and idle share of time.
 *
 * <pre>java -cp clickstream-etl.jar io.clickstream.etl.tools.BackPressure --rest http://127.0.0.1:8081 [--watch 5]</pre>
 */
public final class BackPressure {
    private static final String USAGE = "usage: BackPressure [--rest URL] [--job ID] [--watch SECONDS]\n"
            + "  --rest    Flink's REST address (default http://127.0.0.1:8081; on YARN: the application's tracking URL)\n"
            + "  --job     one job id (default: every RUNNING job)\n"
            + "  --watch   print again every SECONDS until interrupted";
    private static final JsonMapper JSON = new JsonMapper();

    private BackPressure() {}

    public static void main(String[] args) {
        CommandLine.run(args, BackPressure::run);
    }

    static void run(String[] args) throws Exception {
        CommandLine cli = new CommandLine(args, Set.of("rest", "job", "watch"), Set.of(), USAGE);
        String rest = cli.get("rest", "http://127.0.0.1:8081").replaceAll("/+$", "");
        int watch = cli.getInt("watch", 0);
        HttpClient http =
                HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
        do {
            System.out.print(report(http, rest, cli.get("job", null)));
            if (watch > 0) {
                Thread.sleep(watch * 1000L);
            }
        } while (watch > 0);
    }

    static String report(HttpClient http, String rest, String onlyJob) throws Exception {
        StringBuilder out = new StringBuilder();
        JsonNode jobs = get(http, rest + "/jobs/overview").path("jobs");
        int shown = 0;
        for (JsonNode job : jobs) {
            String id = job.path("jid").asText();
            if (onlyJob != null
                    ? !onlyJob.equals(id)
                    : !"RUNNING".equals(job.path("state").asText())) {
                continue;
            }
            shown++;
            out.append(String.format(
                    Locale.ROOT,
                    "%s  job %s (%s) %s%n",
                    LocalTime.now().truncatedTo(ChronoUnit.SECONDS),
                    job.path("name").asText(),
                    id,
                    job.path("state").asText()));
            out.append(String.format(
                    Locale.ROOT,
                    "  %-62s %4s %-8s %10s %6s %6s%n",
                    "operator (chain)",
                    "par",
                    "level",
                    "backpress.",
                    "busy",
                    "idle"));
            for (JsonNode v : get(http, rest + "/jobs/" + id).path("vertices")) {
                JsonNode bp = get(
                        http, rest + "/jobs/" + id + "/vertices/" + v.path("id").asText() + "/backpressure");
                double back = 0;
                double busy = 0;
                double idle = 1;
                for (JsonNode s : bp.path("subtasks")) {
                    back = Math.max(back, s.path("ratio").asDouble());
                    busy = Math.max(busy, s.path("busyRatio").asDouble());
                    idle = Math.min(idle, s.path("idleRatio").asDouble());
                }
                String level =
                        bp.path("backpressure-level").asText(bp.path("status").asText("?"));
                out.append(String.format(
                        Locale.ROOT,
                        "  %-62s %4d %-8s %9.0f%% %5.0f%% %5.0f%%%n",
                        truncate(v.path("name").asText()),
                        v.path("parallelism").asInt(),
                        level,
                        100 * back,
                        100 * busy,
                        100 * idle));
            }
        }
        if (shown == 0) {
            out.append(
                    onlyJob == null ? "no RUNNING job at " + rest + "\n" : "no job " + onlyJob + " at " + rest + "\n");
        }
        return out.toString();
    }

    private static String truncate(String s) {
        return s.length() <= 62 ? s : s.substring(0, 61) + "…";
    }

    private static JsonNode get(HttpClient http, String url) throws Exception {
        HttpResponse<String> r = http.send(
                HttpRequest.newBuilder(URI.create(url))
                        .timeout(Duration.ofSeconds(10))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() != 200) {
            throw new IllegalStateException("GET " + url + " answered " + r.statusCode() + ": " + r.body());
        }
        return JSON.readTree(r.body());
    }
}
