#!/usr/bin/env bash
# Runs the counter example over real HTTP with a cookie jar and checks that
# it counts 1, 2, 3 and that the first Set-Cookie is safe and cache-marked.
set -euo pipefail
port=${PORT:-3917}
jar=$(mktemp)
source "$(dirname "$0")/example.sh"
bin=$(example_bin counter)
PORT=$port "$bin" &
pid=$!
trap 'kill $pid 2>/dev/null; rm -f "$jar"' EXIT
for _ in $(seq 50); do curl -sf "http://localhost:$port/health" >/dev/null && break; sleep 0.1; done
fail() { echo "counter example: $*" >&2; exit 1; }
first=$(curl -s -i -c "$jar" -b "$jar" "http://localhost:$port/")
for want in 'set-cookie: session=' 'HttpOnly' 'SameSite=Lax' 'Path=/' 'vary: cookie'; do
  grep -qi -- "$want" <<<"$first" || fail "first response lacks '$want'"
done
[ "$(tail -n1 <<<"$first")" = 1 ] || fail "first count is not 1"
for want in 2 3; do
  got=$(curl -s -c "$jar" -b "$jar" "http://localhost:$port/")
  [ "$got" = "$want" ] || fail "expected $want, got $got"
done
echo "counter example: counted 1, 2, 3 over HTTP with its cookie"
