#!/usr/bin/env bash
# HTTP load benchmark: sesh against tower-sessions and bare axum, over each
# library's memory store and over Redis, the implementations interleaved.
#
# For each store kind it starts three release servers (bare, sesh,
# tower-sessions), creates SESSIONS sessions on each through GET /new, then
# runs ROUNDS rounds of the other cases; in each round, for each case, wrk
# loads bare, sesh and tower-sessions back to back, so drift in the machine's
# load hits all three alike. `new` comes last, ROUNDS rounds of it, each on
# freshly started servers (and an emptied Redis database): every `new` run
# adds hundreds of thousands of sessions, which the other cases, and the next
# round of `new`, would otherwise meet. It reports medians over the rounds
# and the ratios.
#
# Environment (defaults in brackets):
#   ROUNDS [5]          rounds per store kind
#   SECONDS [5]         seconds per wrk run
#   CONNECTIONS [32]    wrk -c;   THREADS [2]  wrk -t
#   SESSIONS [1000]     sessions created per server for the cookie cases
#   WARMUP [1]          seconds of warm-up per server and case before the first round,
#                       and of `new` before each of its rounds (0: none)
#   STORES ["memory redis"]  also: redis-cached (each library's in-process
#                       cache in front of Redis; reported, no target)
#   CASES ["untouched untouched-cookie read write new"]  (`new` always runs last)
#   BASE_PORT [17080]   servers listen on BASE_PORT+1..+24
#   PIN [1]             with 2+ cores: servers on core 1, wrk on core 0 (taskset)
#   FLOOR [1]           over memory and redis, also load a fourth server, `floor`:
#                       the store work a session needs and nothing else, the best
#                       any layer could do (crates/sesh-bench/src/floor/): over
#                       Redis the round trips (GET for a read, GET + SET for a
#                       write, SET for a new session, on the client sesh-redis
#                       uses), in memory one lookup in a sharded map; 0 leaves it out
#   REDIS_URL [redis://127.0.0.1:6379/9]  a database kept for benchmarks: it is
#                       emptied (FLUSHDB) before and after, so database 0 is refused
#
# Besides requests/s and p99 latency it records CPU time per request: of the
# server process and, for Redis, of redis-server (from /proc/PID/stat around
# each wrk run). CPU per request barely moves when other work shares the
# machine, so it is the steadier measure of what each library costs.
#
# Output: the markdown table on stdout and in target/bench-http.md; raw
# results (one line per wrk run) in target/bench-http/results.tsv.
set -euo pipefail
cd "$(dirname "$0")/.."

