#!/usr/bin/env bash
# Instructions per request, in process, for each implementation and case over
# the memory store, counted by callgrind: deterministic, so it holds on a busy
# machine where seconds do not. Each cell is
#   (Ir of SMALL+EXTRA requests - Ir of SMALL requests) / EXTRA
# so start-up and seeding cancel out. Writes target/bench-instructions.md.
#
#   bash scripts/bench-instructions.sh            # all cases
#   CASES="read write" EXTRA=2000 bash scripts/bench-instructions.sh
set -euo pipefail
cd "$(dirname "$0")/.."

CASES=${CASES:-"untouched untouched-cookie read write new"}
IMPLS=${IMPLS:-"bare sesh tower-sessions"}
SMALL=${SMALL:-1000}
EXTRA=${EXTRA:-5000}
OUT=target/bench-instructions
mkdir -p "$OUT"

command -v valgrind >/dev/null || { echo "valgrind is required (apt-get install valgrind)" >&2; exit 1; }
cargo build --release -q -p sesh-bench --bin sesh-bench-instructions
bin=target/release/sesh-bench-instructions

instructions() { # impl case requests
    local file="$OUT/callgrind.$1.$2.$3"
    valgrind --tool=callgrind --callgrind-out-file="$file" -q \
        "$bin" --impl "$1" --case "$2" --requests "$3" >/dev/null
    # "summary: N" is the total instruction count of the run.
    awk '/^summary:/ {print $2}' "$file"
}

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
    echo "Instructions per request in process (callgrind; $(git rev-parse --short HEAD); $EXTRA requests over $SMALL)."
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
} | tee target/bench-instructions.md
