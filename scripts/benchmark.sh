#!/usr/bin/env bash
# Benchmark (prints figures; not a test): the whole job on the local stack next to the ingestion a user would
# pick instead, ClickHouse's own Kafka engine with a materialized view, on the same topic in the same run.
#   1. preloads N generated events (many users, sessions, sources, IPs, user agents, funnel steps) into one topic;
#   2. runs the job from earliest with everything on (sessions, geo, device, two funnels, a join), bounded, and
#      measures events/s from the first to the last row landed in ClickHouse, CPU seconds per process, Redis
#      commands and round trips per event (Redis INFO commandstats), rows per insert and inserts per second, and the
#      marginal cost: CPU per event of each component and insert queries per 1M rows between 20 % and 90 % landed;
#   3. the Kafka-engine baseline into a table of the same schema, no enrichment, measured the same way;
#   4. event-to-queryable latency (p50/p99) with the job running at a quarter of the rate it reached in 2 (issue 27's
#      measure: a live job runs with headroom; it includes the event-time bound, event-time.max-out-of-orderness,
#      which the table shows), and where it goes: the events sink's histograms (a batch's newest row from publish to
#      the sink, its oldest to the end of the insert, the insert itself) read from the running job's REST API;
#   5. prints one table and writes it as JSON.
#
#   scripts/benchmark.sh [--events N] [--partitions N] [--parallelism N] [--users N] [--latency-seconds N]
#                        [--latency-rate N] [--out FILE] [--redis-cluster] [--set key=value]...
#                        [--late-share R [--late-minutes N]] [--distinct-rows]
#
#   --events N           events to preload (default 3000000)
#   --partitions N       partitions of the topic, and Kafka-engine consumers (default 4)
#   --parallelism N      job parallelism (default 2)
#   --users N            distinct users (default 50000)
#   --latency-seconds N  length of the fixed-rate latency run (default 60; 0 skips it)
#   --latency-rate N     events/s of the latency run (default: a quarter of the job's catch-up rate in this run; a
#                        fixed rate compares two builds whose catch-up rates differ)
#   --out FILE           JSON result (default .stack/benchmark-<time>.json)
#   --redis-cluster      the job's state on the stack's Redis Cluster (3 masters, 3 replicas) instead of its one
#                        Redis; Redis CPU, commands and round trips are then those of the six nodes
#   --set key=value      a job setting for both job runs (e.g. clickhouse.sink.flush-interval=1s)
#   --late-share R       a share R of the events sent --late-minutes (default 60) after their time: the job corrects
#                        the rows they change; implies --distinct-rows, and prints the corrections
#   --distinct-rows      count the job's rows as distinct event ids (corrections write rows again); for the on-time
#                        run a late one is compared with, so that both poll alike
# Environment: JOB_JAVA_OPTS adds JVM options to the job (e.g. -XX:StartFlightRecording=filename=job.jfr).
set -euo pipefail
source "$(dirname "$0")/lib/common.sh"
cd "$PROJECT_DIR"

EVENTS=3000000 PARTITIONS=4 PARALLELISM=2 USERS=50000 LAT_SECONDS=60 LAT_FIXED_RATE="" OUT="" JOB_SETS=() REDIS_MODE=server
LATE_SHARE=0 LATE_MINUTES=60 ROWS_EXPR="count()"
while [ $# -gt 0 ]; do
  case "$1" in
    --events) EVENTS="$2"; shift 2 ;;
    --partitions) PARTITIONS="$2"; shift 2 ;;
    --parallelism) PARALLELISM="$2"; shift 2 ;;
    --users) USERS="$2"; shift 2 ;;
    --latency-seconds) LAT_SECONDS="$2"; shift 2 ;;
    --latency-rate) LAT_FIXED_RATE="$2"; shift 2 ;;
    --out) OUT="$2"; shift 2 ;;
    --set) JOB_SETS+=(--set "$2"); shift 2 ;;
    --redis-cluster) REDIS_MODE=cluster; shift ;;
    --late-share) LATE_SHARE="$2"; ROWS_EXPR="uniqExact(event_id)"; shift 2 ;;
    --late-minutes) LATE_MINUTES="$2"; shift 2 ;;
    --distinct-rows) ROWS_EXPR="uniqExact(event_id)"; shift ;;
    *) sed -n '2,32p' "$0" | sed 's/^# \{0,1\}//'; exit 2 ;;
  esac
done
RUN="bench$(date +%s)"
OUT="${OUT:-$STACK_DIR/benchmark-$RUN.json}"
CONFIG="$PROJECT_DIR/flink-conf/clickstream.yaml"
TOPIC="$RUN-events"
JOB_DB="${RUN}_job"
KAFKA_DB="${RUN}_kafka"
UI_PORT=8091 # the stack's collector has 8088 and 8089
CH="http://127.0.0.1:$CH_HTTP_PORT"

