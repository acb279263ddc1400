#!/usr/bin/env bash
# Runs the login example over real HTTP with one cookie jar per "device" and
# checks the per-user session index: three logins of one user list three
# sessions; logout-others leaves only the current one and spares other
# users; logout-everywhere ends them all.
set -euo pipefail
port=${PORT:-3921}
base="http://localhost:$port"
dir=$(mktemp -d)
source "$(dirname "$0")/example.sh"
bin=$(example_bin login)
PORT=$port "$bin" &
pid=$!
trap 'kill $pid 2>/dev/null; rm -rf "$dir"' EXIT
for _ in $(seq 50); do curl -s -o /dev/null "$base/me" && break; sleep 0.1; done
fail() { echo "login example: $*" >&2; exit 1; }
as() { local jar="$dir/$1"; shift; curl -s -c "$jar" -b "$jar" "$@"; }
status() { local jar="$dir/$1"; shift; curl -s -o /dev/null -w '%{http_code}' -c "$jar" -b "$jar" "$@"; }
count_sessions() { as "$1" "$base/sessions" | grep -o '"id"' | wc -l | tr -d ' '; }

for device in ada1 ada2 ada3; do
  as $device -A "browser-$device" -d user=ada "$base/login" >/dev/null
done
as bob -d user=bob "$base/login" >/dev/null
[ "$(as ada2 "$base/me")" = ada ] || fail "/me does not answer the user"
[ "$(count_sessions ada1)" = 3 ] || fail "expected 3 sessions for ada, got $(count_sessions ada1)"
as ada1 "$base/sessions" | grep -q '"user_agent":"browser-ada3"' || fail "/sessions lacks the user agents"
[ "$(as ada1 "$base/sessions" | grep -o '"current":true' | wc -l | tr -d ' ')" = 1 ] || fail "not exactly one current session"

as ada1 -X POST "$base/logout-others" >/dev/null
[ "$(count_sessions ada1)" = 1 ] || fail "logout-others left $(count_sessions ada1) sessions"
[ "$(status ada2 "$base/me")" = 401 ] || fail "a logged-out device still answers /me"
[ "$(status ada3 "$base/me")" = 401 ] || fail "a logged-out device still answers /me"
[ "$(status ada1 "$base/me")" = 200 ] || fail "logout-others ended the current session"
[ "$(as bob "$base/me")" = bob ] || fail "logout-others touched another user"

as ada2 -d user=ada "$base/login" >/dev/null
[ "$(count_sessions ada1)" = 2 ] || fail "a new login is not listed"
as ada2 -X POST "$base/logout-everywhere" >/dev/null
[ "$(status ada1 "$base/me")" = 401 ] || fail "logout-everywhere missed a session"
[ "$(status ada2 "$base/me")" = 401 ] || fail "logout-everywhere kept the current session"
[ "$(as bob "$base/me")" = bob ] || fail "logout-everywhere touched another user"
echo "login example: 3 logins listed 3 sessions; logout-others left 1 and spared bob; logout-everywhere ended all"
