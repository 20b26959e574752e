#!/usr/bin/env bash
# ClickHouse 26.x embedded (chDB from npm, versions pinned in scripts/chdb/package-lock.json) for the test
# command's check of every statement on a current ClickHouse (ModernClickHouseSqlITCase).
#   scripts/chdb.sh install   npm ci into $STACK_DIR/chdb (~550 MB, ~20 s; nothing when the lock is unchanged)
#   scripts/chdb.sh env       CLICKSTREAM_CHDB=<dir> for the tests
set -euo pipefail
source "$(dirname "$0")/lib/common.sh"

dir="$STACK_DIR/chdb"
case "${1:-}" in
  install)
    command -v node >/dev/null || die "node is missing (Node 18 or later; Debian: apt-get install nodejs npm)"
    mkdir -p "$dir"
    if ! cmp -s "$SCRIPTS_DIR/chdb/package-lock.json" "$dir/installed.lock" || [ ! -d "$dir/node_modules/chdb" ]; then
      cp "$SCRIPTS_DIR/chdb/package.json" "$SCRIPTS_DIR/chdb/package-lock.json" "$dir/"
      say "chdb: npm install into $dir (the versions and hashes of scripts/chdb/package-lock.json)"
      # Not `npm ci`: npm 11 leaves chdb's optional dependencies for other platforms out of the lock file and then
      # refuses it as out of sync. The engine is a direct, exact dependency, locked with its hash.
      (cd "$dir" && npm install --no-audit --no-fund --loglevel=error)
      cp "$SCRIPTS_DIR/chdb/package-lock.json" "$dir/installed.lock"
    fi
    cp "$SCRIPTS_DIR/chdb/engine.js" "$dir/engine.js"
    say "chdb: $(cd "$dir" && node -e 'console.log(require("./node_modules/chdb/package.json").version)') with engine $(cd "$dir" && node -e 'console.log(require("./node_modules/@chdb/lib-linux-x64-gnu/package.json").version)')"
    ;;
  env) echo "CLICKSTREAM_CHDB=$dir" ;;
  *) sed -n '2,6p' "$0" | sed 's/^# \{0,1\}//'; exit 2 ;;
esac
