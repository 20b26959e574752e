package io.clickstream.etl;

import io.clickstream.etl.config.JobConfig;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.flink.configuration.CheckpointingOptions;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.RestOptions;
import org.apache.flink.configuration.StateRecoveryOptions;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

/**
 * Runs the job in this JVM on a local Flink with the web UI (scripts/run-local.sh). Takes the job's arguments plus
 * {@code --web-ui-port N} (default 8081), {@code --parallelism N} (default 1), {@code --checkpoint-interval-ms N}
 * (default 10000), {@code --checkpoint-interval-during-backlog-ms N} (default 60000, 0: as the other; Flink's
 * execution.checkpointing.interval-during-backlog, see kafka.backlog-lag), {@code --checkpoint-dir DIR} (default: a directory under java.io.tmpdir),
 * {@code --from-savepoint PATH} (a savepoint or retained checkpoint to resume from, at any parallelism) and
 * {@code --counter-totals FILE} (the sinks' counters summed as tasks end, as JSON: {@link CounterTotalsReporter}).
 */
public final class LocalRunner {
    private LocalRunner() {}

    public static void main(String[] args) {
        int port = 8081;
        int parallelism = 1;
        long checkpointMs = 10_000;
        long backlogCheckpointMs = 60_000;
        String checkpointDir = Path.of(System.getProperty("java.io.tmpdir"), "clickstream-etl-checkpoints")
                .toUri()
                .toString();
        String counterTotals = null;
        String savepoint = null;
        List<String> jobArgs = new ArrayList<>();
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--web-ui-port":
                    port = Integer.parseInt(args[++i]);
                    break;
                case "--parallelism":
                    parallelism = Integer.parseInt(args[++i]);
                    break;
                case "--checkpoint-interval-ms":
                    checkpointMs = Long.parseLong(args[++i]);
                    break;
                case "--checkpoint-interval-during-backlog-ms":
                    backlogCheckpointMs = Long.parseLong(args[++i]);
                    break;
                case "--counter-totals":
                    counterTotals = Path.of(args[++i]).toAbsolutePath().toString();
                    break;
                case "--from-savepoint":
                    savepoint = args[++i];
                    break;
                case "--checkpoint-dir":
                    checkpointDir = Path.of(args[++i]).toAbsolutePath().toUri().toString();
                    break;
                default:
                    jobArgs.add(args[i]);
            }
        }
        try {
            JobConfig config = JobConfig.fromArgs(jobArgs.toArray(new String[0]), System.getenv());
            Configuration flink = new Configuration();
            flink.set(RestOptions.BIND_ADDRESS, "127.0.0.1");
            flink.set(RestOptions.PORT, port);
            // Files, not the JobManager's memory (5 MB at most): the events held for event-time ordering while a
            // backlog is read can take tens of MB, and a failed checkpoint fails the job.
            flink.set(CheckpointingOptions.CHECKPOINT_STORAGE, "filesystem");
            flink.set(CheckpointingOptions.CHECKPOINTS_DIRECTORY, checkpointDir);
            if (savepoint != null) {
                // Every operator's state has a uid to map back to: state that maps to nothing is an error.
                flink.set(StateRecoveryOptions.SAVEPOINT_PATH, savepoint);
                flink.set(StateRecoveryOptions.SAVEPOINT_IGNORE_UNCLAIMED_STATE, false);
            }
            if (counterTotals != null) {
                flink.setString("metrics.reporter.totals.factory.class", CounterTotalsReporter.Factory.class.getName());
                flink.setString("metrics.reporter.totals." + CounterTotalsReporter.FILE, counterTotals);
            }
            StreamExecutionEnvironment env = StreamExecutionEnvironment.createLocalEnvironmentWithWebUI(flink);
            env.setParallelism(parallelism);
            env.enableCheckpointing(checkpointMs);
            if (backlogCheckpointMs > 0) {
                env.getCheckpointConfig()
                        .setCheckpointIntervalDuringBacklog(Math.max(checkpointMs, backlogCheckpointMs));
            }
            System.out.println("Flink web UI: http://127.0.0.1:" + port);
            ClickstreamJob.run(env, config);
            CounterTotalsReporter.writeAll(); // the cluster may still be closing the tasks, and exit ends that
            System.exit(0);
        } catch (Throwable t) {
            // Flink's non-daemon threads would keep a failed local JVM alive: exit explicitly.
            System.err.println("clickstream-etl failed: " + t);
            t.printStackTrace();
            System.exit(1);
        }
    }
}
