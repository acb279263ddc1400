#!/usr/bin/env bash
# HTTP load benchmark: sesh against tower-sessions and bare axum, over each
# library's memory store and over Redis, the implementations interleaved;
# and, with REVS, sesh against itself built from other git revisions.
#
# For each store kind it starts a release server per implementation (bare,
# sesh, tower-sessions, by default), creates SESSIONS sessions on each through
# GET /new, then runs ROUNDS rounds of the other cases; in each round, for
# each case, wrk loads the servers back to back, so drift in the machine's
# load hits all alike, and each round starts one server further along the
# list, so each server takes each place in turn. `new` comes last, ROUNDS
# rounds of it, each on freshly started servers (and an emptied Redis
# database): every `new` run adds hundreds of thousands of sessions, which
# the other cases, and the next round of `new`, would otherwise meet. It
# reports medians over the rounds and the ratios.
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
#   IMPLS ["bare sesh tower-sessions"]  the implementations loaded, any of those three
#                       (`sesh` is the working tree's build; floor: see FLOOR)
#   REVS [none]         "name=rev name2=rev2 …": sesh-bench-server built at each git
#                       revision (commit, branch, tag) of this repository, loaded as
#                       implementation `sesh-name` (`--impl sesh`) beside the others in
#                       every round, and reported against `sesh`. Built one after
#                       another in one scratch worktree (target/bench-revs/src, removed
#                       at the end) with one target dir (target/bench-revs/target);
#                       binaries kept in target/bench-revs/bin/NAME and reused while
#                       the revision names the same commit
#   BASE_PORT [17080]   servers listen on BASE_PORT+1..+24 (further with 6+ REVS)
#   PIN [1]             with 2+ cores: servers on core 1, wrk on core 0 (taskset)
#   FLOOR [1]           over memory and redis, also load `floor`:
#                       the store work a session needs and nothing else, the best
#                       any layer could do (crates/sesh-bench/src/floor/): over
#                       Redis the round trips (GET for a read, GET + SET for a
#                       write, SET for a new session, on the client sesh-redis
#                       uses), in memory one lookup in a sharded map; 0 leaves it out
#   REDIS_URL [redis://127.0.0.1:6379/9]  a database kept for benchmarks: it is
#                       emptied (FLUSHDB) before and after, so database 0 is refused
#   CARGO_TARGET_DIR    honoured for the working tree's build (not for REVS' builds)
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
impls=${IMPLS:-bare sesh tower-sessions}
floor=${FLOOR:-1}
base_port=${BASE_PORT:-17080}

fail() { # message [exit status, 1]
  echo "bench-http: $1" >&2
  exit "${2:-1}"
}

for n in "$secs" "$rounds" "$connections" "$threads" "$sessions" "$warmup" "$base_port"; do
  [[ $n =~ ^[0-9]+$ ]] || fail "'$n' is not a whole number" 2
done
for impl in $impls; do
  [[ $impl =~ ^(bare|sesh|tower-sessions)$ ]] ||
    fail "IMPLS: '$impl' is none of bare, sesh, tower-sessions (floor is FLOOR's)" 2
done

# REVS: names in order, and each one's revision and commit.
rev_names=() rev_impls=""
declare -A rev_of rev_commit
read -ra rev_entries <<<"${REVS:-}"
for entry in "${rev_entries[@]}"; do
  [[ $entry =~ ^([A-Za-z0-9_.-]+)=(.+)$ ]] || fail "REVS: '$entry' is not name=rev" 2
  name=${BASH_REMATCH[1]}
  [[ -z ${rev_of[$name]:-} ]] || fail "REVS: $name is named twice" 2
  rev_of[$name]=${BASH_REMATCH[2]}
  rev_commit[$name]=$(git rev-parse --verify --quiet "${rev_of[$name]}^{commit}") ||
    fail "REVS: $name=${rev_of[$name]}: no such commit in $(pwd)" 2
  rev_names+=("$name") rev_impls="$rev_impls sesh-$name"
