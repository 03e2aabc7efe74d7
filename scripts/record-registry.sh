#!/usr/bin/env bash
# Record the Schema Registry fixtures again from a real registry (CI replays them; see
# server/tests/common/recorded_registry.rs). Each recording needs a fresh, empty registry
# (Karapace or Confluent) whose URL is given:
#   scripts/record-registry.sh api http://127.0.0.1:8081   # server/tests/schema_registry.rs → karapace.json
#   scripts/record-registry.sh ui  http://127.0.0.1:8082   # playwright/tests/schemas.spec.ts → karapace-ui.json
# The fixtures were recorded from Karapace 6.2.0 run from its public sources on tansu (see
# docs/design.md, "Schema Registry").
source "$(dirname "$0")/lib.sh"
what="${1:?api or ui}"
url="${2:?the URL of a fresh registry}"
subjects="$(curl -fsS "$url/subjects")" || { echo "cannot reach a registry at $url" >&2; exit 1; }
[ "$subjects" = "[]" ] || { echo "$url is not an empty registry (subjects: $subjects)" >&2; exit 1; }
ensure_tansu
ensure_python_client
export KAFSCOPE_TEST_REGISTRY="$url"
case "$what" in
  api)
    cargo test --manifest-path "$ROOT/Cargo.toml" -p kafscope --test schema_registry \
      subjects_are_registered_compared_decoded_and_deleted_through_a_real_registry ;;
  ui)
    cargo build --manifest-path "$ROOT/Cargo.toml" -p kafscope --bins --example scripted_kraft --example registry_replay
    "$ROOT/scripts/build-web.sh" debug
    cd "$ROOT/playwright"
    KAFSCOPE_BIN="$TARGET_DIR/debug/kafscope" \
    KAFSCOPE_TRAFFIC_BIN="$TARGET_DIR/debug/kafscope-demo-traffic" \
    KAFSCOPE_KRAFT_BIN="$TARGET_DIR/debug/examples/scripted_kraft" \
    KAFSCOPE_REGISTRY_BIN="$TARGET_DIR/debug/examples/registry_replay" \
      npx playwright test tests/schemas.spec.ts ;;
  *) echo "api or ui" >&2; exit 2 ;;
esac
