#!/usr/bin/env bash
# YARN application mode, end to end: starts a one-node MiniYARNCluster (Hadoop 3.4.1 from Maven Central),
# submits the shaded job jar with Flink's own CLI (`flink run -t yarn-application`, Flink 2.2.0: flink-yarn is
# published for x.y.0 releases only) using the YARN settings of flink-conf/config.yaml, produces events into a new
# topic, checks that the YARN application and the Flink job are RUNNING and that every event reached ClickHouse,
# then lists and cancels the job through the same CLI. Needs the local stack (scripts/stack.sh start) and the jar
# (scripts/build.sh). Exit 0 only if everything held. scripts/test.sh runs it; KEEP_YARN=1 leaves YARN running.
#
#   scripts/yarn-test.sh [--events N]      (default 2000)
set -euo pipefail
source "$(dirname "$0")/lib/common.sh"
cd "$PROJECT_DIR"

EVENTS=2000
while [ $# -gt 0 ]; do
  case "$1" in
    --events) EVENTS="$2"; shift 2 ;;
    *) sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//'; exit 2 ;;
  esac
done
FLINK_YARN_VERSION=2.2.0
Y="$STACK_DIR/yarn"
RUN="yarn$(date +%s)"
mkdir -p "$Y" "$LOG_DIR"

step "Fetching Hadoop (MiniYARNCluster) and Flink $FLINK_YARN_VERSION with flink-yarn into $Y"
if [ ! -f "$Y/hadooplib/.complete" ]; then
  mvn -B -q -f scripts/yarn/pom.xml dependency:copy-dependencies -DoutputDirectory="$Y/hadooplib" \
    >"$LOG_DIR/yarn-install.log" 2>&1 || die "could not fetch Hadoop jars, see $LOG_DIR/yarn-install.log"
  touch "$Y/hadooplib/.complete"
fi
if [ ! -f "$Y/flinklib/.complete" ]; then
  mvn -B -q -f scripts/flink/pom.xml -Pyarn -Dflink.version="$FLINK_YARN_VERSION" dependency:copy-dependencies \
    -DoutputDirectory="$Y/flinklib" >>"$LOG_DIR/yarn-install.log" 2>&1 \
    || die "could not fetch Flink jars, see $LOG_DIR/yarn-install.log"
  touch "$Y/flinklib/.complete"
fi
# yarn.flink-dist-jar is the one jar YARN starts Flink from; the other Flink jars are shipped next to it.
rm -rf "$Y/shiplib" && mkdir -p "$Y/shiplib"
find "$Y/flinklib" -name '*.jar' ! -name "flink-yarn-$FLINK_YARN_VERSION.jar" -exec cp {} "$Y/shiplib/" \;
JAR="$(job_jar)"
[ -n "$JAR" ] || die "no job jar: run scripts/build.sh first"
STATUS="$(scripts/stack.sh status 2>/dev/null || true)"
for s in zookeeper s1r1 s1r2 s2r1 s2r2 redis kafka; do
  grep -qE "^$s +up" <<<"$STATUS" || die "$s is not running: scripts/stack.sh start"
done

step "Starting MiniYARNCluster (log: $LOG_DIR/miniyarn.log)"
pkill -f 'MiniYarn.java' 2>/dev/null || true
rm -rf "$Y/hadoop-conf" "$Y/work" && mkdir -p "$Y/hadoop-conf" "$Y/work"
java -Xmx768m $JAVA17_OPTS -cp "$Y/hadooplib/*" scripts/yarn/MiniYarn.java "$Y/hadoop-conf" "$Y/hadooplib" "$Y/work" \
  >"$LOG_DIR/miniyarn.log" 2>&1 &
YARN_PID=$!
cleanup() {
  [ -n "${KEEP_YARN:-}" ] || { kill "$YARN_PID" 2>/dev/null; wait "$YARN_PID" 2>/dev/null || true; }
}
trap cleanup EXIT
wait_for 120 "MiniYARNCluster" test -f "$Y/hadoop-conf/yarn-site.xml" || { tail -20 "$LOG_DIR/miniyarn.log"; die "YARN did not start"; }
grep 'MiniYARNCluster up' "$LOG_DIR/miniyarn.log"
# `yarn application -status`, from the Hadoop jars (MiniYARNCluster serves no REST API under /ws).
app_state() {
  java -cp "$Y/hadoop-conf:$Y/hadooplib/*" org.apache.hadoop.yarn.client.cli.ApplicationCLI application -status "$1" 2>/dev/null \
    | sed -n 's/^[[:space:]]*State : //p'
}

step "Flink configuration: flink-conf/config.yaml with this machine's paths and sizes"
mkdir -p "$Y/flink-conf"
# The shipped settings, minus those a one-node test must change (paths, sizes, attempts).
grep -vE '^(execution\.checkpointing\.(dir|savepoint-dir)|jobmanager\.memory\.process\.size|taskmanager\.memory\.process\.size|parallelism\.default|yarn\.application-attempts|taskmanager\.numberOfTaskSlots):' \
  flink-conf/config.yaml >"$Y/flink-conf/config.yaml"
