#!/usr/bin/env bash
# Builds the fuzz targets with afl.rs and runs each for a bounded time from its committed corpus.
# A crash fails the run and is printed (as hex) so it can become a regular test.
#   device-drivers/fuzz/run.sh [seconds per target, default 12]
set -euo pipefail
cd "$(dirname "$0")"
seconds="${1:-12}"
targets=(scanner card_reader classify_scan escpos_roundtrip sync_decode payment_terminal)
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/tillpoint/target}/fuzz"

# afl.rs builds with the stable toolchain: cargo-afl from crates.io, AFL++ built from its source.
if ! cargo afl --version >/dev/null 2>&1; then
  cargo install cargo-afl --version 0.18.2 --locked
fi
cargo afl config --build >/dev/null 2>&1 || true
cargo afl build --release --locked

# No UI, no CPU governor check, crashes kept by AFL itself rather than by a core dump handler.
export AFL_NO_UI=1 AFL_SKIP_CPUFREQ=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 AFL_QUIET=1
export AFL_NO_AFFINITY=1 AFL_SKIP_CRASHES=0
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
failed=0
for t in "${targets[@]}"; do
  cargo afl fuzz -i "corpus/$t" -o "$out/$t" -V "$seconds" "$CARGO_TARGET_DIR/release/$t" >"$out/$t.log" 2>&1 || {
    echo "fuzz $t: afl-fuzz failed"; tail -20 "$out/$t.log"; failed=1; continue; }
  stats="$out/$t/default/fuzzer_stats"
  execs=$(awk -F': ' '/^execs_done/ {print $2}' "$stats" 2>/dev/null || echo "?")
  paths=$(awk -F': ' '/^corpus_count/ {print $2}' "$stats" 2>/dev/null || echo "?")
  crashes=$(find "$out/$t/default/crashes" -type f -name 'id:*' 2>/dev/null | wc -l)
  echo "fuzz $t: ${seconds}s, $execs runs, $paths inputs in the queue, $crashes crashes"
  if [ "$crashes" -gt 0 ]; then
    failed=1
    for c in "$out/$t/default/crashes"/id:*; do echo "  crash: $(xxd -p "$c" | tr -d '\n')"; done
  fi
done
exit "$failed"
