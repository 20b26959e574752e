#!/usr/bin/env bash
# Benchmark of the HTTP collector (prints figures; not a test), on the local stack's Kafka, with wrk on the same
# machine. Three phases of --seconds each, one after the other in one run:
#   health   GET /health: the HTTP server alone (no parsing, no Kafka) — the ceiling on this machine;
#   single   one event per POST (acks=all before each 200);
#   batch    100 events per POST as NDJSON.
# For each: requests/s, events/s, p50/p99 latency (wrk --latency), non-2xx answers, and CPU per event (µs) of the
# collector, the Kafka broker and wrk itself (/proc ticks before and after). Targets of issue 17: ≥ 20,000
# single-event requests/s, ≥ 100,000 events/s in batches of 100, p99 < 50 ms.
#
#   scripts/benchmark-collector.sh [--seconds N] [--connections N] [--batch-connections N]
set -euo pipefail
source "$(dirname "$0")/lib/common.sh"
cd "$PROJECT_DIR"

SECONDS_EACH=20 CONNECTIONS=256 BATCH_CONNECTIONS=16
while [ $# -gt 0 ]; do
  case "$1" in
    --seconds) SECONDS_EACH="$2"; shift 2 ;;
    --connections) CONNECTIONS="$2"; shift 2 ;;
    --batch-connections) BATCH_CONNECTIONS="$2"; shift 2 ;;
    *) sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'; exit 2 ;;
  esac
done
command -v wrk >/dev/null || die "wrk is missing: scripts/stack.sh install"
kafka_ready || die "Kafka is not running: scripts/stack.sh start"
[ -f collector/target/clickstream-collector.jar ] && ls target/clickstream-etl-*.jar >/dev/null 2>&1 || scripts/build.sh
JAR="$(job_jar)"

RUN="benchcollector$(date +%s)"
TOPIC="$RUN-web"
PORT=18088
ADMIN_PORT=18089
java -cp "$JAR" io.clickstream.etl.tools.EventGenerator --config flink-conf/clickstream.yaml \
  --set "kafka.topics=$TOPIC" --count 0 --create-topics 4 2> >(grep -v '^SLF4J' >&2) >/dev/null

CLICKSTREAM_COLLECTOR_PORT=$PORT CLICKSTREAM_COLLECTOR_ADMIN_PORT=$ADMIN_PORT CLICKSTREAM_COLLECTOR_HOST=127.0.0.1 \
CLICKSTREAM_COLLECTOR_KAFKA_BOOTSTRAP_SERVERS="127.0.0.1:$KAFKA_PORT" CLICKSTREAM_COLLECTOR_ROUTES="web:$TOPIC" \
  java -Xms1g -Xmx1g -jar collector/target/clickstream-collector.jar >"$LOG_DIR/benchmark-collector.log" 2>&1 &
COLLECTOR_PID=$!
trap 'kill $COLLECTOR_PID 2>/dev/null; wait $COLLECTOR_PID 2>/dev/null || true' EXIT
wait_for 60 "the collector to be ready" curl -sf "http://127.0.0.1:$PORT/ready" \
  || die "collector not ready, see $LOG_DIR/benchmark-collector.log"
KAFKA_PID="$(cat "$RUN_DIR/kafka.pid")"

HZ="$(getconf CLK_TCK)"

# phase NAME EVENTS_PER_REQUEST CONNECTIONS PATH [SCRIPT]
phase() {
  local name="$1" per="$2" conns="$3" path="$4" script="${5:-}" c0 k0 c1 k1 out
  c0=$(ticks "$COLLECTOR_PID"); k0=$(ticks "$KAFKA_PID")
  # `times` after wrk: the CPU of this subshell's children, i.e. wrk's.
  out="$( { wrk -t1 -c"$conns" -d"${SECONDS_EACH}s" --latency ${script:+-s "$script"} "http://127.0.0.1:$PORT$path"; times; } 2>&1 )"
  c1=$(ticks "$COLLECTOR_PID"); k1=$(ticks "$KAFKA_PID")
  local rps p50 p99 non2xx wrk_cpu
  rps="$(awk '/^Requests\/sec:/ { print $2 }' <<<"$out")"
  p50="$(awk '$1 == "50%" { print $2 }' <<<"$out")"
  p99="$(awk '$1 == "99%" { print $2 }' <<<"$out")"
  non2xx="$(awk '/Non-2xx/ { print $NF }' <<<"$out")"
  # times prints "XmY.YYYs XmZ.ZZZs" for the shell, then for its children.
  wrk_cpu="$(tail -1 <<<"$out" | awk '{ for (i = 1; i <= 2; i++) { split($i, a, "m"); sub("s", "", a[2]); t += a[1] * 60 + a[2] } print t }')"
  awk -v name="$name" -v per="$per" -v rps="$rps" -v p50="$p50" -v p99="$p99" -v bad="${non2xx:-0}" \
      -v c="$((c1 - c0))" -v k="$((k1 - k0))" -v w="$wrk_cpu" -v hz="$HZ" -v secs="$SECONDS_EACH" -v conns="$conns" '
    BEGIN {
      ev = rps * per; n = ev * secs; if (n == 0) n = 1
      printf "%-7s %5d %6d %10.0f %10.0f %9s %9s %7d %9.1f %9.1f %9.1f\n", name, per, conns, rps, ev, p50, p99, bad,
        c / hz * 1e6 / n, k / hz * 1e6 / n, w * 1e6 / n
    }'
}

printf '\nCollector benchmark: %s s per phase, wrk -t1, %s cores, Kafka acks=all (topic %s, 4 partitions)\n' \
  "$SECONDS_EACH" "$(nproc)" "$TOPIC"
printf '%-7s %5s %6s %10s %10s %9s %9s %7s %9s %9s %9s\n' phase ev/req conns requests/s events/s p50 p99 non-2xx \
  "coll µs/ev" "kafka µs/ev" "wrk µs/ev"
wrk -t1 -c"$CONNECTIONS" -d3s -s scripts/collector/single.lua "http://127.0.0.1:$PORT/v1/events" >/dev/null 2>&1  # warm-up (JIT)
phase health 1 "$CONNECTIONS" /health
phase single 1 "$CONNECTIONS" /v1/events scripts/collector/single.lua
phase batch 100 "$BATCH_CONNECTIONS" /v1/events scripts/collector/batch.lua
printf 'targets: single ≥ 20,000 requests/s; batch ≥ 100,000 events/s; p99 < 50 ms\n'
curl -s "http://127.0.0.1:$ADMIN_PORT/metrics" | grep -E '^collector_events_(accepted|failed)_total' || true
