#!/usr/bin/env bash
# Soak benchmark (not a CI test): tansu with the demo traffic, the release console, and
# playwright/bench/soak.mjs holding CLIENTS server-sent-event connections, RPS requests a
# second over the read endpoints and message pages, and a message tail, for SECONDS. Reports
# RSS, open files, threads, p50/p99 per endpoint per minute and errors; fails on any error or
# on RSS growth of 10 % or more after the first minute.
# Usage: scripts/soak.sh [seconds (600)] [clients (200)] [requests per second (100)]
source "$(dirname "$0")/lib.sh"
ensure_tansu
ensure_node
bin="$TARGET_DIR/release"
say "building the release console"
cargo build --release --manifest-path "$ROOT/Cargo.toml" -p kafscope --bins
work="$(mktemp -d)"
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT INT TERM
start_demo_stack "$bin" soak "$work"
console_pid="${pids[-1]}"
cd "$ROOT/playwright"
[ -d node_modules/@playwright/test ] || npm ci --no-audit --no-fund
say "soak for ${1:-600} s"
node bench/soak.mjs "$CONSOLE" soak "$console_pid" "${1:-600}" "${2:-200}" "${3:-100}"
