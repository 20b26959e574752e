#!/usr/bin/env bash
# Runs the job in one local JVM (Flink MiniCluster) with the web UI, against the settings of
# flink-conf/clickstream.yaml (or --config FILE). Extra arguments go to the job: --set key=value,
# --web-ui-port N (default 8081), --parallelism N, --checkpoint-interval-ms N, --checkpoint-dir DIR (default
# $STACK_DIR/checkpoints), --from-savepoint PATH (resume, at any --parallelism; stop with a savepoint through the
# REST API: curl -X POST http://127.0.0.1:8081/jobs/<id>/stop -d '{"drain": false, "targetDirectory": "file:///DIR"}').
# Runs until the job ends (kafka.bounded=true) or Ctrl-C. Needs scripts/build.sh first.
set -euo pipefail
source "$(dirname "$0")/lib/common.sh"
args=("$@")
if [[ " $* " != *" --config "* ]]; then args=(--config "$PROJECT_DIR/flink-conf/clickstream.yaml" "${args[@]}"); fi
if [[ " $* " != *" --checkpoint-dir "* ]]; then args=(--checkpoint-dir "$STACK_DIR/checkpoints" "${args[@]}"); fi
JAVA_OPTS="${JAVA_OPTS:--Xmx2g}" project_java io.clickstream.etl.LocalRunner "${args[@]}"
