#!/usr/bin/env bash
# Runs every test: unit and harness tests, the *ITCase tests on the real local stack (Kafka, a 2x2 ClickHouse
# cluster with ZooKeeper, Redis; Flink as a MiniCluster in the test JVM, and a standalone cluster from
# scripts/flink-cluster.sh for the shaded jar), the HTTP collector's tests (collector/), the shaded jar in YARN application mode on a MiniYARNCluster
# (scripts/yarn-test.sh), then the unit tests again built against Flink 1.20 (-Pflink-1.20). Every statement also
# runs on a current ClickHouse (26.x embedded through chDB from npm: scripts/chdb.sh).
# Installs and starts what is missing; stops at the end what it started. Maven arguments are passed on.
set -euo pipefail
source "$(dirname "$0")/lib/common.sh"
cd "$PROJECT_DIR"

"$SCRIPTS_DIR/stack.sh" install
# ClickHouse 26.x, embedded, for ModernClickHouseSqlITCase (every statement on a current version).
"$SCRIPTS_DIR/chdb.sh" install
started_here=0
if ! "$SCRIPTS_DIR/stack.sh" status >/dev/null 2>&1; then
  "$SCRIPTS_DIR/stack.sh" start
  started_here=1
fi
if [ "$started_here" = 1 ] && [ -z "${KEEP_STACK:-}" ]; then
  # FlinkRunShadedJarITCase starts the standalone Flink cluster; stop it along with the stack.
  trap '"$SCRIPTS_DIR/flink-cluster.sh" stop >/dev/null 2>&1; "$SCRIPTS_DIR/stack.sh" stop >/dev/null 2>&1 || true' EXIT
fi
"$SCRIPTS_DIR/stack.sh" status

# The tests find the services through these (see src/test/java/.../testing/TestStack.java).
set -a
eval "$("$SCRIPTS_DIR/stack.sh" env)"
eval "$("$SCRIPTS_DIR/chdb.sh" env)"
set +a

echo "== Flink 2.2: unit, harness and integration tests"
mvn -B -Dstyle.color=never verify "$@" 2>&1 | strip_ansi
echo "== The HTTP collector (collector/): unit tests and integration tests on the real Kafka"
mvn -B -Dstyle.color=never -f collector/pom.xml verify "$@" 2>&1 | strip_ansi
echo "== YARN application mode: the shaded jar on a MiniYARNCluster"
"$SCRIPTS_DIR/yarn-test.sh"
echo "== Flink 1.20 profile: unit and harness tests"
mvn -B -Dstyle.color=never -Pflink-1.20 test "$@" 2>&1 | strip_ansi
