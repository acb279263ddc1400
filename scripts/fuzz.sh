#!/usr/bin/env bash
# Builds every cargo-fuzz target in fuzz/ and runs each for a bounded time,
# then prints how many inputs each one executed. A crash fails the script;
# its input is left in fuzz/artifacts/<target>/ (make it a regression test).
#
#   FUZZ_SECONDS    seconds per target (default 20)
#   FUZZ_SANITIZER  cargo-fuzz sanitizer (default none: sesh forbids unsafe
#                   code, and without ASan a target runs about 5x more inputs;
#                   use `address` to check the dependencies' unsafe code too)
#   FUZZ_TARGETS    space-separated subset of targets (default: all)
#
# No nightly toolchain is needed: RUSTC_BOOTSTRAP lets stable rustc take the
# unstable flags cargo-fuzz passes.
set -euo pipefail
cd "$(dirname "$0")/../fuzz"
seconds=${FUZZ_SECONDS:-20}
sanitizer=${FUZZ_SANITIZER:-none}
export RUSTC_BOOTSTRAP=1
command -v cargo-fuzz >/dev/null || cargo install --locked cargo-fuzz
if [ -n "${FUZZ_TARGETS:-}" ]; then
  targets=$FUZZ_TARGETS
  for target in $targets; do cargo fuzz build --sanitizer "$sanitizer" "$target"; done
else
  targets=$(cargo fuzz list)
  cargo fuzz build --sanitizer "$sanitizer"
fi

failed=()
summary=()
for target in $targets; do
  # New inputs go to corpus/ (not committed); seeds/ is the committed start.
  mkdir -p "corpus/$target" "seeds/$target"
  log=$(mktemp)
  if cargo fuzz run --sanitizer "$sanitizer" "$target" "corpus/$target" "seeds/$target" -- \
      -max_total_time="$seconds" -print_final_stats=1 >"$log" 2>&1; then
    status=ok
  else
    status=FAILED
    failed+=("$target")
    tail -n 40 "$log" >&2
  fi
  runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' | tail -n 1)
  done_line=$(grep -E '^#[0-9]+[[:space:]]+DONE' "$log" | tail -n 1 || true)
  summary+=("$(printf '%-16s %-6s %10s executions in %ss  %s' "$target" "$status" "${runs:-?}" "$seconds" "$done_line")")
  rm -f "$log"
done

echo "fuzz summary (sanitizer $sanitizer):"
printf '  %s\n' "${summary[@]}"
if [ ${#failed[@]} -gt 0 ]; then
  echo "fuzz: crashes in ${failed[*]}; inputs are in fuzz/artifacts/" >&2
  exit 1
fi
