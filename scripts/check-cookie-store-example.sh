#!/usr/bin/env bash
# Runs the cookie_store example (client-side sessions) over real HTTP with
# curl and checks: it counts 1, 2, 3; the cookie shows no plaintext; a
# tampered cookie restarts the count without a 5xx; after a key rotation the
# old cookie still counts and is re-issued; once the old key is dropped the
# old cookie is refused; a value too big for a cookie answers non-2xx.
set -euo pipefail
port=${PORT:-3918}
base="http://localhost:$port"
jar=$(mktemp)
pid=
trap 'stop; rm -f "$jar"' EXIT
fail() { echo "cookie_store example: $*" >&2; exit 1; }
newkey() { head -c 64 /dev/urandom | base64 -w0; }

stop() {
  [ -n "$pid" ] || return 0
  kill "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  pid=
}

# start KEY [PREVIOUS_KEYS]
start() {
  stop
  SESSION_KEY=$1 SESSION_PREVIOUS_KEYS=${2:-} PORT=$port "$bin" &
  pid=$!
  for _ in $(seq 50); do curl -sf "$base/health" >/dev/null && return 0; sleep 0.1; done
  fail "server did not start on port $port"
}

cookie_value() { awk '$6 == "session" { print $7 }' "$jar"; }

# get COOKIE_VALUE: status, body and whether a Set-Cookie came back, on one line
get() {
  local out
  out=$(curl -s -i -H "Cookie: session=$1" "$base/")
  local status body set
  status=$(head -n1 <<<"$out" | awk '{print $2}')
  body=$(tail -n1 <<<"$out")
  set=$(grep -ci '^set-cookie: session=' <<<"$out" || true)
  echo "$status $body $set"
}

source "$(dirname "$0")/example.sh"
bin=$(example_bin cookie_store)
k1=$(newkey)
k2=$(newkey)
start "$k1"

first=$(curl -s -i -c "$jar" -b "$jar" "$base/")
for want in 'set-cookie: session=' 'HttpOnly' 'Secure' 'SameSite=Lax' 'vary: cookie'; do
  grep -qi -- "$want" <<<"$first" || fail "first response lacks '$want'"
done
[ "$(tail -n1 <<<"$first")" = 1 ] || fail "first count is not 1"
for want in 2 3; do
  got=$(curl -s -c "$jar" -b "$jar" "$base/")
  [ "$got" = "$want" ] || fail "expected $want, got $got"
done
old=$(cookie_value)
[ -n "$old" ] || fail "no session cookie in the jar"
for plain in '"n"' '{' ':' 'n=' ; do
  case "$old" in *"$plain"*) fail "cookie value shows plaintext '$plain': $old" ;; esac
done
echo "cookie_store example: counted 1, 2, 3; the ${#old}-byte cookie shows no plaintext"

# Change one character in the middle of the value.
mid=$(( ${#old} / 2 ))
c=${old:$mid:1}
[ "$c" = A ] && r=B || r=A
tampered="${old:0:$mid}$r${old:$((mid + 1))}"
read -r status body _ <<<"$(get "$tampered")"
[ "$status" = 200 ] || fail "tampered cookie answered $status"
[ "$body" = 1 ] || fail "tampered cookie counted $body, not a fresh 1"
echo "cookie_store example: a tampered cookie starts over at 1 with status 200"

start "$k2" "$k1"
read -r status body set <<<"$(get "$old")"
[ "$status/$body" = 200/4 ] || fail "old-key cookie after rotation: $status $body, want 200 4"
[ "$set" = 1 ] || fail "old-key cookie was not re-issued under the new key"
echo "cookie_store example: after rotation the old cookie counted 4 and was re-issued"

start "$k2"
read -r status body _ <<<"$(get "$old")"
[ "$status/$body" = 200/1 ] || fail "retired-key cookie: $status $body, want 200 1"
echo "cookie_store example: with the old key retired the old cookie starts over at 1"

small=$(curl -s -o /dev/null -w '%{http_code}' "$base/grow/100")
[ "$small" = 200 ] || fail "/grow/100 answered $small"
big=$(curl -s -D - -o /dev/null "$base/grow/5000")
code=$(head -n1 <<<"$big" | awk '{print $2}')
case "$code" in 2??) fail "/grow/5000 answered $code" ;; esac
grep -qi '^set-cookie:' <<<"$big" && fail "/grow/5000 sent a Set-Cookie"
echo "cookie_store example: /grow/5000 answered $code without a cookie"