HZ=$(getconf CLK_TCK)
cpu_s() { awk -v t="$1" -v hz="$HZ" 'BEGIN { printf "%.1f", t / hz }'; }
div() { awk -v a="$1" -v b="$2" -v f="${3:-%.0f}" 'BEGIN { if (b == 0) print "0"; else printf f, a / b }'; }
# Total calls, and calls of the commands a client sends: the commands the job's scripts run inside (SET of the
# older layout; HGETALL, HGET, HKEYS, GET, EXISTS, HSET, HDEL, DEL, PEXPIRE of the per-user hashes) are counted in the
# first only.
redis_calls() {
  local p; for p in $REDIS_PORTS; do redis-cli -p "$p" info commandstats; done | tr -d '\r' | awk -F'[:=,]' '
    /^cmdstat_/ { total += $3; if ($1 !~ /^cmdstat_(set|hgetall|hget|hkeys|get|exists|hset|hdel|del|pexpire)$/) client += $3 }
    END { print total + 0, client + 0 }'
}
# Insert queries the four servers have run (the Distributed table's forwarding to the shards included).
insert_queries() {
  local n t=0
  for n in "${CH_NODES[@]}"; do
    t=$(( t + $(ch_query "$n" "SELECT sum(value) FROM system.events WHERE event = 'InsertQuery'") ))
  done
  echo "$t"
}
# Per event between the window's two lines ($1): µs of CPU of the column $2 (3 Flink ... 7 ZooKeeper, "6+7" both), or
# for column 8 insert queries per 1M rows.
window_us() {
  # From the first sample to the last one taken while the job's JVM still ran (see await_rows).
  awk -v col="$2" -v hz="$HZ" 'NR == 1 { for (i = 1; i <= NF; i++) a[i] = $i } NR > 1 && $3 != "x" { for (i = 1; i <= NF; i++) b[i] = $i }
    END { rows = b[1] - a[1]; if (rows <= 0) { print "-"; exit } n = split(col, c, "+"); d = 0
          for (i = 1; i <= n; i++) { if (a[c[i]] == "x" || b[c[i]] == "x") { print "-"; exit } d += b[c[i]] - a[c[i]] }
          if (d < 0) { print "-"; exit } # a process that was not the same at both samples (restarted)
          if (col == "8") printf "%.0f", d * 1e6 / rows; else printf "%.1f", d / hz * 1e6 / rows }' "$1"
}
# CPU ticks so far of the threads of process $1 whose name matches $2 (the JIT's compiler threads, the collector's
# threads): a window that still has the JIT compiling is not the steady state, and the figure should say so. On two
# cores the JVM keeps these threads for its lifetime, so the difference of two samples is theirs.
thread_ticks() {
  [ -n "$1" ] && [ -d "/proc/$1/task" ] || { echo 0; return; }
  local t=0 d
  for d in /proc/"$1"/task/*; do
    grep -Eq -- "$2" "$d/comm" 2>/dev/null || continue
    t=$(( t + $(awk '{ sub(/^.*\) /, ""); print $12 + $13 }' "$d/stat" 2>/dev/null || echo 0) ))
  done
  echo "$t"
}
redis_info() { redis-cli -p "$REDIS_PORT" info "$1" | tr -d '\r' | sed -n "s/^$2://p"; }
# The run's Redis state is large (sessions, funnels, joins of N events); left behind, every later run pays for it
# when Redis rewrites its append-only file (a fork writing the whole data set: a minute of a core for 2.6 GB).
drop_redis_keys() {
  local p
  for p in $REDIS_PORT $REDIS_CLUSTER_PORTS; do
    # A cluster's replicas list their masters' keys and refuse to delete them: their masters do it.
    redis-cli -p "$p" --scan --pattern "$1" 2>/dev/null | xargs -r -n 5000 redis-cli -p "$p" unlink >/dev/null 2>&1 || true
  done
}
# The Redis processes and ports the figures are of: the one server, or the cluster's six nodes.
REDIS_CLUSTER_PORTS="$(seq "$REDIS_CLUSTER_PORT" $((REDIS_CLUSTER_PORT + 5)) | tr '\n' ' ')"
if [ "$REDIS_MODE" = cluster ]; then
  REDIS_PIDFILES="redis-rc1 redis-rc2 redis-rc3 redis-rc4 redis-rc5 redis-rc6"; REDIS_PORTS="$REDIS_CLUSTER_PORTS"
  JOB_SETS+=(--set "redis.cluster-nodes=127.0.0.1:$REDIS_CLUSTER_PORT,127.0.0.1:$((REDIS_CLUSTER_PORT + 1)),127.0.0.1:$((REDIS_CLUSTER_PORT + 2))")
else
  REDIS_PIDFILES=redis; REDIS_PORTS="$REDIS_PORT"
fi
pids_of() { local f; for f in "$@"; do if [ -f "$RUN_DIR/$f.pid" ]; then echo "$(cat "$RUN_DIR/$f.pid")"; fi; done; }
# Whether the job's JVM has ended (a bounded job ends soon after its last insert).
job_ended() { [ -n "${JOB_PID:-}" ] && [ ! -d "/proc/$JOB_PID/task" ]; }
# Polls the row count of $1 until it reaches $2; prints "first_ms last_ms rows_at_first" (first: the first poll
# that saw rows; the rows it saw are not counted in the rate: ClickHouse's Kafka engine lands ~1M-row blocks).
# With $4, the steady-state window: when 20 % of the rows have landed and then at every poll until 90 % have, a line
# "rows ms flink clickhouse kafka redis zookeeper inserts flink-jit flink-gc" (CPU ticks so far, server-side insert
# queries) goes to the file $4. A bounded job's JVM ends right after its last insert, often before a poll has seen
# 90 %: the window then ends at the last sample taken while it ran (window_end says where).
await_rows() {
  local table="$1" expected="$2" timeout_s="$3" window="${4:-}" first="" at_first=0 n deadline w=0 wdone=""
  deadline=$(( $(date +%s) + timeout_s ))
  while :; do
    n=$(sql "SELECT ${ROWS_EXPR} FROM $table")
    if [ -z "$first" ] && [ "$n" -gt 0 ]; then first=$(now_ms); at_first=$n; fi
    if [ -n "$window" ] && [ -z "$wdone" ] && [ "$n" -ge $(( expected / 5 )) ]; then
      # The job's three figures first and together: a bounded job's JVM may end right after its last insert, and
      # figures read while it ended are void ("x": the window prints "-"), also those read just before it did.
      local at flink jit gc
      at=$(now_ms); flink=$(ticks ${JOB_PID:-})
      jit=$(thread_ticks "${JOB_PID:-}" 'CompilerThre'); gc=$(thread_ticks "${JOB_PID:-}" '^(GC Thread|G1 )')
      if job_ended; then flink=x; jit=x; gc=x; fi
      echo "$n $at $flink $(ticks $CH_PIDS) $(ticks $(pids_of kafka)) $(ticks $(pids_of $REDIS_PIDFILES)) $(ticks $(pids_of zookeeper)) $(insert_queries) $jit $gc" >>"$window"
      w=$(( w + 1 ))
      if [ "$w" -ge 2 ] && { [ "$n" -ge $(( expected * 9 / 10 )) ] || [ "$flink" = x ]; }; then wdone=1; fi
    fi
    if [ "$n" -ge "$expected" ]; then echo "$first $(now_ms) $at_first"; return 0; fi
    [ "$(date +%s)" -lt "$deadline" ] || { say "only $n of $expected rows in $table after ${timeout_s}s"; return 1; }
    sleep 0.25
  done
}

step "Stack, build, geo database"
scripts/stack.sh install >&2
scripts/stack.sh start >&2
scripts/build.sh >&2
JAR="$(job_jar)"
step "Dropping what earlier runs and the tests left: their ClickHouse databases and Redis keys"
# Every replicated table polls ZooKeeper: 50 leftover databases cost ZooKeeper ~10 % of a core and ClickHouse as
# much again, at rest, and that showed up in every later run's CPU figures. The tests keep their databases (it_*) for
# inspection until their next run; after the README's test command there are some forty, so they go here too.
dropped=0
for db in $(sql "SELECT name FROM system.databases WHERE match(name, '^(bench[0-9]+_(job|kafka)|it_[0-9a-f]{10})\$') FORMAT TSV"); do
  sql "DROP DATABASE IF EXISTS $db ON CLUSTER $CH_CLUSTER" >/dev/null
  dropped=$((dropped + 1))
done
drop_redis_keys 'bench[0-9]*:*'
drop_redis_keys 'it_*:*'
drop_redis_keys 'clean_*:*'
say "dropped $dropped leftover databases; the stack is at rest: $(sql "SELECT count() FROM system.tables WHERE engine LIKE 'Replicated%'") replicated tables left on this node"
CH_PIDS=$(pids_of clickhouse-s1r1 clickhouse-s1r2 clickhouse-s2r1 clickhouse-s2r2 | tr '\n' ' ')
GEO=$(scripts/fetch-geo-db.sh) || die "the benchmark runs with geo on: scripts/fetch-geo-db.sh failed"
SETS=(--set "kafka.topics=$TOPIC" --set "kafka.dead-letter-topic=$RUN-dead" --set "kafka.group-id=$RUN-job"
      --set "clickhouse.database=$JOB_DB" --set "funnel.definitions-topic=$RUN-funnels"
      --set "redis.key-prefix=$RUN" --set "geo.databases=$GEO" --set "backfill.topic=$RUN-backfill"
      --set "join.rules=[{\"name\": \"last-order\", \"from\": \"$TOPIC\", \"fields\": [\"properties.product_id\", \"properties.price\"], \"into\": [\"web\", \"app\"]}]"
      ${JOB_SETS[@]+"${JOB_SETS[@]}"})

step "Schema for the job ($JOB_DB) and the baseline ($KAFKA_DB); topic $TOPIC with $PARTITIONS partitions; funnels"
tool io.clickstream.etl.tools.Migrate --config "$CONFIG" --set "clickhouse.database=$JOB_DB" >&2
tool io.clickstream.etl.tools.Migrate --config "$CONFIG" --set "clickhouse.database=$KAFKA_DB" >&2
tool io.clickstream.etl.tools.EventGenerator --config "$CONFIG" "${SETS[@]}" --count 0 --create-topics "$PARTITIONS" >&2
for f in flink-conf/funnels/*.json; do tool io.clickstream.etl.tools.Funnels publish --config "$CONFIG" "${SETS[@]}" --file "$f" >&2; done

step "Preloading $EVENTS events"
t0=$(now_ms)
tool io.clickstream.etl.tools.EventGenerator --config "$CONFIG" "${SETS[@]}" --count "$EVENTS" --users "$USERS" \
  --millis-only --seed 1 --late-share "$LATE_SHARE" --late-minutes "$LATE_MINUTES" | tail -2 >&2
PRELOAD_RATE=$(div "$(( EVENTS * 1000 ))" "$(( $(now_ms) - t0 ))" "%.0f")

step "The job: $EVENTS events from earliest, parallelism $PARALLELISM, everything on (log: $LOG_DIR/$RUN-job.log)"
OTHER_PIDS="$(pids_of kafka) $(pids_of $REDIS_PIDFILES) $(pids_of zookeeper)"
read -r r_total0 r_client0 < <(redis_calls)
aof0=$(redis_info persistence aof_rewrites)
c_ch0=$(ticks $CH_PIDS); c_kafka0=$(ticks $(pids_of kafka)); c_redis0=$(ticks $(pids_of $REDIS_PIDFILES)); c_zk0=$(ticks $(pids_of zookeeper))
job_start=$(now_ms)
JAVA_OPTS="-Xmx3g ${JOB_JAVA_OPTS:-}" scripts/run-local.sh --config "$CONFIG" "${SETS[@]}" --set kafka.start-from=earliest \
  --set kafka.bounded=true --parallelism "$PARALLELISM" --web-ui-port "$UI_PORT" --checkpoint-interval-ms 10000 \
  --counter-totals "$STACK_DIR/$RUN-counters.json" >"$LOG_DIR/$RUN-job.log" 2>&1 &
JOB_PID=$!
trap 'kill $JOB_PID 2>/dev/null || true' EXIT
JOB_WINDOW="$STACK_DIR/$RUN-job-window.txt"; KAFKA_WINDOW="$STACK_DIR/$RUN-kafka-window.txt"
read -r first last at_first < <(await_rows "$JOB_DB.events" "$EVENTS" 1800 "$JOB_WINDOW") || { tail -20 "$LOG_DIR/$RUN-job.log" >&2; die "the job did not deliver"; }
c_flink=$(ticks "$JOB_PID")
if job_ended; then c_flink=""; fi # its total is gone with it
c_ch=$(( $(ticks $CH_PIDS) - c_ch0 )); c_kafka=$(( $(ticks $(pids_of kafka)) - c_kafka0 ))
c_redis=$(( $(ticks $(pids_of $REDIS_PIDFILES)) - c_redis0 )); c_zk=$(( $(ticks $(pids_of zookeeper)) - c_zk0 ))
read -r r_total1 r_client1 < <(redis_calls)
AOF_REWRITES=$(( $(redis_info persistence aof_rewrites) - aof0 ))
wait "$JOB_PID" || true
# A bounded job ends after its last corrections (late events): the wall and ClickHouse CPU up to its end.
JOB_END=$(div "$(( $(now_ms) - job_start ))" 1000 "%.1f")
c_ch_end=$(( $(ticks $CH_PIDS) - c_ch0 ))
JOB_SECONDS=$(div "$(( last - first ))" 1000 "%.1f")
JOB_RATE=$(div "$(( (EVENTS - at_first) * 1000 ))" "$(( last - first ))" "%.0f")
JOB_WALL=$(div "$(( last - job_start ))" 1000 "%.1f")
REDIS_CMDS=$(div "$(( r_total1 - r_total0 ))" "$EVENTS" "%.4f")
REDIS_RT=$(div "$(( r_client1 - r_client0 ))" "$EVENTS" "%.4f")
# The sinks' counters, summed over their subtasks as the bounded job's tasks ended (LocalRunner --counter-totals).
sink_totals() {
  jq -r --arg op "$1" '[to_entries[] | select(.key | startswith($op)) | .value]
    | "\(map(.batches // 0) | add // 0) \(map(.rows // 0) | add // 0)"' "$STACK_DIR/$RUN-counters.json"
}
read -r batches rows < <(sink_totals "ClickHouse events")
read -r s_batches s_rows < <(sink_totals "ClickHouse sessions")
ROWS_PER_INSERT=$(div "$rows" "$batches")
# Late events and what they changed: the step's corrections and the rows the corrections sink wrote again.
counter_total() {
  jq -r --arg op "$1" --arg c "$2" '[to_entries[] | select(.key | startswith($op)) | .value[$c] // 0] | add // 0' \
    "$STACK_DIR/$RUN-counters.json"
}
LATE_EVENTS=$(counter_total "Order by event time" lateEvents)
CORRECTIONS=$(counter_total "Sessions, joins, funnels" corrections)
REWRITTEN=$(counter_total "ClickHouse corrections" rowsWritten)
REWRITTEN_PER_LATE=$(div "$REWRITTEN" "$LATE_EVENTS" "%.2f")
INSERTS_PER_S=$(div "$(( batches + s_batches ))" "$JOB_SECONDS" "%.1f")
TAGGED=$(sql "SELECT count() FROM $JOB_DB.events WHERE length(funnels.id) > 0")
JOINED=$(sql "SELECT count() FROM $JOB_DB.events WHERE has(props.key, 'last-order.price')")
GEO_ROWS=$(sql "SELECT count() FROM $JOB_DB.events WHERE country != ''")
say "job: $EVENTS rows in ${JOB_SECONDS}s = $JOB_RATE/s; funnel-tagged $TAGGED, joined $JOINED, with geo $GEO_ROWS"

step "Baseline: ClickHouse Kafka engine ($PARTITIONS consumers on s1r1) + materialized view into $KAFKA_DB.events"
c_ch0=$(ticks $CH_PIDS); c_kafka0=$(ticks $(pids_of kafka))
sql "CREATE TABLE $KAFKA_DB.queue (event_id String, user_id String, event_type String, source String, ts UInt64,
     url String, referrer String, ip String, user_agent String)
     ENGINE = Kafka SETTINGS kafka_broker_list = '127.0.0.1:$KAFKA_PORT', kafka_topic_list = '$TOPIC',
     kafka_group_name = '$RUN-clickhouse', kafka_format = 'JSONEachRow', kafka_num_consumers = $PARTITIONS"
# 18.16: inside the view 'ts' names the DateTime alias (so toDate(ts) is right); LowCardinality needs an explicit
# cast (Bad cast from ColumnString otherwise). Milliseconds are not kept: no enrichment, no extras.
sql "CREATE MATERIALIZED VIEW $KAFKA_DB.queue_mv TO $KAFKA_DB.events AS SELECT toDate(ts) AS dt,
     toDateTime(intDiv(ts, 1000)) AS ts, event_id, user_id, toLowCardinality(event_type) AS event_type,
     toLowCardinality(source) AS source, url, referrer, ip, user_agent FROM $KAFKA_DB.queue"
kstart=$(now_ms)
read -r kfirst klast kat_first < <(JOB_PID="" await_rows "$KAFKA_DB.events" "$EVENTS" 1800 "$KAFKA_WINDOW") || die "the Kafka engine did not deliver"
k_ch=$(( $(ticks $CH_PIDS) - c_ch0 )); k_kafka=$(( $(ticks $(pids_of kafka)) - c_kafka0 ))
sql "DROP TABLE $KAFKA_DB.queue_mv"
sql "DROP TABLE $KAFKA_DB.queue"
KAFKA_SECONDS=$(div "$(( klast - kfirst ))" 1000 "%.1f")
KAFKA_RATE=$(div "$(( (EVENTS - kat_first) * 1000 ))" "$(( klast - kfirst ))" "%.0f")
KAFKA_WALL=$(div "$(( klast - kstart ))" 1000 "%.1f")
RATIO=$(div "$JOB_RATE" "$KAFKA_RATE" "%.2f")
say "Kafka engine: $EVENTS rows in ${KAFKA_SECONDS}s = $KAFKA_RATE/s"

# The latency includes the event-time bound: each user's events wait until the watermark passes them.
BOUND=$(sed -n 's/^event-time.max-out-of-orderness: *//p' "$CONFIG")
for s in ${JOB_SETS[@]+"${JOB_SETS[@]}"}; do
  case "$s" in event-time.max-out-of-orderness=*) BOUND="${s#*=}" ;; esac