# bash keeps its own SECONDS (time since start): read the caller's value
# from the environment this process started with.
secs=$(tr '\0' '\n' </proc/$$/environ | sed -n 's/^SECONDS=//p')
secs=${secs:-5}
rounds=${ROUNDS:-5}
connections=${CONNECTIONS:-32}
threads=${THREADS:-2}
sessions=${SESSIONS:-1000}
warmup=${WARMUP:-1}
stores=${STORES:-memory redis}
cases=${CASES:-untouched untouched-cookie read write new}
pin=${PIN:-1}
redis_url=${REDIS_URL:-redis://127.0.0.1:6379/9}
# `new` runs after the other cases, whatever order CASES gives (see below).
before_new=$(for c in $cases; do [[ $c == new ]] || echo "$c"; done)
with_new=0
for c in $cases; do [[ $c != new ]] || with_new=1; done
impls="bare sesh tower-sessions"
floor=${FLOOR:-1}
impls_of() { # store -> the servers loaded for it
  if [[ ($1 == redis || $1 == memory) && $floor == 1 ]]; then echo "$impls floor"; else echo "$impls"; fi
}

for n in "$secs" "$rounds" "$connections" "$threads" "$sessions" "$warmup"; do
  [[ $n =~ ^[0-9]+$ ]] || { echo "bench-http: '$n' is not a whole number" >&2; exit 2; }
done
command -v wrk >/dev/null || { echo "bench-http: wrk is missing: apt-get install -y wrk" >&2; exit 2; }
command -v curl >/dev/null || { echo "bench-http: curl is missing: apt-get install -y curl" >&2; exit 2; }

out=target/bench-http
mkdir -p "$out"
results=$out/results.tsv
lua=crates/sesh-bench/wrk/sessions.lua
cargo build --release --quiet -p sesh-bench --bin sesh-bench-server
bin=target/release/sesh-bench-server

server_pin=() wrk_pin=()
if [[ $pin == 1 ]] && (($(nproc) >= 2)) && command -v taskset >/dev/null; then
  server_pin=(taskset -c 1) wrk_pin=(taskset -c 0)
fi

pids=()
declare -A server_pid
stop_servers() {
  local pid
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  pids=()
}
redis_flush() { redis-cli -u "$redis_url" FLUSHDB >/dev/null; }
cleanup() {
  stop_servers
  if [[ ${redis_used:-0} == 1 ]]; then redis_flush || true; fi
}
trap cleanup EXIT

# Below Linux's ephemeral range (32768 up), so no client socket (wrk's own
# included) holds a port a server is about to listen on.
port_of() { # store impl -> port
  local base=${BASE_PORT:-17080} i=0
  [[ $1 == redis ]] && base=$((base + 10))
  [[ $1 == redis-cached ]] && base=$((base + 20))
  case $2 in bare) i=1 ;; sesh) i=2 ;; tower-sessions) i=3 ;; floor) i=4 ;; esac
  echo $((base + i))
}

start_server() { # impl store
  local port
  port=$(port_of "$2" "$1")
  "${server_pin[@]}" "$bin" --impl "$1" --store "$2" --port "$port" --redis-url "$redis_url" \
    2>>"$out/servers.log" &
  pids+=($!)
  server_pid[$1]=$!
  for _ in $(seq 100); do
    curl -fsS -o /dev/null "http://127.0.0.1:$port/untouched" 2>/dev/null && return 0
    sleep 0.1
  done
  echo "bench-http: $1 over $2 did not start; see $out/servers.log" >&2
  exit 1
}

seed() { # port file: SESSIONS sessions through GET /new, their cookies one a line
  local cfg=$out/seed.curl
  for ((i = 0; i < sessions; i++)); do
    printf 'url = "http://127.0.0.1:%s/new"\noutput = "/dev/null"\n' "$1"
  done >"$cfg"
  curl -sS -K "$cfg" -D - | tr -d '\r' | sed -n 's/^[Ss]et-[Cc]ookie: \([^;]*\).*/\1/p' >"$2"
  local got
  got=$(wc -l <"$2")
  [[ $got == "$sessions" ]] || { echo "bench-http: seeded $got of $sessions sessions on :$1" >&2; exit 1; }
  # The routes answer 410 for a cookie that names no session: check one.
  curl -fsS -o /dev/null -H "Cookie: $(head -1 "$2")" "http://127.0.0.1:$1/read" ||
    { echo "bench-http: a seeded cookie is not accepted on :$1" >&2; exit 1; }
}

case_path() { case $1 in untouched-cookie) echo /untouched ;; *) echo "/$1" ;; esac; }

cookies_for() { # store impl case -> cookie file, or "" for none
  case $3 in untouched | new) echo "" ;; *)
    # bare ignores cookies; it gets sesh's so its requests are as long.
    local who=$2
    [[ $who == bare ]] && who=sesh
    echo "$out/$1-$who.cookies" ;;
  esac
}

clk_tck=$(getconf CLK_TCK)
cpu_ticks() { # pid -> user+system clock ticks so far, or 0 when it cannot be read
  if [[ -n $1 && -r /proc/$1/stat ]]; then
    sed 's/^.*) //' "/proc/$1/stat" | awk '{ print $12 + $13 }'
  else
    echo 0
  fi
}

