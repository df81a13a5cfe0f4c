#!/usr/bin/env bash
# Cold start of the till to its login screen, release build, under Xvfb: from exec until the
# window is visible (iced shows it after its first frame), five runs. The till is enrolled at a
# demo HQ first, so the run opens a real database (the demo catalog, its staff and policy).
# Needs: xvfb, xdotool (Debian). Run from the repository root:  pos-app/scripts/cold-start.sh
set -euo pipefail
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/tillpoint/target}"
cargo build --release -p pos-app -p hq-server
bin="$CARGO_TARGET_DIR/release"
work=$(mktemp -d)
Xvfb :96 -screen 0 1400x860x24 >/dev/null 2>&1 &
xvfb=$!
"$bin/hq-server" --db "$work/hq.sqlite" demo-data >"$work/demo.txt" 2>/dev/null
code=$(grep -m1 "enrolment code" "$work/demo.txt" | sed 's/.*enrolment code //')
"$bin/hq-server" --db "$work/hq.sqlite" serve --listen 127.0.0.1:18099 >/dev/null 2>&1 &
hq=$!
trap 'kill $xvfb $hq 2>/dev/null || true; rm -rf "$work"' EXIT
sleep 1
"$bin/pos-app" enrol --hq http://127.0.0.1:18099 --code "$code" --db "$work/till.sqlite" >/dev/null 2>&1
export DISPLAY=:96
until xdotool getdisplaygeometry >/dev/null 2>&1; do sleep 0.1; done
for run in 1 2 3 4 5; do
  start=$(date +%s%N)
  "$bin/pos-app" --db "$work/till.sqlite" --lang zh-CN >"$work/run$run.log" 2>&1 &
  app=$!
  until xdotool search --onlyvisible --name Tillpoint >/dev/null 2>&1; do
    kill -0 $app 2>/dev/null || { echo "the till exited before showing its window:" >&2; cat "$work/run$run.log" >&2; exit 1; }
    sleep 0.005
  done
  end=$(date +%s%N)
  echo "run $run: $(( (end - start) / 1000000 )) ms to the login window"
  kill $app; wait $app 2>/dev/null || true
done
