#!/usr/bin/env bash
# Benchmark (prints figures; not a test): CPU and bytes allocated per event of the event parser, the streaming one the job uses next
# to the tree parser it replaced (kept in the tests as the reference), on the same generated payloads, alternating
# rounds in one JVM. Needs no services.
#   scripts/benchmark-parser.sh [EVENTS] [ROUNDS]      (default 200000 7)
set -euo pipefail
source "$(dirname "$0")/lib/common.sh"
cd "$PROJECT_DIR"

mvn -B -q -Dstyle.color=never test-compile
mvn -B -q -Dstyle.color=never dependency:build-classpath -Dmdep.includeScope=test -Dmdep.outputFile=target/test-classpath.txt >/dev/null
java -cp "target/test-classes:target/classes:$(cat target/test-classpath.txt)" \
  io.clickstream.etl.parse.ParserBenchmark "${1:-200000}" "${2:-7}"
