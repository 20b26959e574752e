// ClickHouse (chDB, in-process) behind stdin/stdout for the Java tests: one JSON request per line,
// {"sql": "..."}, one JSON answer per line, {"ok": true, "out": "..."} or {"ok": false, "error": "..."}.
// The first answer says whether the engine started with the given configuration (the project's settings profile
// among it): {"ok": true, "out": "<version>"} or the engine's refusal.
// Usage: node engine.js <data dir> <config file>
"use strict";
const path = require("path");
const readline = require("readline");
const { Session } = require(path.join(__dirname, "node_modules", "chdb"));

function answer(o) {
  process.stdout.write(JSON.stringify(o) + "\n");
}

function message(e) {
  let m = String((e && e.message) || e);
  for (let c = e && e.cause; c; c = c.cause) {
    m += " / " + String(c.message || c);
  }
  return m;
}

let session;
try {
  session = new Session(process.argv[2], { connectionArgs: ["--config-file=" + process.argv[3]] });
  answer({ ok: true, out: session.query("SELECT version()", "TSVRaw").trim() });
} catch (e) {
  answer({ ok: false, error: message(e) });
  process.exit(1);
}

const lines = readline.createInterface({ input: process.stdin, terminal: false });
lines.on("line", (line) => {
  if (!line.trim()) {
    return;
  }
  try {
    answer({ ok: true, out: session.query(JSON.parse(line).sql, "TabSeparated") });
  } catch (e) {
    answer({ ok: false, error: message(e) });
  }
});
lines.on("close", () => {
  session.close();
});
