#!/usr/bin/env bash
# The README's first command: build everything, start a real Kafka-protocol broker (tansu)
# with live traffic, and start Kafscope on http://127.0.0.1:${KAFSCOPE_PORT:-8080}.
source "$(dirname "$0")/lib.sh"
ensure_debs build-essential pkg-config libssl-dev python3
ensure_node
ensure_tansu
"$ROOT/scripts/build-web.sh" release
say "building kafscope (release)"
cargo build --manifest-path "$ROOT/Cargo.toml" --release -p kafscope --bins

demo="$ROOT/.demo"
# Every run starts from an empty broker and store: the traffic seeds known states (a caught-up
# group on an idle topic, …) that a second seeding on top of old data would not give.
rm -rf "$demo"
mkdir -p "$demo"
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT INT TERM

say "starting tansu (data in .demo/)"
start_tansu "$demo"
port="$TANSU_PORT"

say "starting demo traffic (producers, a healthy, a lagging and a stopped consumer group)"
"$TARGET_DIR/release/kafscope-demo-traffic" --bootstrap-servers "127.0.0.1:$port" >"$demo/traffic.log" 2>&1 &
pids+=($!)

listen="127.0.0.1:${KAFSCOPE_PORT:-8080}"
say "Kafscope on http://$listen  (Ctrl-C stops everything)"
"$TARGET_DIR/release/kafscope" --bootstrap-servers "127.0.0.1:$port" --cluster-name demo \
  --poll-interval 2s --status-window 2m --listen "$listen" --store-url "sqlite://$demo/kafscope.db"
