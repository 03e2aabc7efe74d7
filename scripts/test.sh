#!/usr/bin/env bash
# The README's second command: install what the tests need (skipping what is there) and run
# every test: Rust unit and integration tests against a real tansu broker, then Playwright
# in Debian's Chromium against the real server.
source "$(dirname "$0")/lib.sh"
# openjdk + libjolokia-core-java: a test JVM serving real Jolokia answers (tests/jolokia/);
# prometheus-alertmanager: the real Alertmanager the alert tests push to.
ensure_debs build-essential pkg-config libssl-dev python3 python3-venv chromium openjdk-17-jdk-headless libjolokia-core-java prometheus-alertmanager
ensure_node
ensure_tansu
ensure_python_client
ensure_rust_targets

say "Rust tests (unit + integration against tansu)"
cargo test --manifest-path "$ROOT/Cargo.toml" --workspace --exclude kafscope-frontend

"$ROOT/scripts/build-web.sh" debug
say "the front end's size budget (first page, compressed)"
"$ROOT/scripts/web-budget.sh"
cargo build --manifest-path "$ROOT/Cargo.toml" -p kafscope --bins --example scripted_kraft --example registry_replay

say "the API against its OpenAPI document (schemathesis)"
"$ROOT/scripts/api-contract.sh" 25

say "browser tests (Playwright, Debian Chromium)"
cd "$ROOT/playwright"
if [ ! -d node_modules/@playwright/test ]; then
  npm ci --no-audit --no-fund
fi
KAFSCOPE_BIN="$TARGET_DIR/debug/kafscope" \
KAFSCOPE_TRAFFIC_BIN="$TARGET_DIR/debug/kafscope-demo-traffic" \
KAFSCOPE_KRAFT_BIN="$TARGET_DIR/debug/examples/scripted_kraft" \
KAFSCOPE_REGISTRY_BIN="$TARGET_DIR/debug/examples/registry_replay" \
  npx playwright test