done
LAT_RATE=${LAT_FIXED_RATE:-$(( JOB_RATE / 4 ))}; P50=-1; P99=-1; LAT_LINE="skipped"; LAT_AOF_REWRITES=0
S_ARR50=-1; S_ARR99=-1; S_LAG50=-1; S_LAG99=-1; S_INS50=-1; S_INS99=-1
# Metrics of the running latency job, from its REST API: the first vertex with metrics whose id matches $1 (a jq
# regex), then for each further argument the highest value over the subtasks of the metric whose id ends with it, in
# whole ms, space-separated (-1 where there is none).
job_metrics() {
  local api="http://127.0.0.1:$UI_PORT" pattern="$1" jid v ids names
  shift
  names=$(printf '%s\n' "$@" | jq -R . | jq -s -c .)
  jid=$(curl -s "$api/jobs/overview" | jq -r '[.jobs[] | select(.state == "RUNNING")][0].jid // empty')
  if [ -n "$jid" ]; then
    for v in $(curl -s "$api/jobs/$jid" | jq -r '.vertices[].id'); do
      ids=$(curl -s "$api/jobs/$jid/vertices/$v/subtasks/metrics" \
        | jq -r --arg p "$pattern" '[.[].id | select(test($p))] | join(",")')
      if [ -n "$ids" ]; then
        curl -s "$api/jobs/$jid/vertices/$v/subtasks/metrics?get=$ids" | jq -r --argjson names "$names" '. as $all
          | [$names[] as $n | [$all[] | select(.id | endswith($n)) | .max][0]
             | if type == "number" then floor else -1 end] | map(tostring) | join(" ")'
        return
      fi
    done
  fi
  printf '%s\n' "$@" | sed 's/.*/-1/' | tr '\n' ' '; echo
}
# The events sink's histograms over its last 1,000 batches (the highest value over the subtasks): a batch's newest row
# from its publish to its arrival at the sink, its oldest row from its publish to the end of the insert, and the
# insert alone. Next to the probe's figure they tell what waits before the sink, in it, and after the insert.
sink_latency() {
  job_metrics 'ClickHouse.events.*clickhouse\.(arrivalLagMs|endToEndLagMs|insertLatencyMs)_(median|p99)$' \
    arrivalLagMs_median arrivalLagMs_p99 endToEndLagMs_median endToEndLagMs_p99 insertLatencyMs_median insertLatencyMs_p99
}
# The per-user step's stop before each checkpoint barrier while it writes the users changed since the last one, over
# the subtasks' last 100 checkpoints: median, p99, max.
barrier_write() {
  job_metrics '\.sessions\.barrierWriteMs_(median|p99|max)$' barrierWriteMs_median barrierWriteMs_p99 barrierWriteMs_max
}
B_W50=-1; B_W99=-1; B_WMAX=-1
if [ "$LAT_SECONDS" -gt 0 ]; then
  step "Latency: the job from latest, $LAT_RATE events/s (a quarter of $JOB_RATE), 30 s warm-up, ${LAT_SECONDS}s measured"
  # The rows of steps 2 and 3 are still being merged and fetched by the other replicas; latency is measured on a
  # quiet cluster.
  merging() {
    local n t=0
    for n in "${CH_NODES[@]}"; do
      t=$(( t + $(ch_query "$n" "SELECT (SELECT count() FROM system.merges) + (SELECT count() FROM system.replication_queue)") ))
    done
    [ "$t" -gt 0 ]
  }
  quiet() { ! merging; }
  wait_for 300 "ClickHouse merges of the earlier steps to finish" quiet || say "merges still running; latency measured anyway"
  aof_idle() { [ "$(redis_info persistence aof_rewrite_in_progress)" = 0 ] && [ "$(redis_info persistence aof_rewrite_scheduled)" = 0 ]; }
  wait_for 300 "Redis to finish rewriting its append-only file" aof_idle || say "Redis still rewriting its AOF; latency measured anyway"
  # Redis rewrites its append-only file when it has grown 400 % since the last rewrite: a catch-up that writes less
  # leaves the rewrite to fall into the latency run, where it stalled Redis past the job's timeout (2-8 s on two
  # cores) and made the p99 a matter of when the threshold was crossed. A rewrite now, with the catch-up's state as its
  # new base, leaves both builds of an A/B the same quiet Redis (the count during the run is printed below).
  redis-cli -p "$REDIS_PORT" bgrewriteaof >/dev/null
  sleep 1
  wait_for 300 "Redis to rewrite its append-only file before the latency run" aof_idle || say "Redis still rewriting its AOF; latency measured anyway"
  lat_aof0=$(redis_info persistence aof_rewrites)
  JAVA_OPTS="-Xmx3g ${JOB_JAVA_OPTS:-}" scripts/run-local.sh --config "$CONFIG" "${SETS[@]}" --set kafka.start-from=latest \
    --set "kafka.group-id=$RUN-latency" --parallelism "$PARALLELISM" --web-ui-port "$UI_PORT" \
    --checkpoint-interval-ms 10000 >"$LOG_DIR/$RUN-latency.log" 2>&1 &
  JOB_PID=$!
  running() { curl -s "http://127.0.0.1:$UI_PORT/jobs/overview" | grep -q '"state":"RUNNING"'; }
  wait_for 120 "the latency job to run" running || die "the latency job did not start, see $LOG_DIR/$RUN-latency.log"
  # Until every task has opened (geo database, Yauaa): a backlog built while they start outlasts a short warm-up.
  sleep 20
  # 30 s at the same rate before the probes count: a fresh JVM is slow until its code is compiled.
  LAT_LINE=$(tool io.clickstream.etl.tools.LatencyProbe --config "$CONFIG" "${SETS[@]}" --rate "$LAT_RATE" \
    --warmup-seconds 30 --seconds "$LAT_SECONDS" --table "$JOB_DB.events" | grep '^latency')
  read -r S_ARR50 S_ARR99 S_LAG50 S_LAG99 S_INS50 S_INS99 < <(sink_latency | tr '\n' ' '; echo)
  read -r B_W50 B_W99 B_WMAX < <(barrier_write; echo)
  kill "$JOB_PID" 2>/dev/null; wait "$JOB_PID" 2>/dev/null || true
  LAT_AOF_REWRITES=$(( $(redis_info persistence aof_rewrites) - lat_aof0 ))
  P50=$(sed -n 's/.*p50_ms=\([-0-9]*\).*/\1/p' <<<"$LAT_LINE"); P99=$(sed -n 's/.*p99_ms=\([-0-9]*\).*/\1/p' <<<"$LAT_LINE")
  say "$LAT_LINE"
