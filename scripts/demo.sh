#!/usr/bin/env bash
# The whole pipeline on this machine, from nothing: installs and starts the local stack (ZooKeeper, ClickHouse
# 2 shards x 2 replicas, Redis, Kafka, the HTTP collector), applies the schema, builds the job jar, starts the job on
# a local Flink with its web UI, sends a synthetic click stream (with 1% malformed inputs) through the collector as
# clients would (NDJSON batches, retried on 503; inputs it refuses are counted) and prints what landed in ClickHouse,
# in the dead-letter topic, and the conversion of the example funnels (flink-conf/funnels/) it publishes.
#
#   scripts/demo.sh [--events N] [--rate N] [--web-ui-port N] [--keep-running]
#
#   --events N        events to generate (default 200000)
#   --rate N          events per second (default 20000)
#   --web-ui-port N   Flink web UI port (default 8081)
#   --keep-running    leave the job running afterwards (Ctrl-C stops it); default: stop it when done
set -euo pipefail
source "$(dirname "$0")/lib/common.sh"
cd "$PROJECT_DIR"

EVENTS=200000 RATE=20000 UI_PORT=8081 KEEP=""
while [ $# -gt 0 ]; do
  case "$1" in
    --events) EVENTS="$2"; shift 2 ;;
    --rate) RATE="$2"; shift 2 ;;
    --web-ui-port) UI_PORT="$2"; shift 2 ;;
    --keep-running) KEEP=1; shift ;;
    *) sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'; exit 2 ;;
  esac
done
CONFIG="$PROJECT_DIR/flink-conf/clickstream.yaml"
CH="http://127.0.0.1:$CH_HTTP_PORT"


step "Installing and starting the local stack (logs: $LOG_DIR)"
scripts/stack.sh install
scripts/stack.sh start

step "Building the job jar"
scripts/build.sh
JAR="$(job_jar)"
# The collector the events go through runs the code just built (restarted only if its jar changed).
scripts/stack.sh start collector

step "Fetching the DB-IP Lite geo database (IP Geolocation by DB-IP, https://db-ip.com, CC BY 4.0)"
GEO_ARGS=()
if GEO_DBS="$(scripts/fetch-geo-db.sh)"; then
  GEO_ARGS=(--set "geo.databases=$GEO_DBS")
else
  echo "no geo database: events get empty geo columns"
fi

step "Applying the ClickHouse schema (sql/) on cluster $CH_CLUSTER"
tool io.clickstream.etl.tools.Migrate --config "$CONFIG"
tool io.clickstream.etl.tools.EventGenerator --config "$CONFIG" --count 0 --create-topics 4 >/dev/null
START_MS=$(( $(date +%s) * 1000 ))

