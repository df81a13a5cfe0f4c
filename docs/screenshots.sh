#!/usr/bin/env bash
# Takes the README's screenshots: the till under Xvfb at 1366×768, in Chinese and in English, and
# at 1024×768 (the smallest screen it is laid out for; its window is fitted to the screen, since Xvfb
# has no window manager to maximize it), then the web console's dashboard. The till:
# the demo starts, a cashier logs in, opens a shift, a gold member's card is swiped on the simulated
# reader, three products are scanned on the simulated scanner, one barcode is typed (the sale
# screen); then ¥100 cash is handed (a part payment: received, still to pay) and ¥50 more (the
# change, large, until the next sale).
# Needs: xvfb, xdotool, imagemagick, x11-utils, fontconfig (Debian). Run from the repository root:  docs/screenshots.sh
set -euo pipefail
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/tillpoint/target}"
cargo build -p pos-app
bin="$CARGO_TARGET_DIR/debug/pos-app"
Xvfb :97 -screen 0 1366x768x24 >/dev/null 2>&1 &
xvfb=$!
Xvfb :98 -screen 0 1024x768x24 >/dev/null 2>&1 &
small=$!
trap 'kill $xvfb $small 2>/dev/null || true' EXIT
export DISPLAY=:97
sleep 1
shoot() { # lang sale.png [part-payment.png change.png]
  # The simulator panel is 300 px wide at the window's right edge.
  local width; width=$(xdpyinfo 2>/dev/null | awk '/dimensions:/ { split($2, d, "x"); print d[1] }')
  local panel=$(( ${width:-1366} - 240 ))
  LANG="$1" timeout 120 "$bin" --demo >/dev/null 2>&1 &
  local app=$!
  sleep 10
  xdotool search --sync --name Tillpoint windowfocus >/dev/null 2>&1 || true
  xdotool type --delay 120 1001; xdotool key Return
  xdotool type --delay 120 1111; xdotool key Return; sleep 2
  xdotool type --delay 120 4; xdotool key Return; sleep 2
  xdotool mousemove $panel 285 click 1; sleep 1.5         # swipe the gold member's card
  for y in 80 111 142; do xdotool mousemove $panel $y click 1; sleep 0.8; done   # scan three products
  xdotool type --delay 150 6900100000037; xdotool key Return; sleep 1.5          # type a barcode
  import -window root "$2"
  if [ $# -gt 2 ]; then
    xdotool key F4; sleep 0.5
    xdotool type --delay 150 100; xdotool key Return; sleep 1.5                 # ¥100: a part payment
    import -window root "$3"
    xdotool type --delay 150 50; xdotool key Return; sleep 2                    # ¥50 more: the change
    import -window root "$4"
  fi
  kill $app 2>/dev/null || true
  wait $app 2>/dev/null || true
}
# A cart under the demo's promotions: three of the first drink (特价), four snacks (第二件半价), near
# 满100减10.
promotions() { # png
  LANG=zh_CN.UTF-8 timeout 120 "$bin" --demo >/dev/null 2>&1 &
  local app=$!
  sleep 10
  xdotool search --sync --name Tillpoint windowfocus >/dev/null 2>&1 || true
  xdotool type --delay 120 1001; xdotool key Return
  xdotool type --delay 120 1111; xdotool key Return; sleep 2
  xdotool type --delay 120 4; xdotool key Return; sleep 2
  for code in 6900100000006 6900100000006 6900100000006 6900100000013 6900100000013 6900100000013 6900100000013; do
    xdotool type --delay 100 $code; xdotool key Return; sleep 1.2
  done
  import -window root "$1"
  kill $app 2>/dev/null || true
  wait $app 2>/dev/null || true
}
# The gold member's coupons: her card, five items past 满50减5, Insert lists the coupons HQ issued
# her, a touch takes each (the second, 生鲜9折券, waits for fresh goods: 未达使用条件).
coupons() { # png
  local width; width=$(xdpyinfo 2>/dev/null | awk '/dimensions:/ { split($2, d, "x"); print d[1] }')
  local panel=$(( ${width:-1366} - 240 ))
  LANG=zh_CN.UTF-8 timeout 120 "$bin" --demo >/dev/null 2>&1 &
  local app=$!
  sleep 10
  xdotool search --sync --name Tillpoint windowfocus >/dev/null 2>&1 || true
  xdotool type --delay 120 1001; xdotool key Return
  xdotool type --delay 120 1111; xdotool key Return; sleep 2
  xdotool type --delay 120 4; xdotool key Return; sleep 2
  xdotool mousemove $panel 285 click 1; sleep 2         # swipe the gold member's card
  for code in 6900100000037 6900100000037 6900100000037 6900100000020 6900100000020; do
    xdotool type --delay 100 $code; xdotool key Return; sleep 1.2
  done
  xdotool key Insert; sleep 2
  xdotool mousemove 900 219 click 1; sleep 2
  xdotool mousemove 900 246 click 1; sleep 2
  import -window root "$1"
  kill $app 2>/dev/null || true
  wait $app 2>/dev/null || true
}
promotions docs/till-promotions-zh.png
coupons docs/till-coupons-zh.png
shoot zh_CN.UTF-8 docs/till-sale-zh.png docs/till-part-payment-zh.png docs/till-change-zh.png
shoot en_US.UTF-8 docs/till-sale-en.png docs/till-part-payment-en.png docs/till-change-en.png
DISPLAY=:98 shoot zh_CN.UTF-8 /tmp/till-1024-sale.png docs/till-1024-part-payment-zh.png /tmp/till-1024-change.png

# The web console's dashboard in Chinese (the demo chain with two weeks of past sales), in headless
# Chromium, which needs a CJK font or it draws boxes: Noto Sans CJK (Debian's fonts-noto-cjk).
if ! fc-list :lang=zh | grep -q .; then
  echo "no Chinese font: installing fonts-noto-cjk"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends fonts-noto-cjk
fi
if [ "${SKIP_CONSOLE:-}" != 1 ]; then
  cargo test -p tests --test console dashboard_screenshot -- --ignored
  # The member pages on a phone (360×740): home, history, the member code.
  cargo test -p tests --test member_pages member_pages_screenshots -- --ignored
fi