fi

# Marginal cost: between 20 % and 90 % of the rows landed (start-up, JIT warm-up and the last flush left out), or
# the last sample before the job's JVM ended when that came first.
WINDOW_END=$(awk -v e="$EVENTS" 'NR > 1 && $3 != "x" { n = $1 } END { printf "%.0f", (n ? n : 0) * 100 / e }' "$JOB_WINDOW")
M_FLINK=$(window_us "$JOB_WINDOW" 3); M_JIT=$(window_us "$JOB_WINDOW" 9); M_GC=$(window_us "$JOB_WINDOW" 10); M_CH=$(window_us "$JOB_WINDOW" 4); M_KAFKA=$(window_us "$JOB_WINDOW" 5)
M_RZ=$(window_us "$JOB_WINDOW" "6+7"); M_INSERTS=$(window_us "$JOB_WINDOW" 8)
MK_CH=$(window_us "$KAFKA_WINDOW" 4); MK_KAFKA=$(window_us "$KAFKA_WINDOW" 5); MK_INSERTS=$(window_us "$KAFKA_WINDOW" 8)
if [ -n "$c_flink" ]; then flink_s=$(cpu_s "$c_flink"); else flink_s=null; fi; ch_s=$(cpu_s "$c_ch"); kafka_s=$(cpu_s "$c_kafka"); redis_s=$(cpu_s "$c_redis"); zk_s=$(cpu_s "$c_zk")
kch_s=$(cpu_s "$k_ch"); kkafka_s=$(cpu_s "$k_kafka"); ch_end_s=$(cpu_s "$c_ch_end")
{
  printf '\nBenchmark %s: %s events, %s partitions, %s users, job parallelism %s, %s cores, Redis: %s\n' "$RUN" \
    "$EVENTS" "$PARTITIONS" "$USERS" "$PARALLELISM" "$(nproc)" \
    "$([ "$REDIS_MODE" = cluster ] && echo "cluster of 3 masters + 3 replicas" || echo "one server")"
  printf '%-44s %16s %16s\n' "" "job (enriched)" "Kafka engine"
  printf '%-44s %16s %16s\n' "events/s, first to last row landed (*)" "$JOB_RATE" "$KAFKA_RATE"
  printf '%-44s %16s %16s\n' "seconds, first to last row" "$JOB_SECONDS" "$KAFKA_SECONDS"
  printf '%-44s %16s %16s\n' "ratio to the baseline" "$RATIO" "1.00"
  printf '%-44s %16s %16s\n' "CPU s: Flink job (whole JVM, incl. start)" "${flink_s/null/-}" "-"
  printf '%-44s %16s %16s\n' "CPU s: ClickHouse (4 servers)" "$ch_s" "$kch_s"
  printf '%-44s %16s %16s\n' "CPU s: Kafka broker" "$kafka_s" "$kkafka_s"
  printf '%-44s %16s %16s\n' "CPU s: Redis / ZooKeeper" "$redis_s / $zk_s" "-"
  printf '%-44s %16s %16s\n' "marginal µs/event (20-$WINDOW_END %): Flink" "$M_FLINK" "-"
  printf '%-44s %16s %16s\n' "  of which JIT compiler / GC threads" "$M_JIT / $M_GC" "-"
  printf '%-44s %16s %16s\n' "marginal µs/event: ClickHouse" "$M_CH" "$MK_CH"
  printf '%-44s %16s %16s\n' "marginal µs/event: Redis + ZooKeeper" "$M_RZ" "-"
  printf '%-44s %16s %16s\n' "marginal µs/event: Kafka broker" "$M_KAFKA" "$MK_KAFKA"
  printf '%-44s %16s %16s\n' "server insert queries per 1M rows (20-$WINDOW_END %)" "$M_INSERTS" "$MK_INSERTS"
  printf '%-44s %16s %16s\n' "Redis round trips per event" "$REDIS_RT" "-"
  printf '%-44s %16s %16s\n' "Redis commands per event (incl. in scripts)" "$REDIS_CMDS" "-"
  printf '%-44s %16s %16s\n' "Redis AOF rewrites during the job (forks)" "$AOF_REWRITES" "-"
  printf '%-44s %16s %16s\n' "event rows per insert (+ session inserts)" "$ROWS_PER_INSERT (+$s_batches)" "-"
  printf '%-44s %16s %16s\n' "inserts per second (events + sessions)" "$INSERTS_PER_S" "-"
  printf '%-44s %16s %16s\n' "seconds from start to last row" "$JOB_WALL" "$KAFKA_WALL"
  printf '%-44s %16s %16s\n' "rows already landed at the first poll" "$at_first" "$kat_first"
  printf '%-44s %16s %16s\n' "latency p50 / p99 ms at $LAT_RATE/s" "$P50 / $P99" "-"
  printf '%-44s %16s %16s\n' "  of which event-time bound (out-of-orderness)" "$BOUND" "-"
  printf '%-44s %16s %16s\n' "  sink: newest row publish->sink p50/p99" "$S_ARR50 / $S_ARR99" "-"
  printf '%-44s %16s %16s\n' "  sink: oldest row publish->inserted p50/p99" "$S_LAG50 / $S_LAG99" "-"
  printf '%-44s %16s %16s\n' "  sink: the insert itself p50/p99 ms" "$S_INS50 / $S_INS99" "-"
  printf '%-44s %16s %16s\n' "  sessions: Redis write at barrier p50/p99/max" "$B_W50 / $B_W99 / $B_WMAX" "-"
  printf '%-44s %16s %16s\n' "Redis AOF rewrites during the latency run" "$LAT_AOF_REWRITES" "-"
  printf '%-44s %16s %16s\n' "rows with funnel tags / join / geo" "$TAGGED / $JOINED / $GEO_ROWS" "-"
  printf '%-44s %16s %16s\n' "late events / corrections / rows rewritten" "$LATE_EVENTS / $CORRECTIONS / $REWRITTEN" "-"
  printf '%-44s %16s %16s\n' "rows rewritten per late event" "$REWRITTEN_PER_LATE" "-"
  printf '%-44s %16s %16s\n' "to the job's end (last corrections): s / CH CPU s" "$JOB_END / $ch_end_s" "-"
  printf '(*) rows counted from the first poll that saw rows, without those rows; polls every 0.25 s\n'
  printf 'preload rate %s events/s; latency run: %s\n' "$PRELOAD_RATE" "$LAT_LINE"
} | tee "$STACK_DIR/$RUN.txt"
jq -n --arg run "$RUN" --argjson events "$EVENTS" --argjson partitions "$PARTITIONS" --argjson users "$USERS" \
  --argjson parallelism "$PARALLELISM" --argjson cores "$(nproc)" \
  --argjson job_rate "$JOB_RATE" --argjson job_s "$JOB_SECONDS" --argjson job_wall "$JOB_WALL" \
  --argjson flink_s "$flink_s" --argjson ch_s "$ch_s" --argjson kafka_s "$kafka_s" --argjson redis_s "$redis_s" \
  --argjson zk_s "$zk_s" --argjson redis_rt "$REDIS_RT" --argjson redis_cmds "$REDIS_CMDS" \
  --argjson aof "$AOF_REWRITES" --argjson batches "$batches" --argjson rows "$rows" \
  --argjson rows_per_insert "$ROWS_PER_INSERT" --argjson s_batches "$s_batches" --argjson s_rows "$s_rows" \
  --argjson inserts_per_s "$INSERTS_PER_S" --argjson tagged "$TAGGED" --argjson joined "$JOINED" \
  --argjson geo "$GEO_ROWS" --argjson k_rate "$KAFKA_RATE" --argjson k_s "$KAFKA_SECONDS" \
  --argjson k_wall "$KAFKA_WALL" --argjson kch_s "$kch_s" --argjson kkafka_s "$kkafka_s" --argjson ratio "$RATIO" \
  --argjson lat_rate "$LAT_RATE" --argjson lat_s "$LAT_SECONDS" --argjson p50 "$P50" --argjson p99 "$P99" \
  --arg m_flink "$M_FLINK" --arg m_jit "$M_JIT" --arg m_gc "$M_GC" --arg m_ch "$M_CH" --arg m_rz "$M_RZ" --arg m_kafka "$M_KAFKA" --arg mk_ch "$MK_CH" \
  --arg mk_kafka "$MK_KAFKA" --arg m_inserts "$M_INSERTS" --arg mk_inserts "$MK_INSERTS" --argjson window_end "$WINDOW_END" \
  --arg bound "$BOUND" --argjson lat_aof "$LAT_AOF_REWRITES" --argjson preload "$PRELOAD_RATE" \
  --argjson s_arr50 "$S_ARR50" --argjson s_arr99 "$S_ARR99" --argjson s_lag50 "$S_LAG50" --argjson s_lag99 "$S_LAG99" --argjson s_ins50 "$S_INS50" --argjson s_ins99 "$S_INS99" \
  --argjson late_share "$LATE_SHARE" --argjson late_minutes "$LATE_MINUTES" --argjson late_events "$LATE_EVENTS" \
  --argjson corrections "$CORRECTIONS" --argjson rewritten "$REWRITTEN" \
  --argjson job_end "$JOB_END" --argjson ch_end_s "$ch_end_s" \
  --arg redis_mode "$REDIS_MODE" --argjson b_w50 "$B_W50" --argjson b_w99 "$B_W99" --argjson b_wmax "$B_WMAX" '{
    run: $run, redis: $redis_mode, events: $events, partitions: $partitions, users: $users, parallelism: $parallelism, cores: $cores,
    job: {events_per_s: $job_rate, seconds: $job_s, wall_seconds: $job_wall,
          cpu_s: {flink: $flink_s, clickhouse: $ch_s, kafka: $kafka_s, redis: $redis_s, zookeeper: $zk_s},
          redis_round_trips_per_event: $redis_rt, redis_commands_per_event: $redis_cmds, redis_aof_rewrites: $aof,
          event_inserts: $batches, event_rows: $rows, rows_per_insert: $rows_per_insert,
          session_inserts: $s_batches, session_rows: $s_rows, inserts_per_s: $inserts_per_s,
          rows_with_funnel_tags: $tagged, rows_joined: $joined, rows_with_geo: $geo},
    kafka_engine: {events_per_s: $k_rate, seconds: $k_s, wall_seconds: $k_wall,
                   cpu_s: {clickhouse: $kch_s, kafka: $kkafka_s}},
    marginal_us_per_event: {flink: $m_flink, flink_jit: $m_jit, flink_gc: $m_gc, clickhouse: $m_ch, redis_zookeeper: $m_rz, kafka: $m_kafka,
                            kafka_engine_clickhouse: $mk_ch, kafka_engine_kafka: $mk_kafka},
    server_insert_queries_per_1m_rows: {job: $m_inserts, kafka_engine: $mk_inserts},
    marginal_window_percent: {from: 20, to: $window_end},
    ratio_to_baseline: $ratio,
    latency: {rate: $lat_rate, seconds: $lat_s, p50_ms: $p50, p99_ms: $p99, event_time_bound: $bound,
              redis_aof_rewrites: $lat_aof,
              sink_newest_row_to_sink_ms: {p50: $s_arr50, p99: $s_arr99},
              sink_oldest_row_to_inserted_ms: {p50: $s_lag50, p99: $s_lag99},
              sink_insert_ms: {p50: $s_ins50, p99: $s_ins99},
              sessions_barrier_write_ms: {p50: $b_w50, p99: $b_w99, max: $b_wmax}},
    late: {share: $late_share, minutes: $late_minutes, late_events: $late_events, corrections: $corrections,
           rows_rewritten: $rewritten, job_end_seconds: $job_end, clickhouse_cpu_s_to_job_end: $ch_end_s},
    preload_events_per_s: $preload}' >"$OUT"
drop_redis_keys "$RUN:*"
say "written: $OUT (and $STACK_DIR/$RUN.txt); databases $JOB_DB and $KAFKA_DB are left for inspection, the run's Redis keys are removed"
