#!/usr/bin/env bash
# A payment by code on the till, under Xvfb at 1366×768 in Chinese (issue 23): the demo starts, a
# cashier logs in and opens a shift, three products are rung up, and the demo's "WeChat Pay, the
# customer confirms on the phone" code is typed (as a scanner would send it): the till shows the
# wait (docs/till-code-pay-waiting-zh.png); once the customer has confirmed (HQ polls the provider) and the
# sale is complete with the WeChat Pay tender (docs/till-code-pay-paid-zh.png).
# Needs: xvfb, xdotool, x11-apps (xwd), netpbm (Debian). Run from the repository root:
#   pos-app/scripts/code-pay-screenshot.sh [OUT_DIR]
set -euo pipefail
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/tillpoint/target}"
out="${1:-docs}"
cargo build -p pos-app
bin="$CARGO_TARGET_DIR/debug/pos-app"
Xvfb :95 -screen 0 1366x768x24 >/dev/null 2>&1 &
xvfb=$!
trap 'kill $xvfb 2>/dev/null || true' EXIT
export DISPLAY=:95
sleep 1
shot() { xwd -root -silent | xwdtopnm 2>/dev/null | pnmtopng >"$1"; }
LANG=zh_CN.UTF-8 timeout 120 "$bin" --demo >/dev/null 2>&1 &
app=$!
sleep 10
xdotool search --sync --name Tillpoint windowfocus >/dev/null 2>&1 || true
xdotool type --delay 120 1001; xdotool key Return
xdotool type --delay 120 1111; xdotool key Return; sleep 2
xdotool type --delay 120 4; xdotool key Return; sleep 2
for code in 6900100000037 6900100000006 6900100000013; do
  xdotool type --delay 100 $code; xdotool key Return; sleep 1.2
done
xdotool type --delay 60 134567890000000002; xdotool key Return; sleep 1.2   # WeChat Pay, confirmed on the phone
shot "$out/till-code-pay-waiting-zh.png"
sleep 14
shot "$out/till-code-pay-paid-zh.png"
kill $app 2>/dev/null || true
wait $app 2>/dev/null || true
