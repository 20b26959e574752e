#!/usr/bin/env bash
# Builds the shaded job jar (target/clickstream-etl-<version>.jar) without running tests, and writes the
# dependency class path (target/classpath.txt) that the local runner and the tools use.
set -euo pipefail
source "$(dirname "$0")/lib/common.sh"
cd "$PROJECT_DIR"
mvn -B -q -Dstyle.color=never package -DskipTests "$@" 2>&1 | strip_ansi
mvn -B -q -Dstyle.color=never dependency:build-classpath -Dmdep.outputFile=target/classpath.txt -Dmdep.includeScope=test "$@" 2>&1 >/dev/null | strip_ansi
ls target/clickstream-etl-*.jar | grep -v original >&2
# The HTTP collector, a service of its own (collector/): collector/target/clickstream-collector.jar
mvn -B -q -Dstyle.color=never -f collector/pom.xml package -DskipTests 2>&1 | strip_ansi
ls collector/target/clickstream-collector.jar >&2
