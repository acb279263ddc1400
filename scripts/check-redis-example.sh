#!/usr/bin/env bash
# Runs the Redis counter example over real HTTP with a cookie jar and checks
# that it counts 1, 2, 3, keeping the count in Redis (REDIS_URL, default
# redis://127.0.0.1:6379) so it survives a restart of the app.
set -euo pipefail
port=${PORT:-3919}
jar=$(mktemp)
pid=
source "$(dirname "$0")/example.sh"
bin=$(example_bin redis redis)
start() {
  PORT=$port "$bin" &
  pid=$!
  for _ in $(seq 50); do curl -sf "http://localhost:$port/health" >/dev/null && return 0; sleep 0.1; done
  fail "did not start"
}
stop() { kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; }
trap 'stop; rm -f "$jar"' EXIT
fail() { echo "redis example: $*" >&2; exit 1; }
count() { curl -sf -c "$jar" -b "$jar" "http://localhost:$port/"; }
start
for want in 1 2; do
  got=$(count) || fail "request failed"
  [ "$got" = "$want" ] || fail "expected $want, got $got"
done
stop
start
got=$(count) || fail "request failed"
[ "$got" = 3 ] || fail "expected 3 after a restart, got $got"
echo "redis example: counted 1, 2, 3 over HTTP, across a restart of the app"
