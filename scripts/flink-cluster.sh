#!/usr/bin/env bash
# A standalone Flink session cluster (one JobManager, one TaskManager) put together from Maven Central jars, for
# submitting the shaded job jar the way it is submitted to a real cluster: with `flink run`.
#
#   scripts/flink-cluster.sh install           fetch Flink's lib/ (scripts/flink/pom.xml) into STACK_DIR/flink
#   scripts/flink-cluster.sh start | stop | status
#   scripts/flink-cluster.sh run ARGS...       the `flink` CLI against this cluster, e.g.
#       scripts/flink-cluster.sh run run -d target/clickstream-etl-0.1.0-SNAPSHOT.jar --config flink-conf/clickstream.yaml
#       scripts/flink-cluster.sh run list
#
# Web UI / REST: http://127.0.0.1:$FLINK_REST_PORT (default 8091). Logs: STACK_DIR/logs/flink-*.log.
set -euo pipefail
source "$(dirname "$0")/lib/common.sh"

FLINK_DIR="$STACK_DIR/flink"
CONF_DIR="$FLINK_DIR/conf"
LIB="$FLINK_DIR/lib"

# What flink-dist sets as env.java.opts.all on Java 17: Flink's serializers and RPC need these modules opened.

cmd_install() {
  mkdir -p "$LOG_DIR"
  if ls "$LIB"/flink-clients-*.jar >/dev/null 2>&1; then return 0; fi
  say "fetching Flink's lib/ from Maven Central into $LIB"
  mvn -B -q -f "$SCRIPTS_DIR/flink/pom.xml" dependency:copy-dependencies -DoutputDirectory="$LIB" \
    >"$LOG_DIR/flink-install.log" 2>&1 || die "could not fetch Flink jars, see $LOG_DIR/flink-install.log"
}

write_conf() {
  mkdir -p "$CONF_DIR" "$FLINK_DIR/checkpoints"
  cat >"$CONF_DIR/config.yaml" <<EOF
jobmanager.rpc.address: 127.0.0.1
jobmanager.rpc.port: $FLINK_RPC_PORT
jobmanager.bind-host: 127.0.0.1
taskmanager.bind-host: 127.0.0.1
taskmanager.host: 127.0.0.1
rest.address: 127.0.0.1
rest.bind-address: 127.0.0.1
rest.port: $FLINK_REST_PORT
jobmanager.memory.process.size: 1024m
taskmanager.memory.process.size: 2048m
taskmanager.numberOfTaskSlots: 2
parallelism.default: 1
execution.checkpointing.interval: 10s
execution.checkpointing.interval-during-backlog: 60s
execution.checkpointing.dir: file://$FLINK_DIR/checkpoints
env.java.opts.all: $JAVA17_OPTS
EOF
  cp "$SCRIPTS_DIR/conf/flink-log4j.properties" "$CONF_DIR/log4j.properties"
  cp "$CONF_DIR/log4j.properties" "$CONF_DIR/log4j-cli.properties"
}

# BashJavaUtils turns the memory settings into JVM flags and dynamic properties, as Flink's own scripts do.
resource_params() { # resource_params GET_JM_RESOURCE_PARAMS|GET_TM_RESOURCE_PARAMS
  java -cp "$LIB/*" org.apache.flink.runtime.util.bash.BashJavaUtils "$1" --configDir "$CONF_DIR" 2>/dev/null \
    | grep '^BASH_JAVA_UTILS_EXEC_RESULT:' | sed 's/^BASH_JAVA_UTILS_EXEC_RESULT://'
}

rest_ready() { curl -sf "http://127.0.0.1:$FLINK_REST_PORT/overview" | grep -q '"taskmanagers":[1-9]'; }

start_process() { # start_process NAME MAINCLASS PARAMS
  local name="$1" main="$2" params="$3" jvm dyn
  jvm="$(sed -n 1p <<<"$params")"
  dyn="$(sed -n 2p <<<"$params")"
  # shellcheck disable=SC2086
  setsid nohup java $jvm $JAVA17_OPTS -Dlog.file="$LOG_DIR/flink-$name.log" \
    -Dlog4j.configurationFile="file:$CONF_DIR/log4j.properties" -cp "$LIB/*" "$main" --configDir "$CONF_DIR" $dyn \
    >"$LOG_DIR/flink-$name.out" 2>&1 </dev/null &
  echo $! >"$RUN_DIR/flink-$name.pid"
}

cmd_start() {
  mkdir -p "$RUN_DIR" "$LOG_DIR"
  ls "$LIB"/flink-clients-*.jar >/dev/null 2>&1 || die "Flink not installed: scripts/flink-cluster.sh install"
  if pid_alive "$RUN_DIR/flink-jobmanager.pid" && rest_ready; then return 0; fi
  require_free_ports flink "$FLINK_REST_PORT" "$FLINK_RPC_PORT"
  write_conf
  local jm tm
  jm="$(resource_params GET_JM_RESOURCE_PARAMS)" || die "cannot compute JobManager memory settings"
  tm="$(resource_params GET_TM_RESOURCE_PARAMS)" || die "cannot compute TaskManager memory settings"
  start_process jobmanager org.apache.flink.runtime.entrypoint.StandaloneSessionClusterEntrypoint "$jm"
  start_process taskmanager org.apache.flink.runtime.taskexecutor.TaskManagerRunner "$tm"
  wait_for 120 "Flink REST on port $FLINK_REST_PORT with a TaskManager" rest_ready \
    || die "Flink did not come up, see $LOG_DIR/flink-jobmanager.log and flink-taskmanager.log"
  say "flink: up, web UI http://127.0.0.1:$FLINK_REST_PORT"
}

cmd_stop() {
  stop_pid "$RUN_DIR/flink-taskmanager.pid" "flink taskmanager"
  stop_pid "$RUN_DIR/flink-jobmanager.pid" "flink jobmanager"
  say "flink: stopped"
}

cmd_run() {
  [ -f "$CONF_DIR/config.yaml" ] || die "start the cluster first: scripts/flink-cluster.sh start"
  # shellcheck disable=SC2086
  FLINK_CONF_DIR="$CONF_DIR" java $JAVA17_OPTS -Dlog.file="$LOG_DIR/flink-cli.log" \
    -Dlog4j.configurationFile="file:$CONF_DIR/log4j-cli.properties" -cp "$LIB/*" \
    org.apache.flink.client.cli.CliFrontend "$@"
}

cmd="${1:-}"
[ $# -gt 0 ] && shift
case "$cmd" in
  install) cmd_install ;;
  start) cmd_start ;;
  stop) cmd_stop ;;
  status) if rest_ready; then echo "flink up: http://127.0.0.1:$FLINK_REST_PORT"; else echo "flink DOWN"; exit 1; fi ;;
  run) cmd_run "$@" ;;
  *) sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'; [ -z "$cmd" ] || exit 2 ;;
esac
