# Shared helpers for the scripts in scripts/. Sourced, not run.
# shellcheck shell=bash

PROJECT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
SCRIPTS_DIR="$PROJECT_DIR/scripts"

# shellcheck source=../conf/stack.env
source "$SCRIPTS_DIR/conf/stack.env"

STACK_DIR="${STACK_DIR:-$STACK_DIR_DEFAULT}"
case "$STACK_DIR" in /*) ;; *) STACK_DIR="$PROJECT_DIR/$STACK_DIR" ;; esac
ZK_PORT="${ZK_PORT:-$ZK_PORT_DEFAULT}"
CH_HTTP_PORT="${CH_HTTP_PORT:-$CH_HTTP_PORT_DEFAULT}"
CH_TCP_PORT="${CH_TCP_PORT:-$CH_TCP_PORT_DEFAULT}"
CH_INTERSERVER_PORT="${CH_INTERSERVER_PORT:-$CH_INTERSERVER_PORT_DEFAULT}"
CH_CLUSTER="${CH_CLUSTER:-$CH_CLUSTER_DEFAULT}"
REDIS_PORT="${REDIS_PORT:-$REDIS_PORT_DEFAULT}"
REDIS_CLUSTER_PORT="${REDIS_CLUSTER_PORT:-$REDIS_CLUSTER_PORT_DEFAULT}"
KAFKA_PORT="${KAFKA_PORT:-$KAFKA_PORT_DEFAULT}"
KAFKA_CONTROLLER_PORT="${KAFKA_CONTROLLER_PORT:-$KAFKA_CONTROLLER_PORT_DEFAULT}"
KAFKA_HEAP="${KAFKA_HEAP:-$KAFKA_HEAP_DEFAULT}"
COLLECTOR_PORT="${COLLECTOR_PORT:-$COLLECTOR_PORT_DEFAULT}"
COLLECTOR_ADMIN_PORT="${COLLECTOR_ADMIN_PORT:-$COLLECTOR_ADMIN_PORT_DEFAULT}"
FLINK_REST_PORT="${FLINK_REST_PORT:-$FLINK_REST_PORT_DEFAULT}"
FLINK_RPC_PORT="${FLINK_RPC_PORT:-$FLINK_RPC_PORT_DEFAULT}"

LOG_DIR="$STACK_DIR/logs"
RUN_DIR="$STACK_DIR/run"

# The four ClickHouse nodes: name shard replica-index(0..3)
CH_NODES=(s1r1 s1r2 s2r1 s2r2)

ch_index() { local i; for i in "${!CH_NODES[@]}"; do [ "${CH_NODES[$i]}" = "$1" ] && echo "$i"; done; }
ch_http_port() { echo $((CH_HTTP_PORT + $(ch_index "$1"))); }
ch_tcp_port() { echo $((CH_TCP_PORT + $(ch_index "$1"))); }
ch_interserver_port() { echo $((CH_INTERSERVER_PORT + $(ch_index "$1"))); }
ch_shard() { echo "0${1:1:1}"; }

# Comma-separated HTTP endpoints of all four nodes, as the job and tests take them.
ch_http_urls() {
  local n out=""
  for n in "${CH_NODES[@]}"; do out="${out:+$out,}http://127.0.0.1:$(ch_http_port "$n")"; done
  echo "$out"
}

say() { printf '%s\n' "$*" >&2; }
die() { printf 'ERROR: %s\n' "$*" >&2; exit 1; }

# wait_for SECONDS DESCRIPTION COMMAND...: polls COMMAND every 0.25 s until it succeeds.
wait_for() {
  local timeout="$1" what="$2"; shift 2
  local deadline=$((SECONDS + timeout))
  until "$@" >/dev/null 2>&1; do
    if [ "$SECONDS" -ge "$deadline" ]; then
      say "timed out after ${timeout}s waiting for $what"
      return 1
    fi
    sleep 0.25
  done
}

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# require_free_ports SERVICE PORT...: a service must not start "successfully" by finding another process's
# server on its port.
require_free_ports() {
  local service="$1" port; shift
  for port in "$@"; do
    if port_open "$port"; then
      die "$service: port $port is already in use by another process; stop it or choose other ports (scripts/conf/stack.env)"
    fi
  done
}

pid_alive() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

# stop_pid PIDFILE NAME: SIGTERM, then SIGKILL after 15 s.
stop_pid() {
  local pidfile="$1" name="$2" pid
  if ! pid_alive "$pidfile"; then rm -f "$pidfile"; return 0; fi
  pid="$(cat "$pidfile")"
  kill -TERM "$pid" 2>/dev/null || true
  local i
  for i in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
  if kill -0 "$pid" 2>/dev/null; then
    say "$name did not stop in 15 s, killing it"
    kill -KILL "$pid" 2>/dev/null || true
  fi
  rm -f "$pidfile"
}

# Four-letter command to ZooKeeper without depending on nc.
zk_cmd() {
  exec 3<>"/dev/tcp/127.0.0.1/$ZK_PORT" || return 1
  printf '%s' "$1" >&3
  timeout 2 cat <&3
  exec 3>&- 3<&-
}
zk_ready() { zk_cmd srvr 2>/dev/null | grep -q 'Mode: standalone'; }

ch_query() { # ch_query NODE SQL
  curl -sS --fail-with-body "http://127.0.0.1:$(ch_http_port "$1")/" --data-binary "$2"
}
ch_ping() { [ "$(curl -s "http://127.0.0.1:$(ch_http_port "$1")/ping")" = "Ok." ]; }
ch_zk_ready() { ch_query "$1" "SELECT count() FROM system.zookeeper WHERE path = '/'" | grep -q '^[1-9]'; }

redis_ready() { [ "$(redis-cli -p "$REDIS_PORT" ping 2>/dev/null)" = "PONG" ]; }

kafka_ready() {
  grep -q 'Kafka Server started' "$LOG_DIR/kafka.log" 2>/dev/null && (exec 3<>"/dev/tcp/127.0.0.1/$KAFKA_PORT") 2>/dev/null
}

# Runs a Java main from the project's classpath (built by scripts/build.sh).
project_java() {
  local cp_file="$PROJECT_DIR/target/classpath.txt"
  [ -f "$cp_file" ] && [ -d "$PROJECT_DIR/target/classes" ] || die "project not built: run scripts/build.sh first"
  # exec: the caller's PID is the JVM itself, so stopping it stops Flink (no orphaned job keeps running).
  exec java ${JAVA_OPTS:-} -Dlog4j2.configurationFile="$SCRIPTS_DIR/conf/log4j2-cli.properties" \
    -cp "$PROJECT_DIR/target/classes:$(cat "$cp_file")" "$@"
}

# The JVM options Flink needs on Java 17 (what its own config.yaml ships as env.java.opts.all).
JAVA17_OPTS="-XX:+IgnoreUnrecognizedVMOptions --add-exports=java.base/sun.net.util=ALL-UNNAMED
--add-exports=java.rmi/sun.rmi.registry=ALL-UNNAMED --add-exports=java.security.jgss/sun.security.krb5=ALL-UNNAMED
--add-opens=java.base/java.lang=ALL-UNNAMED --add-opens=java.base/java.net=ALL-UNNAMED
--add-opens=java.base/java.io=ALL-UNNAMED --add-opens=java.base/java.nio=ALL-UNNAMED
--add-opens=java.base/sun.nio.ch=ALL-UNNAMED --add-opens=java.base/java.lang.reflect=ALL-UNNAMED
--add-opens=java.base/java.text=ALL-UNNAMED --add-opens=java.base/java.time=ALL-UNNAMED
--add-opens=java.base/java.util=ALL-UNNAMED --add-opens=java.base/java.util.concurrent=ALL-UNNAMED
--add-opens=java.base/java.util.concurrent.atomic=ALL-UNNAMED --add-opens=java.base/java.util.concurrent.locks=ALL-UNNAMED"
JAVA17_OPTS="$(tr '\n' ' ' <<<"$JAVA17_OPTS")"

# ------------------------------------------------------------------ shared by demo.sh, benchmark*.sh, yarn-test.sh

step() { printf '\n== %s\n' "$*" >&2; }
# A query to the first ClickHouse node of the local stack.
sql() { curl -sS --fail-with-body "http://127.0.0.1:$CH_HTTP_PORT/?output_format_pretty_color=0" --data-binary "$1"; }
now_ms() { date +%s%3N; }
# Maven 3.8 as Debian packs it prints ANSI resets ("\e[0m") whatever -B and -Dstyle.color say: output through this.
strip_ansi() { sed -u $'s/\e\\[[0-9;]*m//g'; }
# The shaded job jar built by scripts/build.sh (empty when there is none).
job_jar() { ls "$PROJECT_DIR"/target/clickstream-etl-*.jar 2>/dev/null | grep -v original | head -1; }
# Runs a main class of the job jar ($JAR): the tools. The jar bundles slf4j without a binding; its notice is noise.
tool() { java -cp "${JAR:?no job jar: run scripts/build.sh}" "$@" 2> >(grep -v '^SLF4J' >&2); }
# CPU clock ticks (user + system) used so far by the given processes and their ended children: Redis rewrites its
# append-only file in forked children, whose CPU is not in its own figures.
ticks() {
  local t=0 pid v
  for pid in "$@"; do
    # A process that ends between the test and the read counts nothing (the callers tell an ended job apart).
    v=$(awk '{ sub(/^.*\) /, ""); print $12 + $13 + $14 + $15 }' "/proc/$pid/stat" 2>/dev/null) || continue
    [ -n "$v" ] && t=$(( t + v ))
  done
  echo "$t"
}
