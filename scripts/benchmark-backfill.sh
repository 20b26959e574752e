#!/usr/bin/env bash
# Benchmark of a history import (prints figures; not a test), side by side with the same events sent live:
#   1. generates N events spread over a year (many users, sessions, sources, funnel steps) into one NDJSON.gz file;
#   2. backfill: tools.Backfill imports the file into a backfill topic (time, events/s, the tool's CPU), then the job
#      reads it from a fresh start, bounded, everything on (time from start to the last row in ClickHouse);
#   3. baseline: the same events (same seed) produced straight into a topic and read by the job the same way;
#   4. prints one table: seconds and events/s of each step, and minutes per million events end to end.
#
#   scripts/benchmark-backfill.sh [--events N] [--users N]     (default 1000000 events, 50000 users)
set -euo pipefail
source "$(dirname "$0")/lib/common.sh"
cd "$PROJECT_DIR"

EVENTS=1000000 USERS=50000
while [ $# -gt 0 ]; do
  case "$1" in
    --events) EVENTS="$2"; shift 2 ;;
    --users) USERS="$2"; shift 2 ;;
    *) sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//'; exit 2 ;;
  esac
done
RUN="backfill$(date +%s)"
CONFIG="$PROJECT_DIR/flink-conf/clickstream.yaml"
CH="http://127.0.0.1:$CH_HTTP_PORT"
WORK="$STACK_DIR/$RUN"
mkdir -p "$WORK"
HZ=$(getconf CLK_TCK)

scripts/stack.sh start >&2
[ -f target/classpath.txt ] && ls target/clickstream-etl-*.jar >/dev/null 2>&1 || scripts/build.sh >&2
JAR="$(job_jar)"
COMMON=(--set "kafka.dead-letter-topic=$RUN-dead" --set "funnel.definitions-topic=$RUN-funnels" --set device.enabled=true)
for f in flink-conf/funnels/*.json; do tool io.clickstream.etl.tools.Funnels publish --config "$CONFIG" "${COMMON[@]}" --file "$f" >&2; done

step "Generating $EVENTS events over a year into $WORK/history.ndjson.gz"
tool io.clickstream.etl.tools.EventGenerator --config "$CONFIG" --count "$EVENTS" --users "$USERS" --millis-only \
  --seed 1 --span-minutes 525600 --file "$WORK/history.ndjson.gz" | tail -1 >&2

# run_job NAME DB SETS...: the job from earliest, bounded; prints "seconds cpu_seconds" from start to the last row.
run_job() {
  local name="$1" db="$2"; shift 2
  tool io.clickstream.etl.tools.Migrate --config "$CONFIG" --set "clickhouse.database=$db" >&2
  local t0 pid n
  t0=$(now_ms)
  JAVA_OPTS="-Xmx3g" scripts/run-local.sh --config "$CONFIG" "${COMMON[@]}" "$@" --set "clickhouse.database=$db" \
    --set "redis.key-prefix=$RUN-$name" --set "kafka.group-id=$RUN-$name" --set kafka.start-from=earliest \
    --set kafka.bounded=true --parallelism 2 --web-ui-port 8091 --checkpoint-interval-ms 10000 \
    >"$LOG_DIR/$RUN-$name.log" 2>&1 &
  pid=$!
  until [ "$(sql "SELECT count() FROM $db.events")" -ge "$EVENTS" ]; do
    kill -0 "$pid" 2>/dev/null || { tail -20 "$LOG_DIR/$RUN-$name.log" >&2; die "the $name job ended early"; }
    sleep 0.5
  done
  echo "$(( $(now_ms) - t0 )) $(ticks "$pid")"
  kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null || true
}

step "Backfill: tools.Backfill into $RUN-backfill"
t0=$(now_ms)
out="$( { tool io.clickstream.etl.tools.Backfill --config "$CONFIG" --set "backfill.topic=$RUN-backfill" \
  --files "$WORK/history.ndjson.gz" | tail -2 >&2; times; } 2>&1 )"
IMPORT_MS=$(( $(now_ms) - t0 ))
IMPORT_CPU="$(tail -1 <<<"$out" | awk '{ for (i = 1; i <= 2; i++) { split($i, a, "m"); sub("s", "", a[2]); t += a[1] * 60 + a[2] } print t }')"
tool io.clickstream.etl.tools.EventGenerator --config "$CONFIG" --set "kafka.topics=$RUN-empty" --count 0 \
  --create-topics 4 >/dev/null
step "Backfill: the job over the backfill topic (log $LOG_DIR/$RUN-backfill.log)"
read -r BF_MS BF_TICKS < <(run_job backfill "${RUN}_backfill" --set "kafka.topics=$RUN-empty" --set "backfill.topic=$RUN-backfill")

step "Baseline: the same events produced into $RUN-live and read by the job"
t0=$(now_ms)
tool io.clickstream.etl.tools.EventGenerator --config "$CONFIG" --set "kafka.topics=$RUN-live" --create-topics 4 \
  --count "$EVENTS" --users "$USERS" --millis-only --seed 1 --span-minutes 525600 | tail -1 >&2
PRODUCE_MS=$(( $(now_ms) - t0 ))
read -r LIVE_MS LIVE_TICKS < <(run_job live "${RUN}_live" --set "kafka.topics=$RUN-live" --set "backfill.topic=$RUN-empty2" \
  --set validation.max-event-age=400d)

# Leftover replicated databases keep ZooKeeper and ClickHouse busy at rest (docs/benchmarks.md): drop this run's.
for db in "${RUN}_backfill" "${RUN}_live"; do sql "DROP DATABASE IF EXISTS $db ON CLUSTER $CH_CLUSTER" >/dev/null; done
redis-cli -p "$REDIS_PORT" --scan --pattern "$RUN-*" | xargs -r -n 5000 redis-cli -p "$REDIS_PORT" unlink >/dev/null
rm -rf "$WORK"

awk -v n="$EVENTS" -v im="$IMPORT_MS" -v ic="$IMPORT_CPU" -v bf="$BF_MS" -v bft="$BF_TICKS" -v pm="$PRODUCE_MS" \
    -v lm="$LIVE_MS" -v lt="$LIVE_TICKS" -v hz="$HZ" -v cores="$(nproc)" 'BEGIN {
  printf "\nHistory import, %d events over a year, %d cores (same events, same job settings in both columns)\n", n, cores
  printf "%-36s %14s %14s\n", "", "backfill", "live topic"
  printf "%-36s %14.1f %14.1f\n", "into Kafka: seconds", im / 1000, pm / 1000
  printf "%-36s %14.0f %14.0f\n", "into Kafka: events/s", n * 1000 / im, n * 1000 / pm
  printf "%-36s %14.1f %14s\n", "import tool CPU µs/event", ic * 1e6 / n, "-"
  printf "%-36s %14.1f %14.1f\n", "job to the last row: seconds", bf / 1000, lm / 1000
  printf "%-36s %14.0f %14.0f\n", "job: events/s", n * 1000 / bf, n * 1000 / lm
  printf "%-36s %14.1f %14.1f\n", "job CPU µs/event (incl. JVM start)", bft / hz * 1e6 / n, lt / hz * 1e6 / n
  printf "%-36s %14.1f %14.1f\n", "minutes per million events, total", (im + bf) / 60000 * 1e6 / n, (pm + lm) / 60000 * 1e6 / n
}'