# Before the history, so that the job tags its events too (a funnel tags the events published after it); the job
# takes definitions published while it runs the same way.
step "Publishing the example funnels (flink-conf/funnels/*.json)"
for f in flink-conf/funnels/*.json; do
  tool io.clickstream.etl.tools.Funnels publish --config "$CONFIG" --file "$f"
done

# A month of history, imported as users import theirs: a file through tools.Backfill, exactly once (a file imported
# before is recognised and left out, so a second demo adds none), read by the job below before the live events.
HISTORY_FILE="$STACK_DIR/demo-month.ndjson.gz"
HISTORY_EVENTS=300000
step "Importing a month of generated history ($HISTORY_EVENTS events, users joining day by day) through tools.Backfill"
if [ ! -f "$HISTORY_FILE" ]; then
  # The month ends 7 hours ago, where the live stream's times begin: history newer than that would move the job's
  # watermark past the live events, which would then all come late.
  tool io.clickstream.etl.tools.EventGenerator --config "$CONFIG" --count "$HISTORY_EVENTS" --span-minutes 43200 \
    --until-minutes-ago 420 --growing --millis-only --seed 20261201 --file "$HISTORY_FILE.tmp" | tail -1
  mv "$HISTORY_FILE.tmp" "$HISTORY_FILE"
fi
# Events without a `source` are the shop's backend (orders, payments), as in the live stream.
tool io.clickstream.etl.tools.Backfill --config "$CONFIG" --files "$HISTORY_FILE" --source backend
BACKFILL_TOPIC=$(grep '^backfill.topic:' "$CONFIG" | cut -d' ' -f2)

step "Starting the job on a local Flink, web UI on http://127.0.0.1:$UI_PORT (log: $LOG_DIR/job-demo.log)"
require_free_ports "the demo's Flink web UI (--web-ui-port)" "$UI_PORT"
# As the job's own ClickHouse user (scripts/conf/clickhouse/job.xml): inserts and reads, no DDL.
scripts/run-local.sh --config "$CONFIG" --web-ui-port "$UI_PORT" "${GEO_ARGS[@]}" --set clickhouse.user=clickstream_job \
  >"$LOG_DIR/job-demo.log" 2>&1 &
JOB_PID=$!
kill_job() { kill "$JOB_PID" 2>/dev/null && wait "$JOB_PID" 2>/dev/null || true; }
trap kill_job EXIT
# Our own job: the process we started is alive and its web UI shows a running job.
job_running() { kill -0 "$JOB_PID" 2>/dev/null && curl -s "http://127.0.0.1:$UI_PORT/jobs/overview" | grep -q '"state":"RUNNING"'; }
job_ended() { ! kill -0 "$JOB_PID" 2>/dev/null; }
# Stops the job with a savepoint, as an operator would: its last checkpoint commits what is in flight (the dead
# letters' transaction, the session rows, the offsets), where a kill leaves that to the next run.
stop_job() {
  local jid
  jid=$(curl -s "http://127.0.0.1:$UI_PORT/jobs/overview" | grep -o '"jid":"[0-9a-f]*"' | head -1 | cut -d'"' -f4)
  [ -n "$jid" ] || return 1
  curl -sS -X POST "http://127.0.0.1:$UI_PORT/jobs/$jid/stop" -H 'Content-Type: application/json' \
    -d "{\"drain\": false, \"targetDirectory\": \"file://$STACK_DIR/savepoints\"}" >/dev/null || return 1
  wait_for 120 "the job to stop with a savepoint" job_ended
}
# The dead-letter topic's committed records (every run's).
dead_letters() {
  tool io.clickstream.etl.tools.DeadLetterReport --config "$CONFIG" | sed -n 's/^dead-letter topic [^:]*: \([0-9]*\) rejected inputs$/\1/p'
}
wait_for 120 "the job to run" job_running || { tail -30 "$LOG_DIR/job-demo.log"; die "the job did not start"; }
echo "job running"

step "Waiting for the history to land (the job reads the backfill topic with the live ones, in event-time order)"
history_rows() { sql "SELECT count() FROM clickstream.events WHERE kafka_topic = '$BACKFILL_TOPIC'"; }
history_landed() { [ "$(history_rows)" -ge "$HISTORY_EVENTS" ]; }
wait_for 300 "$HISTORY_EVENTS rows from $BACKFILL_TOPIC" history_landed || die "the history did not land, see $LOG_DIR/job-demo.log"
sql "SELECT min(dt) AS first_day, max(dt) AS last_day, uniqExact(dt) AS days, count() AS events, uniqExact(user_id) AS users
     FROM clickstream.events WHERE kafka_topic = '$BACKFILL_TOPIC' FORMAT PrettyCompactMonoBlock"
before=$(sql "SELECT count() FROM clickstream.events")

DAY_FROM=$(date -u -d "-7 hours" +%F)   # the generator spreads event times over the 6 hours before now
HISTORY_FROM=$(date -u -d "-31 days" +%F)   # the history: 30 days up to 7 hours ago

dead_before=$(dead_letters)

step "Sending $EVENTS events at $RATE/s through the HTTP collector (http://127.0.0.1:$COLLECTOR_PORT) into $(grep '^kafka.topics:' "$CONFIG" | cut -d' ' -f2)"
wait_for 60 "the collector to be ready" curl -sf "http://127.0.0.1:$COLLECTOR_PORT/ready" \
  || die "the collector is not ready, see $LOG_DIR/collector.log"
tool io.clickstream.etl.tools.EventGenerator --config "$CONFIG" --count "$EVENTS" --rate "$RATE" \
  --http "http://127.0.0.1:$COLLECTOR_PORT" --invalid-ratio 0.01 --seed "$(date +%s)" --summary "$STACK_DIR/demo-summary.json"
valid=$(grep -o '"valid":[0-9]*' "$STACK_DIR/demo-summary.json" | cut -d: -f2)
accepted=$(grep -o '"collector_accepted":[0-9]*' "$STACK_DIR/demo-summary.json" | cut -d: -f2)

step "Waiting for the $valid valid events to land in ClickHouse"
landed() { [ $(( $(sql "SELECT count() FROM clickstream.events") - before )) -ge "$valid" ]; }
wait_for 300 "$valid new rows in clickstream.events" landed || die "not all events arrived, see $LOG_DIR/job-demo.log"
echo "all $valid landed"

step "Waiting for this run's sessions rows and dead letters"
# Every session of the events stored has its row within a checkpoint (the rows are written before each barrier).
run_sessions() { sql "SELECT uniqExact(session_id) FROM clickstream.events WHERE version >= $START_MS"; }
session_rows() {
  sql "SELECT count() FROM clickstream.sessions FINAL WHERE session_id GLOBAL IN
       (SELECT session_id FROM clickstream.events WHERE version >= $START_MS)"
}
sessions_written() { [ "$(session_rows)" -ge "$(run_sessions)" ]; }
wait_for 120 "a row in clickstream.sessions for every session of this run's events" sessions_written \
  || die "sessions without a row, see $LOG_DIR/job-demo.log"
echo "sessions of this run's events: $(run_sessions); their rows in clickstream.sessions: $(session_rows)"
# Every input the collector accepted is an event row or a dead letter; the dead letters are written in the transaction
# of the next checkpoint. The balance starts from what the collector accepted, not from the generator's count of valid
# events: one of the generator's malformed kinds, an event wrapped in a JSON array, goes to the collector alone, which
# takes it as an array of one event, so it is stored (about one malformed input in eleven).
balance() {
  stored=$(( $(sql "SELECT count() FROM clickstream.events") - before ))
  dead=$(( $(dead_letters) - dead_before ))
  [ $((stored + dead)) -ge "$accepted" ]
}
wait_for 120 "$accepted inputs stored or dead-lettered" balance || true
balance || true
echo "inputs the collector accepted: $accepted = $stored event rows + $dead dead letters" \
  "($( [ $((stored + dead)) -eq "$accepted" ] && echo balanced || echo "NOT balanced: off by $((stored + dead - accepted))" ))"
[ $((stored + dead)) -eq "$accepted" ] || die "the inputs do not balance, see $LOG_DIR/job-demo.log"

step "What landed in ClickHouse (clickstream.events, all runs)"
sql "SELECT source, count() AS events, uniqExact(user_id) AS users, min(ts) AS first, max(ts) AS last
     FROM clickstream.events GROUP BY source ORDER BY events DESC FORMAT PrettyCompactMonoBlock"
sql "SELECT event_type, count() AS events FROM clickstream.events GROUP BY event_type ORDER BY events DESC
     FORMAT PrettyCompactMonoBlock"
sql "SELECT country, count() AS events, uniqExact(user_id) AS users FROM clickstream.events
     WHERE version >= $START_MS GROUP BY country ORDER BY events DESC LIMIT 8 FORMAT PrettyCompactMonoBlock"
sql "SELECT browser, device_type, is_bot, count() AS events FROM clickstream.events WHERE version >= $START_MS
     GROUP BY browser, device_type, is_bot ORDER BY events DESC LIMIT 10 FORMAT PrettyCompactMonoBlock"
echo "(this run's events; geo: IP Geolocation by DB-IP, https://db-ip.com)"
echo "Sessions and page views per day (clickstream.sessions, all runs):"
sql "SELECT dt, count() AS sessions, sum(page_views) AS page_views, round(avg(events), 1) AS events_per_session,
     round(avg(duration_s)) AS avg_duration_s FROM clickstream.sessions FINAL GROUP BY dt ORDER BY dt
     FORMAT PrettyCompactMonoBlock"
echo "Rows per replica (both replicas of a shard hold the same rows):"
for n in "${CH_NODES[@]}"; do
  printf '  %s (shard %s): %s\n' "$n" "$(ch_shard "$n")" "$(ch_query "$n" "SELECT count() FROM clickstream.events_local")"
done

step "Funnel conversion over the month: computed from the stored events, next to the sessions the stream tagged"
tool io.clickstream.etl.tools.Funnels report --config "$CONFIG" --id checkout --from "$HISTORY_FROM" --to "$(date -u +%F)"
tool io.clickstream.etl.tools.Funnels report --config "$CONFIG" --id search-to-cart --from "$HISTORY_FROM" --to "$(date -u +%F)"
echo "(sessions streamed before a funnel was published — earlier runs — count only in the retroactive column)"

step "Standard reports over the aggregates, read as the read-only analyst"
# Days whose events were stored before the aggregates existed (earlier runs, an older schema) are aggregated first.
for day in $(sql "SELECT dt FROM clickstream.events WHERE dt >= '$HISTORY_FROM' AND dt < today()
                  AND dt GLOBAL NOT IN (SELECT dt FROM clickstream.user_days GROUP BY dt) GROUP BY dt ORDER BY dt"); do
  tool io.clickstream.etl.tools.Aggregates rebuild --config "$CONFIG" --from "$day" --to "$day"
done
ANALYST_PASSWORD_FILE=$("$SCRIPTS_DIR/stack.sh" env | sed -n 's/^CLICKSTREAM_ANALYST_PASSWORD_FILE=//p')
analyst() { CLICKSTREAM_CLICKHOUSE_PASSWORD="$(cat "$ANALYST_PASSWORD_FILE")" tool "$@" --set clickhouse.user=analyst; }
analyst io.clickstream.etl.tools.Report --config "$CONFIG" --from "$DAY_FROM" --to "$(date -u +%F)" \
  --reports active,traffic,pages,funnels
# Split by source: each source's page views, sessions and users are those of its own events (they add up to more
# than the totals only by the sessions and users that had several sources).
analyst io.clickstream.etl.tools.Report --config "$CONFIG" --from "$DAY_FROM" --to "$(date -u +%F)" --split source \
  --reports traffic
analyst io.clickstream.etl.tools.Report --config "$CONFIG" --from "$HISTORY_FROM" --to "$(date -u +%F)" --split source \
  --format html --out "$STACK_DIR/report.html"
echo "(open $STACK_DIR/report.html in a browser: charts of all six reports over the month, split by source)"

step "What was rejected (dead-letter topic)"
tool io.clickstream.etl.tools.DeadLetterReport --config "$CONFIG"

step "What a rules file would fix and send through the job again (tools.Redrive, dry run: nothing written)"
tool io.clickstream.etl.tools.Redrive --config "$CONFIG" --rules flink-conf/redrive/ts-in-seconds.yaml \
  --reason timestamp_out_of_range --sample 1 --dry-run

# Per source partition, the records written since this run started: stored, dead letters, sent again (an event id
# already stored), or in flight (after the offset the job last committed); none lost, none twice.
balance_by_offsets() {
  tool io.clickstream.etl.tools.Balance --config "$CONFIG" --from "$(date -u -d "@$((START_MS / 1000))" +%FT%TZ)"
}
if [ -n "$KEEP" ]; then
  step "Where this run's inputs are, by source partition and offset (the job still runs: some may be in flight)"
  balance_by_offsets || true
  step "The job keeps running: web UI http://127.0.0.1:$UI_PORT (Ctrl-C stops the job; scripts/stack.sh stop stops the stack)"
  wait "$JOB_PID"
else
  step "Stopping the job with a savepoint ($STACK_DIR/savepoints)"
  stop_job || echo "the job did not stop with a savepoint; it is killed"
  step "Where this run's inputs ended, by source partition and offset"
  balance_by_offsets || die "the inputs do not balance by offsets, see above"
  step "Done. The stack is still running: scripts/stack.sh status | stop. Again with the web UI open: scripts/demo.sh --keep-running"
fi