run_wrk() { # seconds store impl case -> "rps p50_us p99_us errors server_cpu_us redis_cpu_us"
  local port line s0 r0 s1 r1
  port=$(port_of "$2" "$3")
  s0=$(cpu_ticks "${server_pid[$3]}") r0=$(cpu_ticks "$redis_pid")
  line=$("${wrk_pin[@]}" wrk -t"$threads" -c"$connections" -d"$1s" --timeout 5s -s "$lua" \
    "http://127.0.0.1:$port$(case_path "$4")" -- "$(cookies_for "$2" "$3" "$4")" | sed -n 's/^RESULT //p')
  s1=$(cpu_ticks "${server_pid[$3]}") r1=$(cpu_ticks "$redis_pid")
  [[ -n $line ]] || { echo "bench-http: wrk printed no result for $3 $2 $4" >&2; exit 1; }
  echo "$line" | awk -v server=$((s1 - s0)) -v redis=$((r1 - r0)) -v tck="$clk_tck" \
    '{ for (i = 1; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
       n = v["requests"] > 0 ? v["requests"] : 1
       printf "%s %s %s %s %.2f %.2f\n", v["rps"], v["p50_us"], v["p99_us"], v["errors"],
         server * 1e6 / tck / n, redis * 1e6 / tck / n }'
}

# Stops this store's servers, empties Redis, and starts them again.
fresh_servers() { # store
  local impl
  stop_servers
  if [[ $1 == redis* ]]; then redis_flush; fi
  for impl in $(impls_of "$1"); do start_server "$impl" "$1"; done
}

warm_up() { # store case
  local impl
  ((warmup > 0)) || return 0
  for impl in $(impls_of "$1"); do run_wrk "$warmup" "$1" "$impl" "$2" >/dev/null; done
}

measure() { # store case round: every server of the store, back to back
  local impl result rps p50 p99 errors server_cpu redis_cpu
  for impl in $(impls_of "$1"); do
    result=$(run_wrk "$secs" "$1" "$impl" "$2")
    read -r rps p50 p99 errors server_cpu redis_cpu <<<"$result"
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$1" "$2" "$impl" "$3" "$rps" "$p50" "$p99" \
      "$errors" "$server_cpu" "$redis_cpu" >>"$results"
    echo "bench-http: $1 $2 $impl round $3: $rps req/s, p99 ${p99}us, $errors errors," \
      "CPU/request: server ${server_cpu}us, redis ${redis_cpu}us" >&2
  done
}

started=$(date -u +%Y-%m-%dT%H:%M:%SZ)
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
printf 'store\tcase\timpl\tround\trps\tp50_us\tp99_us\terrors\tserver_cpu_us\tredis_cpu_us\n' >"$results"
redis_pid=""
skipped=""
for store in $stores; do
  if [[ $store == redis* ]]; then
    [[ $redis_url =~ /([1-9][0-9]*)$ ]] ||
      { echo "bench-http: REDIS_URL must name a database other than 0 (it is emptied)" >&2; exit 2; }
    if ! redis-cli -u "$redis_url" ping >/dev/null 2>&1; then
      echo "bench-http: skipping $store: $redis_url unreachable" >&2
      skipped="$skipped $store"
      continue
    fi
    # fresh_servers below empties the database before anything is seeded.
    redis_used=1
    # Its CPU time is readable only when it runs on this machine.
    redis_pid=$(redis-cli -u "$redis_url" INFO server | tr -d '\r' | sed -n 's/^process_id://p')
  fi
  fresh_servers "$store"
  for impl in $(impls_of "$store"); do
    [[ $impl == bare ]] || seed "$(port_of "$store" "$impl")" "$out/$store-$impl.cookies"
  done
  for c in $before_new; do warm_up "$store" "$c"; done
  for ((round = 1; round <= rounds; round++)); do
    for c in $before_new; do measure "$store" "$c" "$round"; done
  done
  # Each run of `new` adds hundreds of thousands of sessions: every round
  # of it starts from empty stores, so no round measures the last one's.
  if [[ $with_new == 1 ]]; then
    for ((round = 1; round <= rounds; round++)); do
      fresh_servers "$store"
      warm_up "$store" new
      measure "$store" new "$round"
    done
  fi
  stop_servers
  if [[ $store == redis* ]]; then redis_flush; redis_pid=""; fi
