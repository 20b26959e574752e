#!/usr/bin/env bash
# Benchmark (prints figures; not a test): the job's own cost per event without any service. The production data
# flow (ClickstreamJob.build) on a MiniCluster in one JVM, fed by generated events (the generator's users, sources,
# user agents, IPs and 1 % malformed) parsed in the source, everything on (geo, device, sessions, a join, the example
# funnels), Redis and the funnel and erasure topics in memory, sinks that encode rows as the ClickHouse sink does and
# keep only counts. After a warm-up it measures a steady-state window: CPU per event of the task threads (by
# chain), the GC threads, the JIT threads and the rest (from /proc), bytes allocated per event, events/s.
#   scripts/benchmark-flow.sh [--events N] [--warmup N] [--parallelism N] [--no-geo] [--json FILE]
#                             [--bounded] [--profile cpu|alloc [--profile-out FILE]] [--wide N [--declared]]
#   (defaults: 2000000 measured after 4000000, parallelism 2, the DB-IP Lite geo database)
# --wide N adds N properties of ten kinds to each event; --declared declares them as typed columns (issue 29's cost:
# run both, alternating). --bounded reads as a bounded job does (kafka.bounded: no watermark alignment); by default as a running job.
# --profile runs async-profiler over the measured window only and prints where the CPU (every thread, GC and JIT
# included) or the allocated bytes go, per event; the collapsed stacks go to target/flow-profile-<event>.txt.
# JAVA_OPTS adds JVM options.
set -euo pipefail
source "$(dirname "$0")/lib/common.sh"
cd "$PROJECT_DIR"

ARGS=()
GEO=yes
while [ $# -gt 0 ]; do
  case "$1" in
    --no-geo) GEO=no; shift ;;
    --bounded) ARGS+=(--bounded true); shift ;;
    --declared) ARGS+=(--declared true); shift ;;
    --events|--warmup|--parallelism|--json|--profile|--profile-out|--wide) ARGS+=("$1" "$2"); shift 2 ;;
    *) die "unknown option $1 (see the head of $0)" ;;
  esac
done
if [ "$GEO" = yes ]; then
  ARGS+=(--geo "$("$SCRIPTS_DIR/fetch-geo-db.sh")")
fi

mvn -B -q -Dstyle.color=never test-compile 2>&1 | strip_ansi >&2
mvn -B -q -Dstyle.color=never dependency:build-classpath -Dmdep.includeScope=test \
  -Dmdep.outputFile=target/test-classpath.txt >/dev/null
# Flink's own log at WARN: the job's INFO lines would cost CPU in the window measured.
# shellcheck disable=SC2086
java -Xms3g -Xmx3g ${JAVA_OPTS:-} -Dlog4j.configurationFile="file:$SCRIPTS_DIR/conf/log4j2-cli.properties" \
  -cp "target/test-classes:target/classes:$(cat target/test-classpath.txt)" \
  io.clickstream.etl.tools.FlowBenchmark "${ARGS[@]}"
