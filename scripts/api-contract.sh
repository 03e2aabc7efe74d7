#!/usr/bin/env bash
# The API against its own OpenAPI document: schemathesis (a property-based API tester, from
# PyPI) generates requests for every operation from /api/v1/openapi.json and checks that no
# answer is a 5xx, and that every status, content type and body is one the document states.
# Runs against a real broker (tansu) with live demo traffic and the debug build; part of the
# test command (scripts/test.sh). Usage: scripts/api-contract.sh [max examples per operation]
source "$(dirname "$0")/lib.sh"
ensure_tansu
SCHEMATHESIS_VERSION="4.32.5"
SPEC_VALIDATOR_VERSION="0.9.0"
examples="${1:-25}"

venv="$TARGET_DIR/schemathesis"
if ! "$venv/bin/st" --version 2>/dev/null | grep -q "$SCHEMATHESIS_VERSION" ||
  ! "$venv/bin/python" -c "import openapi_spec_validator" 2>/dev/null; then
  say "installing schemathesis $SCHEMATHESIS_VERSION and openapi-spec-validator into $venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q "schemathesis==$SCHEMATHESIS_VERSION" \
    "openapi-spec-validator==$SPEC_VALIDATOR_VERSION"
fi
bin="$TARGET_DIR/debug"
[ -x "$bin/kafscope" ] && [ -x "$bin/kafscope-demo-traffic" ] ||
  cargo build --manifest-path "$ROOT/Cargo.toml" -p kafscope --bins

work="$(mktemp -d)"
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT INT TERM

start_demo_stack "$bin" contract "$work"

cat >"$work/schemathesis.toml" <<TOML
[parameters]
"path.cluster" = "demo"
"path.topic" = "orders"
"path.group" = "orders-processor"
TOML
say "the OpenAPI document against the OpenAPI 3.1 specification (openapi-spec-validator)"
curl -sf "$CONSOLE/api/v1/openapi.json" -o "$work/openapi.json"
"$venv/bin/openapi-spec-validator" "$work/openapi.json"
say "schemathesis: $examples examples per operation against the OpenAPI document"
cd "$work"
# Event streams never end by design; they are checked by the Rust and browser tests. One
# worker: with several, hypothesis describes its strategies from threads, and CPython 3.11's
# parser then fails now and then ("AST constructor recursion depth mismatch").
"$venv/bin/st" run "$CONSOLE/api/v1/openapi.json" \
  -H "Authorization: Bearer contract" \
  --checks not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance \
  --max-examples "$examples" --workers 1 --request-timeout 20 \
  --exclude-path-regex '/events$|/messages/stream$' --no-color || {
  say "the API broke its contract; the console's log follows"
  tail -50 "$work/kafscope.log"
  exit 1
}
