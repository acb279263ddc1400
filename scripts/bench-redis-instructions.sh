#!/usr/bin/env bash
# redis-server instructions per RedisStore call, counted by callgrind on a
# private redis-server: deterministic, so it holds on a busy machine. Each cell is
#   (Ir of SMALL+EXTRA calls - Ir of SMALL calls) / EXTRA
# with the counters zeroed before and dumped after each run of
# sesh-bench-redis-ops, so start-up, connecting and the run's own setup cancel out.
#
#   bash scripts/bench-redis-instructions.sh
#   OPS="apply touch" EXTRA=4000 PORT=7451 bash scripts/bench-redis-instructions.sh
set -euo pipefail
cd "$(dirname "$0")/.."

OPS=${OPS:-"load apply apply-remove touch create save"}
SMALL=${SMALL:-500}
EXTRA=${EXTRA:-2000}
PORT=${PORT:-7450}
OUT=${CARGO_TARGET_DIR:-target}/bench-redis-instructions
mkdir -p "$OUT"
rm -f "$OUT"/callgrind.out.*

command -v valgrind >/dev/null || { echo "valgrind is required (apt-get install valgrind)" >&2; exit 1; }
cargo build --release -q -p sesh-bench --bin sesh-bench-redis-ops
bin=${CARGO_TARGET_DIR:-target}/release/sesh-bench-redis-ops
url=redis://127.0.0.1:$PORT

# serverCron runs by the clock, not per call, and under valgrind a tick costs
# about 120k instructions: it is left out of the count.
valgrind --tool=callgrind --callgrind-out-file="$OUT/callgrind.out.%p" -q \
    --toggle-collect=serverCron --collect-atstart=yes \
    redis-server --bind 127.0.0.1 --port "$PORT" --save '' --appendonly no >/dev/null &
server=$!
trap 'redis-cli -p "$PORT" shutdown nosave >/dev/null 2>&1 || kill "$server"; wait "$server" || true' EXIT
for _ in $(seq 100); do redis-cli -p "$PORT" ping >/dev/null 2>&1 && break; sleep 0.2; done


dumps=0
count() { # op calls; sets ir
    callgrind_control -z "$server" >/dev/null 2>&1
    "$bin" --url "$url" --op "$1" --calls "$2"
    callgrind_control -d "$server" >/dev/null 2>&1
    dumps=$((dumps + 1))
    # Dump number $dumps holds the counts since the last zeroing.
    ir=$(awk '/^summary:/ {print $2}' "$OUT/callgrind.out.$server.$dumps")
}

# Loads the scripts and warms the allocator before anything is counted.
for op in $OPS; do "$bin" --url "$url" --op "$op" --calls 100; done

for op in $OPS; do
    count "$op" "$SMALL"; a=$ir
    count "$op" $((SMALL + EXTRA)); b=$ir
    echo "$op: $(( (b - a) / EXTRA )) instructions/call"
done
