#!/usr/bin/env bash
# Instructions per request, in process, for each implementation and case over
# the memory store, counted by callgrind: deterministic, so it holds on a busy
# machine where seconds do not. Each cell is
#   (Ir of SMALL+EXTRA requests - Ir of SMALL requests) / EXTRA
# so start-up and seeding cancel out. Writes target/bench-instructions.md
# (target/bench-instructions-redis.md with STORE=redis).
#
#   bash scripts/bench-instructions.sh            # all cases
#   CASES="read write" EXTRA=2000 bash scripts/bench-instructions.sh
#   STORE=redis IMPLS="sesh floor tower-sessions" bash scripts/bench-instructions.sh
#
# STORE=redis counts this process's side of each round trip (the client),
# not redis-server; it uses REDIS_URL [redis://127.0.0.1:6379/9], which is
# emptied (FLUSHDB) before each run, so database 0 is refused.
set -euo pipefail
cd "$(dirname "$0")/.."

CASES=${CASES:-"untouched untouched-cookie read write new"}
IMPLS=${IMPLS:-"bare sesh tower-sessions"}
SMALL=${SMALL:-1000}
EXTRA=${EXTRA:-5000}
STORE=${STORE:-memory}
REDIS_URL=${REDIS_URL:-redis://127.0.0.1:6379/9}
if [[ $STORE != memory ]]; then
    [[ $REDIS_URL =~ /([1-9][0-9]*)$ ]] ||
        { echo "REDIS_URL must name a database other than 0 (it is emptied)" >&2; exit 2; }
fi
OUT=target/bench-instructions
mkdir -p "$OUT"

command -v valgrind >/dev/null || { echo "valgrind is required (apt-get install valgrind)" >&2; exit 1; }
cargo build --release -q -p sesh-bench --bin sesh-bench-instructions
bin=target/release/sesh-bench-instructions

instructions() { # impl case requests
    local file="$OUT/callgrind.$STORE.$1.$2.$3"
    [[ $STORE == memory ]] || redis-cli -u "$REDIS_URL" FLUSHDB >/dev/null
    valgrind --tool=callgrind --callgrind-out-file="$file" -q \
        "$bin" --impl "$1" --case "$2" --requests "$3" --store "$STORE" --redis-url "$REDIS_URL" >/dev/null
    # "summary: N" is the total instruction count of the run.
    awk '/^summary:/ {print $2}' "$file"
}

md=target/bench-instructions.md
[[ $STORE == memory ]] || md=target/bench-instructions-$STORE.md

declare -A per
for c in $CASES; do
    for i in $IMPLS; do
        a=$(instructions "$i" "$c" "$SMALL")
        b=$(instructions "$i" "$c" $((SMALL + EXTRA)))
        per[$i.$c]=$(( (b - a) / EXTRA ))
        echo "$c $i: ${per[$i.$c]} instructions/request" >&2
    done
done

{
    echo "Instructions per request in process over the $STORE store (callgrind; $(git rev-parse --short HEAD); $EXTRA requests over $SMALL)."
    echo
    echo "| case | ${IMPLS// / | } | tower-sessions / sesh | sesh − bare |"
    echo "|---|$(for _ in $IMPLS; do printf -- '--:|'; done)--:|--:|"
    for c in $CASES; do
        row="| $c |"
        for i in $IMPLS; do row+=" ${per[$i.$c]:-} |"; done
        s=${per[sesh.$c]:-}; t=${per[tower-sessions.$c]:-}; b=${per[bare.$c]:-}
        ratio=""; over=""
        [[ -n $s && -n $t ]] && ratio=$(awk -v t="$t" -v s="$s" 'BEGIN {printf "%.2f", t / s}')
        [[ -n $s && -n $b ]] && over=$((s - b))
        echo "$row $ratio | $over |"
    done
} | tee "$md"
