#!/usr/bin/env bash
# Runs the postgres example over real HTTP with a cookie jar against the
# PostgreSQL at DATABASE_URL and checks that it counts 1, 2, 3.
set -euo pipefail
port=${PORT:-3920}
jar=$(mktemp)
source "$(dirname "$0")/example.sh"
bin=$(example_bin postgres postgres)
PORT=$port "$bin" &
pid=$!
trap 'kill $pid 2>/dev/null; rm -f "$jar"' EXIT
for _ in $(seq 100); do curl -sf "http://localhost:$port/health" >/dev/null && break; sleep 0.1; done
fail() { echo "postgres example: $*" >&2; exit 1; }
for want in 1 2 3; do
  got=$(curl -s -c "$jar" -b "$jar" "http://localhost:$port/")
  [ "$got" = "$want" ] || fail "expected $want, got $got"
done
echo "postgres example: counted 1, 2, 3 over HTTP with sessions in PostgreSQL"