cat >>"$Y/flink-conf/config.yaml" <<EOF

# --- scripts/yarn-test.sh: one small node
execution.checkpointing.dir: file://$Y/checkpoints
execution.checkpointing.savepoint-dir: file://$Y/savepoints
jobmanager.memory.process.size: 1024m
taskmanager.memory.process.size: 1600m
taskmanager.numberOfTaskSlots: 1
parallelism.default: 1
yarn.application-attempts: 1
yarn.flink-dist-jar: $Y/flinklib/flink-yarn-$FLINK_YARN_VERSION.jar
yarn.ship-files: $Y/shiplib
env.java.opts.all: $JAVA17_OPTS
EOF
cp "$SCRIPTS_DIR/conf/flink-log4j.properties" "$Y/flink-conf/log4j.properties"
cp "$Y/flink-conf/log4j.properties" "$Y/flink-conf/log4j-cli.properties"
flink_cli() {
  HADOOP_CONF_DIR="$Y/hadoop-conf" FLINK_CONF_DIR="$Y/flink-conf" java $JAVA17_OPTS \
    -Dlog.file="$LOG_DIR/$RUN-flink-cli.log" -Dlog4j2.configurationFile="$Y/flink-conf/log4j-cli.properties" \
    -cp "$Y/hadoop-conf:$Y/flinklib/*:$Y/hadooplib/*" org.apache.flink.client.cli.CliFrontend "$@"
}

step "Topic $RUN-events, database ${RUN}"
SETS=(--set "kafka.bootstrap-servers=127.0.0.1:$KAFKA_PORT" --set "kafka.topics=$RUN-events"
      --set "kafka.dead-letter-topic=$RUN-dead" --set "kafka.group-id=$RUN" --set kafka.start-from=earliest
      --set "clickhouse.urls=$(ch_http_urls)" --set "clickhouse.database=$RUN" --set "redis.port=$REDIS_PORT"
      --set "redis.key-prefix=$RUN" --set "funnel.definitions-topic=$RUN-funnels" --set device.enabled=false
      --set "backfill.topic=$RUN-backfill")
tool io.clickstream.etl.tools.Migrate "${SETS[@]}"
tool io.clickstream.etl.tools.EventGenerator "${SETS[@]}" --count 0 --create-topics 2

step "Submitting $JAR in YARN application mode (log: $LOG_DIR/$RUN-flink-cli.log)"
flink_cli run -t yarn-application -d "$JAR" "${SETS[@]}" | tee "$LOG_DIR/$RUN-submit.out"
APP=$(grep -o 'application_[0-9]*_[0-9]*' "$LOG_DIR/$RUN-submit.out" "$LOG_DIR/$RUN-flink-cli.log" 2>/dev/null | head -1 | sed 's/.*://')
[ -n "$APP" ] || die "no YARN application id in the submission output"
echo "YARN application: $APP"
app_running() { [ "$(app_state "$APP")" = "RUNNING" ]; }
wait_for 180 "$APP to be RUNNING" app_running || die "the YARN application is not RUNNING but $(app_state "$APP")"
job_running() { flink_cli list -t yarn-application -Dyarn.application.id="$APP" 2>/dev/null | grep -q '(RUNNING)'; }
wait_for 180 "the Flink job to be RUNNING" job_running || die "the Flink job on $APP is not RUNNING"
JOB_ID=$(flink_cli list -t yarn-application -Dyarn.application.id="$APP" 2>/dev/null | grep '(RUNNING)' | grep -o '[0-9a-f]\{32\}' | head -1)
echo "Flink job $JOB_ID RUNNING on YARN"

step "Producing $EVENTS events while it runs"
tool io.clickstream.etl.tools.EventGenerator "${SETS[@]}" --count "$EVENTS" --millis-only --seed 3 | tail -1
landed() { [ "$(sql "SELECT count() FROM $RUN.events")" -ge "$EVENTS" ]; }
wait_for 240 "$EVENTS rows in $RUN.events" landed || die "only $(sql "SELECT count() FROM $RUN.events") of $EVENTS rows arrived"
rows=$(sql "SELECT count() FROM $RUN.events"); unique=$(sql "SELECT uniqExact(event_id) FROM $RUN.events")
sessions=$(sql "SELECT uniqExact(session_id) FROM $RUN.events WHERE session_id != ''")
echo "ClickHouse: $rows rows, $unique distinct events, $sessions sessions"
[ "$unique" -eq "$EVENTS" ] || die "expected $EVENTS distinct events, got $unique"
app_running || die "the YARN application stopped"

step "Cancelling the job through the CLI"
flink_cli cancel -t yarn-application -Dyarn.application.id="$APP" "$JOB_ID" | tail -2
app_done() { grep -qE '^(FINISHED|KILLED|FAILED)$' <<<"$(app_state "$APP")"; }
wait_for 120 "$APP to end" app_done || die "the YARN application did not end after the cancel: $(app_state "$APP")"
echo "YARN application $APP: $(app_state "$APP")"
echo "yarn-test: OK ($EVENTS events through a YARN application-mode job into ClickHouse)"
