#!/usr/bin/env bash
# Start tansu on a free port, seed it with a real Kafka client, then run kafscope in the
# foreground on the port given. Everything stops when Playwright stops this script.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
source "$here/../scripts/lib.sh"
port="$1"
bin="${KAFSCOPE_BIN:-$TARGET_DIR/debug/kafscope}"
traffic="${KAFSCOPE_TRAFFIC_BIN:-$TARGET_DIR/debug/kafscope-demo-traffic}"
work="$(mktemp -d)"
kport="$(free_port)"
tansu_pid=""
cleanup() { [ -n "$tansu_pid" ] && kill "$tansu_pid" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT INT TERM

(cd "$work" && exec tansu broker --listener-url "tcp://127.0.0.1:$kport" \
  --advertised-listener-url "tcp://127.0.0.1:$kport" --storage-engine "sqlite://tansu.db" \
  >"$work/tansu.log" 2>&1) &
tansu_pid=$!
wait_port "$kport" 60
"$traffic" --mode seed --bootstrap-servers "127.0.0.1:$kport"
echo "$kport" > "$here/.broker-port"
"$bin" --bootstrap-servers "127.0.0.1:$kport" --cluster-name e2e --poll-interval 1s --status-window 5s \
  --listen "127.0.0.1:$port" --store-url "sqlite://$work/kafscope.db" &
kafscope_pid=$!
wait "$kafscope_pid"