done
rev_impls=${rev_impls# }
[[ -n "$impls$rev_impls" ]] || fail "IMPLS and REVS name no implementation" 2

impls_of() { # store -> the servers loaded for it
  local with_floor=""
  [[ ($1 == redis || $1 == memory) && $floor == 1 ]] && with_floor=floor
  echo "$impls $with_floor $rev_impls"
}

command -v wrk >/dev/null || { echo "bench-http: wrk is missing: apt-get install -y wrk" >&2; exit 2; }
command -v curl >/dev/null || { echo "bench-http: curl is missing: apt-get install -y curl" >&2; exit 2; }

out=target/bench-http
mkdir -p "$out"
results=$out/results.tsv
lua=crates/sesh-bench/wrk/sessions.lua
cargo build --release --quiet -p sesh-bench --bin sesh-bench-server
target_dir=$(cargo metadata --format-version 1 --no-deps | sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')
bin=$out/bin/sesh-bench-server

# REVS' builds: one scratch worktree, checked out at each revision in turn,
# and one target dir of its own (two checkouts must never share one: cargo
# would take one's artifacts for the other's), so dependencies build once.
revs_dir=target/bench-revs
revs_src=$revs_dir/src

remove_revs_worktree() {
  [[ -e $revs_src ]] || return 0
  git worktree remove --force "$revs_src" 2>/dev/null || rm -rf "$revs_src"
  git worktree prune
}

build_rev() { # name: target/bench-revs/bin/NAME, sesh-bench-server at the name's commit
  local name=$1 commit=${rev_commit[$1]}
  if [[ ! -e $revs_src ]]; then
    git worktree prune
    git worktree add --quiet --detach "$revs_src" "$commit"
  fi
  # A worktree has a .git file; without it git would act on this checkout.
  [[ -f $revs_src/.git ]] || fail "$revs_src is not a worktree: remove it"
  git -C "$revs_src" checkout --quiet --force --detach "$commit"
  echo "bench-http: building sesh-$name: ${rev_of[$name]} = $commit" >&2
  (cd "$revs_src" && CARGO_TARGET_DIR=$(cd .. && pwd)/target \
    cargo build --release --quiet -p sesh-bench --bin sesh-bench-server) ||
    fail "REVS: building sesh-bench-server at $name=${rev_of[$name]} ($commit) failed"
  cp "$revs_dir/target/release/sesh-bench-server" "$revs_dir/bin/$name"
  echo "$commit" >"$revs_dir/bin/$name.commit"
}

build_revs() {
  local name
  remove_revs_worktree # a stale one, from a run that was killed
  mkdir -p "$revs_dir/bin"
  for name in "${rev_names[@]}"; do
    if [[ -x $revs_dir/bin/$name && $(cat "$revs_dir/bin/$name.commit" 2>/dev/null) == "${rev_commit[$name]}" ]]; then
      echo "bench-http: sesh-$name: reusing $revs_dir/bin/$name, built at ${rev_commit[$name]}" >&2
    else
      build_rev "$name"
    fi
  done
  remove_revs_worktree
}

# Every server runs from a copy made in this run. Straight from cargo's
# output, the same binary spent ~5 % more CPU per request than a copy of it
# (Linux 6.18, ext4; the file, not its path: likely how its pages are
# cached), which would set the working tree's sesh against REVS' unfairly.
stage_binaries() {
  local name
  rm -rf "${out:?}/bin"
  mkdir -p "$out/bin"
  cp "$target_dir/release/sesh-bench-server" "$bin"
  for name in "${rev_names[@]}"; do cp "$revs_dir/bin/$name" "$out/bin/sesh-$name"; done
}

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
  remove_revs_worktree || true
  if [[ ${redis_used:-0} == 1 ]]; then redis_flush || true; fi
}
trap cleanup EXIT
((${#rev_names[@]} == 0)) || build_revs
stage_binaries

# Below Linux's ephemeral range (32768 up), so no client socket (wrk's own
# included) holds a port a server is about to listen on.
# Each store kind a block of ports, each implementation its place in it.
port_order="bare sesh tower-sessions floor $rev_impls"
port_block=$(($(wc -w <<<"$port_order") < 10 ? 10 : $(wc -w <<<"$port_order") + 1))
((base_port + 3 * port_block < 32768)) || fail "BASE_PORT $base_port: ports would reach 32768" 2
port_of() { # store impl -> port
  local block=0 i=1 impl
  case $1 in redis) block=1 ;; redis-cached) block=2 ;; esac
  for impl in $port_order; do
    [[ $impl == "$2" ]] && break
    i=$((i + 1))
  done
  echo $((base_port + block * port_block + i))
}

start_server() { # impl store
  local port exe=$bin flag=$1
  [[ $1 == sesh-* ]] && exe=$out/bin/$1 flag=sesh
  port=$(port_of "$2" "$1")
  # Some other server there would answer for this one.
  ! curl -s -o /dev/null "http://127.0.0.1:$port/" || fail "port $port is taken: another BASE_PORT?"
  "${server_pin[@]}" "$exe" --impl "$flag" --store "$2" --port "$port" --redis-url "$redis_url" \
    2>>"$out/servers.log" &
  pids+=($!)
  server_pid[$1]=$!
  for _ in $(seq 100); do
    curl -fsS -o /dev/null "http://127.0.0.1:$port/untouched" 2>/dev/null && return 0
    kill -0 "${server_pid[$1]}" 2>/dev/null || break
    sleep 0.1
  done
  fail "$1 over $2 did not start; see $out/servers.log"
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
    # bare ignores cookies; it gets sesh's (or the next server's) so its
    # requests are as long.
    local who=$2
    [[ $who == bare ]] && who=$(cookie_donor "$1")
    [[ -z $who ]] || echo "$out/$1-$who.cookies" ;;
  esac
}

cookie_donor() { # store -> the server whose cookies bare sends, or "" when it runs alone
  local impl
  for impl in sesh $(impls_of "$1"); do
    [[ $impl != bare && " $(impls_of "$1") " == *" $impl "* ]] && { echo "$impl"; return; }
  done
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

in_round_order() { # round impl… -> the impls, round 1 as given, each next round starting one further
  local k=$(((($1 - 1) % ($# - 1)) + 2))
  echo "${@:k}" "${@:2:k-2}"
}

measure() { # store case round: every server of the store, back to back
  local impl result rps p50 p99 errors server_cpu redis_cpu
  # shellcheck disable=SC2046 # impls_of gives words
  for impl in $(in_round_order "$3" $(impls_of "$1")); do
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

heading() { # "### HTTP load: …" naming what was loaded
  local impl names=""
  for impl in $impls $rev_impls; do
    [[ $impl == bare ]] && impl="bare axum"
    names="${names:+$names vs }$impl"
  done
  echo "### HTTP load: $names"
}

builds() { # which commit each sesh server was built from, as a list
  local name subject dirty=""
  [[ -z $(git status --porcelain --untracked-files=no) ]] || dirty=", with uncommitted changes"
  echo "- \`sesh\`: the working tree, HEAD = $(git rev-parse HEAD)$dirty"
  for name in "${rev_names[@]}"; do
    subject=$(git log -1 --format=%s "${rev_commit[$name]}")
    ((${#subject} <= 80)) || subject="${subject:0:79}…"
    echo "- \`sesh-$name\`: \`${rev_of[$name]}\` = ${rev_commit[$name]} ($subject)"
  done
}

# The tables from results.tsv. A cell whose implementation was not loaded shows –.
# main=1 gives the tables of bare, sesh and tower-sessions (and floor's);
# revs lists the sesh-NAME implementations, reported against sesh.
report() { # results.tsv main revs
  awk -F'\t' -v cases="$cases" -v stores="$stores" -v main="$2" -v revs="$3" '
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
    # "" stands for a missing value, through ratio, ms and med; fmt shows it as –.
    function ratio(a, b) { return a == "" || b == "" || b + 0 <= 0 ? "" : a / b }
    function ms(us) { return us == "" ? "" : us / 1000 }
    function fmt(f, x) { return x == "" ? "–" : sprintf(f, x) }
    function med(what, s, c, i) { return (what, s, c, i) in vals ? median(vals[what, s, c, i]) : "" }
    function idle(x) { return x == "" || x < 0.5 }
    function gap() { if (printed) print ""; printed = 1 } # a blank line between tables
    NR > 1 {
      vals["rps", $1, $2, $3] = vals["rps", $1, $2, $3] " " $5
      vals["p99", $1, $2, $3] = vals["p99", $1, $2, $3] " " $7
      vals["cpu", $1, $2, $3] = vals["cpu", $1, $2, $3] " " $9
      vals["rcpu", $1, $2, $3] = vals["rcpu", $1, $2, $3] " " $10
      rps[$1, $2, $3, $4] = $5; if ($4 > last_round) last_round = $4
      err[$1, $2] += $8; err_of[$1, $2, $3] += $8; seen[$1] = 1
    }
    END {
      ns = split(stores, S, " "); nc = split(cases, C, " ")
      if (main) { main_table(); cpu_table() }
      floor_table()
      if (revs != "") revs_table()
    }
    function main_table(   s, c, b, m, t, vs_t, vs_b, tg, met, tgt) {
      gap()
      print "| store | case | bare req/s | sesh req/s | tower-sessions req/s | sesh/tower-sessions | sesh/bare | target | met | p99 bare / sesh / tower-sessions (ms) | errors |"
      print "|---|---|--:|--:|--:|--:|--:|---|---|--:|--:|"
      for (s = 1; s <= ns; s++) for (c = 1; c <= nc; c++) {
        if (!(S[s] in seen)) continue
        b = med("rps", S[s], C[c], "bare"); m = med("rps", S[s], C[c], "sesh"); t = med("rps", S[s], C[c], "tower-sessions")
        vs_t = ratio(m, t); vs_b = ratio(m, b)
        split(target(S[s], C[c]), tg, " ")
        met = ""
        if (tg[1] == "bare" && vs_b != "") met = vs_b >= tg[2] ? "yes" : "**no**"
        if (tg[1] == "tower-sessions" && vs_t != "") met = vs_t >= tg[2] ? "yes" : "**no**"
        tgt = tg[1] == "" ? "" : sprintf("%s ≥ %s×", tg[1], tg[2])
        printf "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s / %s / %s | %d |\n", \
          S[s], C[c], fmt("%.0f", b), fmt("%.0f", m), fmt("%.0f", t), fmt("%.2f", vs_t), fmt("%.2f", vs_b), tgt, met, \
          fmt("%.2f", ms(med("p99", S[s], C[c], "bare"))), fmt("%.2f", ms(med("p99", S[s], C[c], "sesh"))), \
          fmt("%.2f", ms(med("p99", S[s], C[c], "tower-sessions"))), err[S[s], C[c]]
      }
    }
    function cpu_table(   s, c, b, m, t, rm, rt, redis) {
      gap()
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
        redis = S[s] !~ /^redis/ ? " | " : sprintf("%s / %s | %s", fmt("%.1f", rm), fmt("%.1f", rt), \
          idle(rm) && idle(rt) ? "–" : fmt("%.2f", ratio(rt, rm)))
        printf "| %s | %s | %s / %s / %s | %s | %s |\n", S[s], C[c], fmt("%.1f", b), fmt("%.1f", m), fmt("%.1f", t), \
          fmt("%.2f", ratio(t, m)), redis
      }
    }
    function floor_table(   s, c, floors, f, m, t, trips, tg, tgt, redis) {
      for (s = 1; s <= ns; s++) if (("rps", S[s], C[1], "floor") in vals) floors++
      if (floors == 0) return
      gap()
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
        redis = S[s] == "redis" ? sprintf("%s / %s / %s", fmt("%.1f", med("rcpu", S[s], C[c], "floor")), \
          fmt("%.1f", med("rcpu", S[s], C[c], "sesh")), fmt("%.1f", med("rcpu", S[s], C[c], "tower-sessions"))) : ""
        printf "| %s | %s | %s | %.0f | %s | %s | %s | %s / %s / %s | %s |\n", S[s], C[c], trips, f, \
          fmt("%.2f", ratio(f, t)), fmt("%.2f", ratio(m, f)), tgt, fmt("%.1f", med("cpu", S[s], C[c], "floor")), \
          fmt("%.1f", med("cpu", S[s], C[c], "sesh")), fmt("%.1f", med("cpu", S[s], C[c], "tower-sessions")), redis
      }
    }
    # Per-round ratios of impl to sesh (both loaded in the same round): "median min max", or "".
    function round_ratios(s, c, impl,   r, list, n, a, lo, hi) {
      for (r = 1; r <= last_round; r++)
        if (((s, c, impl, r) in rps) && ((s, c, "sesh", r) in rps) && rps[s, c, "sesh", r] > 0)
          list = list " " rps[s, c, impl, r] / rps[s, c, "sesh", r]
      if (list == "") return ""
      n = split(list, a, " "); lo = hi = a[1]
      for (r = 2; r <= n; r++) { if (a[r] < lo) lo = a[r]; if (a[r] > hi) hi = a[r] }
      return median(list) " " lo " " hi
    }
    function revs_table(   s, c, k, nr, R, impl, rr, x, m, mc, rm) {
      nr = split(revs, R, " ")
      gap()
      print "Revisions against `sesh` (the working tree), loaded in the same rounds. Req/s: the revision over sesh,"
      print "as the ratio of the medians and as the median [lowest, highest] of the ratios within each round."
      print "Server CPU per request: sesh over the revision. Above 1, the revision does better."
      print ""
      print "| store | case | impl | req/s | /sesh (medians) | /sesh (per round) | p99 (ms) | server CPU µs | sesh/impl server CPU | redis CPU µs | errors |"
      print "|---|---|---|--:|--:|--:|--:|--:|--:|--:|--:|"
      for (s = 1; s <= ns; s++) for (c = 1; c <= nc; c++) {
        if (!(S[s] in seen)) continue
        m = med("rps", S[s], C[c], "sesh"); mc = med("cpu", S[s], C[c], "sesh")
        for (k = 0; k <= nr; k++) {
          impl = k == 0 ? "sesh" : R[k]
          if (k == 0 && m == "") continue
          rm = med("rcpu", S[s], C[c], impl)
          split(k == 0 ? "" : round_ratios(S[s], C[c], impl), rr, " ")
          x = rr[1] == "" ? "–" : sprintf("%.3f [%.3f, %.3f]", rr[1], rr[2], rr[3])
          printf "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %d |\n", S[s], C[c], impl, \
            fmt("%.0f", med("rps", S[s], C[c], impl)), k == 0 ? "" : fmt("%.3f", ratio(med("rps", S[s], C[c], impl), m)), \
            k == 0 ? "" : x, fmt("%.2f", ms(med("p99", S[s], C[c], impl))), fmt("%.1f", med("cpu", S[s], C[c], impl)), \
            k == 0 ? "" : fmt("%.3f", ratio(mc, med("cpu", S[s], C[c], impl))), S[s] ~ /^redis/ ? fmt("%.1f", rm) : "", \
            err_of[S[s], C[c], impl]
        }
      }
    }' "$1"
}

# bare, sesh and tower-sessions' tables, unless only sesh is loaded to set
# revisions against.
main_tables=1
[[ -z $rev_impls || $(wc -w <<<"$impls") -gt 1 ]] || main_tables=0
{
  heading
  echo
  echo "$started; $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//');" \
    "load average before $load_before, after $load_after."
  echo "wrk -t$threads -c$connections -d${secs}s, $rounds rounds (implementations back to back, each round starting one further along;" \
    "\`new\` last, on fresh servers each round), medians;" \
    "$sessions sessions per server; pinned: $([[ ${#server_pin[@]} -gt 0 ]] && echo 'servers core 1, wrk core 0' || echo no)."
  [[ -z $skipped ]] || echo "Skipped (server unreachable):$skipped."
  echo
  builds
  echo
  report "$results" "$main_tables" "$rev_impls"
} | tee target/bench-http.md