done
load_after=$(cut -d' ' -f1-3 /proc/loadavg)

{
  echo "### HTTP load: sesh vs tower-sessions vs bare axum"
  echo
  echo "$started; $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//');" \
    "load average before $load_before, after $load_after."
  echo "wrk -t$threads -c$connections -d${secs}s, $rounds rounds (implementations back to back; \`new\` last, on fresh servers each round), medians;" \
    "$sessions sessions per server; pinned: $([[ ${#server_pin[@]} -gt 0 ]] && echo 'servers core 1, wrk core 0' || echo no)."
  [[ -z $skipped ]] || echo "Skipped (server unreachable):$skipped."
  echo
  awk -F'\t' -v cases="$cases" -v stores="$stores" '
    function median(list,   a, n, i, j, t) {
      n = split(list, a, " ")
      for (i = 2; i <= n; i++) { t = a[i]; for (j = i - 1; j >= 1 && a[j] + 0 > t + 0; j--) a[j + 1] = a[j]; a[j + 1] = t }
      return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
    }
    # The issue-7 targets: [peer, minimum ratio].
    function target(store, c) {
      if (store == "redis-cached") return ""
      if (c == "untouched") return "bare 0.95"
      if (store == "memory" && (c == "read" || c == "write" || c == "new")) return "tower-sessions 1.30"
      if (store == "redis" && c == "read") return "tower-sessions 1.50"
      if (store == "redis" && (c == "write" || c == "new")) return "tower-sessions 1.20"
      return ""
    }
    function ratio(a, b) { return b > 0 ? a / b : 0 }
    function med(what, s, c, i) { return median(vals[what, s, c, i]) }
    NR > 1 {
      vals["rps", $1, $2, $3] = vals["rps", $1, $2, $3] " " $5
      vals["p99", $1, $2, $3] = vals["p99", $1, $2, $3] " " $7
      vals["cpu", $1, $2, $3] = vals["cpu", $1, $2, $3] " " $9
      vals["rcpu", $1, $2, $3] = vals["rcpu", $1, $2, $3] " " $10
      err[$1, $2] += $8; seen[$1] = 1
    }
    END {
      ns = split(stores, S, " "); nc = split(cases, C, " ")
      print "| store | case | bare req/s | sesh req/s | tower-sessions req/s | sesh/tower-sessions | sesh/bare | target | met | p99 bare / sesh / tower-sessions (ms) | errors |"
      print "|---|---|--:|--:|--:|--:|--:|---|---|--:|--:|"
      for (s = 1; s <= ns; s++) for (c = 1; c <= nc; c++) {
        if (!(S[s] in seen)) continue
        b = med("rps", S[s], C[c], "bare"); m = med("rps", S[s], C[c], "sesh"); t = med("rps", S[s], C[c], "tower-sessions")
        vs_t = ratio(m, t); vs_b = ratio(m, b)
        split(target(S[s], C[c]), tg, " ")
        met = ""
        if (tg[1] == "bare") met = vs_b >= tg[2] ? "yes" : "**no**"
        if (tg[1] == "tower-sessions") met = vs_t >= tg[2] ? "yes" : "**no**"
        tgt = tg[1] == "" ? "" : sprintf("%s ≥ %s×", tg[1], tg[2])
        printf "| %s | %s | %.0f | %.0f | %.0f | %.2f | %.2f | %s | %s | %.2f / %.2f / %.2f | %d |\n", \
          S[s], C[c], b, m, t, vs_t, vs_b, tgt, met, med("p99", S[s], C[c], "bare") / 1000, \
          med("p99", S[s], C[c], "sesh") / 1000, med("p99", S[s], C[c], "tower-sessions") / 1000, err[S[s], C[c]]
      }
      print ""
      print "CPU time per request (µs, medians): the server process, and redis-server for the Redis stores."
      print "The ratio column is tower-sessions over sesh: above 1, sesh spends less."
      print ""
      print "| store | case | server bare / sesh / tower-sessions | server tower-sessions/sesh | redis sesh / tower-sessions | redis tower-sessions/sesh |"
      print "|---|---|--:|--:|--:|--:|"
      for (s = 1; s <= ns; s++) for (c = 1; c <= nc; c++) {
        if (!(S[s] in seen)) continue
        b = med("cpu", S[s], C[c], "bare"); m = med("cpu", S[s], C[c], "sesh"); t = med("cpu", S[s], C[c], "tower-sessions")
        rm = med("rcpu", S[s], C[c], "sesh"); rt = med("rcpu", S[s], C[c], "tower-sessions")
        # Routes that make no Redis call leave only stray ticks: no ratio.
        redis = S[s] !~ /^redis/ ? " | " : rm < 0.5 && rt < 0.5 ? sprintf("%.1f / %.1f | –", rm, rt) \
          : sprintf("%.1f / %.1f | %.2f", rm, rt, ratio(rt, rm))
        printf "| %s | %s | %.1f / %.1f / %.1f | %.2f | %s |\n", S[s], C[c], b, m, t, ratio(t, m), redis
      }
      floors = 0
      for (s = 1; s <= ns; s++) if (("rps", S[s], C[1], "floor") in vals) floors++
      if (floors == 0) exit
      print ""
      print "The floor: no session library, only the store work a session needs (`crates/sesh-bench/src/floor/`):"
      print "over Redis the round trips, in memory one lookup in a sharded map, with no layer in front."
      print "floor/tower-sessions is the most any layer on that store (and, for Redis, sesh-redis'"'"'s client)"
      print "could reach."
      print ""
      print "| store | case | store work | floor req/s | floor/tower-sessions | sesh/floor | target | server CPU µs floor / sesh / tower-sessions | redis CPU µs floor / sesh / tower-sessions |"
      print "|---|---|---|--:|--:|--:|---|--:|--:|"
      for (s = 1; s <= ns; s++) for (c = 1; c <= nc; c++) {
        if (!(("rps", S[s], C[c], "floor") in vals)) continue
        f = med("rps", S[s], C[c], "floor"); m = med("rps", S[s], C[c], "sesh"); t = med("rps", S[s], C[c], "tower-sessions")
        if (S[s] == "redis") trips = C[c] == "read" ? "GET" : C[c] == "write" ? "GET, SET" : C[c] == "new" ? "SET" : "none"
        else trips = C[c] == "read" ? "lookup" : C[c] == "write" ? "lookup, increment" : C[c] == "new" ? "insert" : "none"
        split(target(S[s], C[c]), tg, " ")
        # Only targets over tower-sessions: the column beside them is floor/tower-sessions.
        tgt = tg[1] == "tower-sessions" ? sprintf("%s ≥ %s×", tg[1], tg[2]) : ""
        redis = S[s] == "redis" ? sprintf("%.1f / %.1f / %.1f", med("rcpu", S[s], C[c], "floor"), \
          med("rcpu", S[s], C[c], "sesh"), med("rcpu", S[s], C[c], "tower-sessions")) : ""
        printf "| %s | %s | %s | %.0f | %.2f | %.2f | %s | %.1f / %.1f / %.1f | %s |\n", S[s], C[c], trips, f, \
          ratio(f, t), ratio(m, f), tgt, med("cpu", S[s], C[c], "floor"), med("cpu", S[s], C[c], "sesh"), \
          med("cpu", S[s], C[c], "tower-sessions"), redis
      }
    }' "$results"
} | tee target/bench-http.md
