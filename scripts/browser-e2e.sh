#!/usr/bin/env bash
# Runs the login example and drives it with headless Chromium (Debian's
# package, through playwright-core): log in with a form, reload, share the
# session with a second tab, log out, and check the browser's cookie jar.
# Then the web app example (examples/webapp), with browser contexts as
# devices: passwords, flash, remember-me, the cart under 20 parallel
# fetches, devices and revoke, a password change, a forged form; over the
# memory store and over Redis.
#
# Without Chromium (and no way to install it) the test is SKIPPED with a
# message, unless SESH_REQUIRE_BROWSER=1 (as in .ci/run), which fails.
set -euo pipefail
cd "$(dirname "$0")/.."
port=${PORT:-3931}
base="http://localhost:$port"
webapp_port=${WEBAPP_PORT:-3942}
webapp_base="http://localhost:$webapp_port"
chromium=${CHROMIUM:-/usr/bin/chromium}

skip() {
  if [ "${SESH_REQUIRE_BROWSER:-0}" = 1 ]; then
    echo "browser e2e: FAILED: $* (SESH_REQUIRE_BROWSER=1)" >&2
    exit 1
  fi
  echo "browser e2e: SKIPPED: $*"
  exit 0
}

if [ ! -x "$chromium" ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null || true
fi
[ -x "$chromium" ] || skip "no Chromium at $chromium and it could not be installed"
command -v npm >/dev/null || skip "no node/npm to run playwright-core"

(cd scripts/browser-e2e && npm ci --no-audit --no-fund --loglevel=error)
source "$(dirname "$0")/example.sh"
bin=$(example_bin login)
webapp_bin=$(example_bin webapp webapp)
PORT=$port "$bin" &
pid=$!
webapp_pid=
trap 'kill $pid $webapp_pid 2>/dev/null || true' EXIT
for _ in $(seq 100); do curl -s -o /dev/null "$base/me" && break; sleep 0.1; done

echo "browser e2e: $("$chromium" --version 2>/dev/null) against $base"
(cd scripts/browser-e2e && BASE_URL=$base CHROMIUM=$chromium node --test --test-reporter=spec login.test.mjs)

# The web app, its sessions in memory, then in Redis (database 11, only its
# own `webapp:` keys cleared first).
webapp_redis=${WEBAPP_REDIS_URL:-redis://127.0.0.1:6379/11}
run_webapp() { # memory | redis
  local env=(env -u REDIS_URL -u DATABASE_URL)
  if [ "$1" = redis ]; then
    redis-cli -u "$webapp_redis" --scan --pattern 'webapp:*' | xargs -r redis-cli -u "$webapp_redis" del >/dev/null
    env+=(REDIS_URL="$webapp_redis")
  fi
  "${env[@]}" PORT=$webapp_port "$webapp_bin" &
  webapp_pid=$!
  for _ in $(seq 100); do curl -s -o /dev/null "$webapp_base/" && break; sleep 0.1; done
  echo "browser e2e: the web app against $webapp_base, sessions in $1"
  (cd scripts/browser-e2e && WEBAPP_URL=$webapp_base CHROMIUM=$chromium node --test --test-reporter=spec webapp.test.mjs)
  kill "$webapp_pid" && wait "$webapp_pid" 2>/dev/null || true
  webapp_pid=
}
run_webapp memory
run_webapp redis
