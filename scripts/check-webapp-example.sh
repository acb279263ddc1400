#!/usr/bin/env bash
# Runs the web app example over real HTTP, one cookie jar per device, with
# its sessions in memory and then in Redis (REDIS_URL, default
# redis://127.0.0.1:6379/11, a database of its own), and drives it with curl:
# the guards, CSRF refusals, a wrong and a right password, the flash shown
# once, remember-me, 20 parallel adds to the cart, the devices list and
# revoke, a password change that signs out the other device, and (Redis)
# sessions that outlive a restart of the app.
set -euo pipefail
port=${PORT:-3941}
base="http://localhost:$port"
redis_url=${REDIS_URL:-redis://127.0.0.1:6379/11}
dir=$(mktemp -d)
source "$(dirname "$0")/example.sh"
bin=$(example_bin webapp webapp)
pid=
store=
stop() { if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; pid=; fi; }
trap 'stop; rm -rf "$dir"' EXIT
fail() { echo "webapp example ($store): $*" >&2; exit 1; }

# start [VAR=value...]: the app, with only these store variables set.
start() {
  env -u REDIS_URL -u DATABASE_URL "$@" PORT="$port" "$bin" &
  pid=$!
  for _ in $(seq 100); do curl -s -o /dev/null "$base/" && return 0; sleep 0.1; done
  fail "did not start"
}
# get DEVICE PATH: the page's body.
get() { local jar="$dir/$1"; curl -s -c "$jar" -b "$jar" "$base$2"; }
# answer DEVICE METHOD PATH [curl args]: "STATUS LOCATION".
answer() {
  local jar="$dir/$1" method=$2 path=$3
  shift 3
  curl -s -o /dev/null -w '%{http_code} %header{location}' -X "$method" -c "$jar" -b "$jar" "$@" "$base$path"
}
# token DEVICE [PATH]: a CSRF token from a form of that page.
token() { get "$1" "${2:-/login}" | grep -o 'name="csrf_token" value="[^"]*"' | head -1 | sed 's/.*value="//; s/"$//'; }
# login DEVICE USER PASSWORD [more form fields]: "STATUS LOCATION".
login() {
  local device=$1 user=$2 password=$3 t
  shift 3
  t=$(token "$device")
  answer "$device" POST /login -A "curl-$device" -d "csrf_token=$t" -d "username=$user" -d "password=$password" "$@"
}
expect() { [ "$1" = "$2" ] || fail "$3: expected '$2', got '$1'"; }
session_cookie() { grep -P '\tsession\t' "$dir/$1" || true; }

scenario() {
  store=$1
  rm -f "$dir"/*
  # A visitor's page without a form starts no session.
  headers=$(curl -s -D - -o /dev/null "$base/")
  grep -qi '^set-cookie' <<<"$headers" && fail "a visitor's home page set a cookie"
  get visitor / | grep -q 'You are not signed in' || fail "the home page does not offer to sign in"

  expect "$(answer visitor GET /devices)" "303 /login?next=%2Fdevices" "GET /devices as a visitor"
  expect "$(answer visitor GET '/devices?tab=1')" "303 /login?next=%2Fdevices%3Ftab%3D1" "GET /devices?tab=1 as a visitor"
  expect "$(answer visitor GET /password)" "303 /login?next=%2Fpassword" "GET /password as a visitor"
  t=$(token visitor)
  expect "$(answer visitor POST /devices/revoke -d "csrf_token=$t" -d key=00)" "303 /login?next=%2Fdevices%2Frevoke" "POST /devices/revoke as a visitor"
  expect "$(answer visitor POST /logout-others -d "csrf_token=$t")" "303 /login?next=%2Flogout-others" "POST /logout-others as a visitor"
  expect "$(answer visitor POST /password -d "csrf_token=$t" -d current=x -d new=y)" "303 /login?next=%2Fpassword" "POST /password as a visitor"

  for path in /login /logout /cart/add /devices/revoke /logout-others /password; do
    expect "$(answer visitor POST "$path" -d item=x)" "403 " "POST $path without a CSRF token"
    expect "$(answer visitor POST "$path" -d item=x -d csrf_token=forged)" "403 " "POST $path with a wrong CSRF token"
  done
  expect "$(answer visitor POST /cart/add -H "x-csrf-token: $(token other)" -d item=x)" "403 " "a token of another session"

  expect "$(login laptop alice nope)" "303 /login" "a wrong password"
  get laptop /login | grep -q 'Wrong user name or password' || fail "no flash after a wrong password"
  get laptop /login | grep -q 'Wrong user name or password' && fail "the flash was shown twice"
  expect "$(login laptop alice wonderland -d next=//evil.example)" "303 /" "a right password with an evil next"
  page=$(get laptop /)
  grep -q 'Signed in as alice' <<<"$page" || fail "the home page does not name the user"
  grep -q 'Welcome, alice' <<<"$page" || fail "no welcome flash"
  get laptop / | grep -q 'Welcome, alice' && fail "the welcome flash was shown twice"
  session_cookie laptop | awk -F'\t' '$5 != 0 { exit 1 }' || fail "without remember-me the cookie should end with the browser"

  expect "$(login phone alice wonderland -d remember=on -d next=/cart)" "303 /cart" "a login with remember-me and next"
  session_cookie phone | awk -F'\t' '$5 == 0 { exit 1 }' || fail "remember-me gave no persistent cookie"

  t=$(get laptop /cart | grep -o 'name="csrf-token" content="[^"]*"' | sed 's/.*content="//; s/"$//')
  [ -n "$t" ] || fail "no csrf-token meta tag for scripts"
  adds=()
  for _ in $(seq 20); do
    curl -s -o /dev/null -b "$dir/laptop" -H "x-csrf-token: $t" -H 'accept: application/json' -d item=teapot "$base/cart/add" &
    adds+=($!)
  done
  wait "${adds[@]}"
  get laptop /cart | tr -d '\n' | grep -q '<td class="item">teapot</td><td class="count">20</td>' ||
    fail "20 parallel adds did not count 20: $(get laptop /cart | grep -A1 'class="item"')"
  t=$(token laptop /cart)
  answer laptop POST /cart/add -d "csrf_token=$t" --data-urlencode 'item=<script>alert(1)</script>' >/dev/null
  get laptop /cart | grep -q '&lt;script&gt;alert(1)&lt;&#x2f;script&gt;' || fail "a cart item is not HTML-escaped"

  devices=$(get laptop /devices)
  expect "$(grep -c 'class="device' <<<"$devices")" 2 "alice's devices"
  expect "$(grep -c 'class="device current"' <<<"$devices")" 1 "sessions marked current"
  grep -q 'curl-phone' <<<"$devices" || fail "the devices list lacks the phone's user agent"
  key=$(tr -d '\n' <<<"$devices" | grep -o 'curl-phone</td>.*' | grep -o 'name="key" value="[0-9a-f]*"' | head -1 | sed 's/.*value="//; s/"$//')
  t=$(token laptop /devices)
  expect "$(answer laptop POST /devices/revoke -d "csrf_token=$t" -d "key=$key")" "303 /devices" "revoking the phone"
  expect "$(answer phone GET /devices | cut -d' ' -f1)" 303 "the revoked phone"
  expect "$(grep -c 'class="device' <<<"$(get laptop /devices)")" 1 "alice's devices after a revoke"

  expect "$(login tablet alice wonderland)" "303 /" "a login on a tablet"
  expect "$(login bob bob builder)" "303 /" "bob's login"
  t=$(token laptop /password)
  expect "$(answer laptop POST /password -d "csrf_token=$t" -d current=wrong -d new=looking-glass)" "303 /password" "a wrong current password"
  before=$(session_cookie laptop | cut -f7)
  expect "$(answer laptop POST /password -d "csrf_token=$t" -d current=wonderland -d new=looking-glass)" "303 /devices" "a password change"
  [ "$(session_cookie laptop | cut -f7)" != "$before" ] || fail "the password change kept the session ID"
  expect "$(answer tablet GET /devices | cut -d' ' -f1)" 303 "the tablet after the password change"
  get laptop / | grep -q 'Signed in as alice' || fail "the password change signed out its own session"
  get bob / | grep -q 'Signed in as bob' || fail "alice's password change signed out bob"
  expect "$(login tablet alice wonderland)" "303 /login" "the old password"
  expect "$(login tablet alice looking-glass)" "303 /" "the new password"

  t=$(token laptop /cart)
  expect "$(answer laptop POST /logout -d "csrf_token=$t")" "303 /" "logout"
  get laptop / | grep -q 'You are not signed in' || fail "still signed in after logout"
}

start
scenario memory
stop
echo "webapp example (memory): guards, CSRF, flash once, remember-me, 20 parallel adds = 20, revoke, password change: ok"

# A previous run's sessions would show up in alice's devices: the app's
# keys (prefix webapp:) go first, and nothing else of that database.
redis-cli -u "$redis_url" --scan --pattern 'webapp:*' | xargs -r redis-cli -u "$redis_url" del >/dev/null
start REDIS_URL="$redis_url"
scenario redis
# The demo users' first stamps are fixed: bob's session outlives a restart.
stop
start REDIS_URL="$redis_url"
get bob / | grep -q 'Signed in as bob' || fail "a session in Redis did not outlive a restart of the app"
echo "webapp example (redis): the same over Redis, and a session outlived a restart of the app: ok"
