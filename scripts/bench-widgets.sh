#!/usr/bin/env bash
# Widget weight and first paint in a cross-origin iframe (issue 14's budget: first paint
# under 300 ms on loopback, far lighter than the full app). Starts tansu with the demo
# traffic and the release build of Kafscope (the debug one with BUILD=debug), then runs
# playwright/bench/widgets.mjs in Debian's Chromium. Usage: scripts/bench-widgets.sh [runs]
source "$(dirname "$0")/lib.sh"
ensure_tansu
profile="${BUILD:-release}"
bin="$TARGET_DIR/$profile"
[ -x "$bin/kafscope" ] && [ -d "$bin/web" ] || {
  echo "build first: scripts/build-web.sh $profile && cargo build --$profile -p kafscope --bins" >&2
  exit 1
}
work="$(mktemp -d)"
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT INT TERM
export KAFSCOPE_SERVER__FRAME_ANCESTORS=http://portal.test
start_demo_stack "$bin" bench "$work"
sleep 5  # a few polls of lag history for the chart
cd "$ROOT/playwright"
[ -d node_modules/@playwright/test ] || npm ci --no-audit --no-fund
say "widgets ($profile build), ${1:-30} runs each"
node bench/widgets.mjs "$CONSOLE" bench "${1:-30}"
