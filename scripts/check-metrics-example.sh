#!/usr/bin/env bash
# Runs the metrics example over every store (memory; Redis, database 12; the
# Redis Cluster of scripts/redis-cluster.sh on 7301-7303; PostgreSQL; MariaDB;
# SQLite in a temporary file), or only those named as arguments; sends known
# traffic with a cookie jar, scrapes /metrics and checks the counts: sessions
# created, rotated, destroyed, logins and logouts, commits stored, store calls
# timed, refused cookie values, the live-sessions gauge (memory: exact).
set -euo pipefail
cd "$(dirname "$0")/.."
port=${PORT:-3925}
base="http://localhost:$port"
jar=$(mktemp)
sqlite_dir=$(mktemp -d)
pid=
source scripts/example.sh
fail() { echo "metrics example: $*" >&2; exit 1; }
stop() { [ -z "$pid" ] || { kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; }; pid=; }
trap 'stop; rm -rf "$jar" "$sqlite_dir"' EXIT

# metric NAME{LABELS}: its value in the last scrape (0 when absent).
metric() { awk -v m="$1" '$1 == m { print $2; found = 1 } END { if (!found) print 0 }' <<<"$scrape"; }
expect() { # NAME{LABELS} WANT
  local got
  got=$(metric "$1")
  [ "$got" = "$2" ] || fail "$store: $1 is $got, expected $2"
}

run() { # store: memory, redis, cluster, postgres, mysql or sqlite
  store=$1
  local env=()
  case $store in
    memory) ;;
    redis)
      env=(REDIS_URL=redis://127.0.0.1:6379/12)
      redis-cli -n 12 FLUSHDB >/dev/null ;;
    cluster)
      env=(REDIS_URL=redis://127.0.0.1:7301,redis://127.0.0.1:7302,redis://127.0.0.1:7303) ;;
    postgres) env=(DATABASE_URL=postgres://postgres@127.0.0.1:5432/test) ;;
    mysql) env=(DATABASE_URL=mysql://root@127.0.0.1:3306/test) ;;
    sqlite) env=(DATABASE_URL="sqlite://$sqlite_dir/sessions.db") ;;
    *) fail "unknown store $store" ;;
  esac
  # One build serves every store: no rebuild between them.
  bin=$(example_bin metrics metrics,redis,sql)
  rm -f "$jar"
  env ${env[@]+"${env[@]}"} PORT=$port "$bin" >/dev/null 2>&1 &
  pid=$!
  for _ in $(seq 100); do curl -sf "$base/health" >/dev/null && break; sleep 0.1; done
  curl -sf "$base/health" >/dev/null || fail "$store: did not start"
  for want in 1 2 3; do
    got=$(curl -sf -c "$jar" -b "$jar" "$base/")
    [ "$got" = "$want" ] || fail "$store: counted $got, expected $want"
  done
  curl -sf -c "$jar" -b "$jar" -X POST "$base/login/ada" >/dev/null
  curl -sf -c "$jar" -b "$jar" "$base/" >/dev/null # 4, as ada
  curl -sf -c "$jar" -b "$jar" -X POST "$base/logout" >/dev/null
  curl -sf -H 'Cookie: session=forged' "$base/" >/dev/null # refused, then a fresh session
  sleep 0.2 # hooks and counters run beside the answers
  scrape=$(curl -sf "$base/metrics") || fail "$store: no /metrics"
  expect sesh_sessions_created_total 2
  expect sesh_sessions_rotated_total 1
  expect sesh_logins_total 1
  expect sesh_logouts_total 1
  expect sesh_sessions_destroyed_total 1
  expect 'sesh_commits_total{outcome="stored"}' 3
  expect 'sesh_refused_values_total{reason="malformed"}' 1
  loads=$(metric 'sesh_store_call_duration_seconds_count{operation="load",result="ok"}')
  [ "$loads" -ge 5 ] || fail "$store: $loads timed loads, expected at least 5"
  [ "$store" != memory ] || expect sesh_live_sessions 1
  echo "metrics example ($store): 2 created, 1 rotated, 1 login, 1 logout, 1 destroyed," \
    "3 stored commits, 1 refused value, $loads timed loads"
  stop
}

for store in ${@:-memory redis cluster postgres mysql sqlite}; do run "$store"; done
