#!/usr/bin/env bash
# Build the WASM front end and place it in target/{debug,release}/web, next to the
# `kafscope` binaries that serve it.
source "$(dirname "$0")/lib.sh"
ensure_rust_targets
ensure_wasm_bindgen
say "building the front end (wasm32)"
cargo build --manifest-path "$ROOT/Cargo.toml" -p kafscope-frontend \
  --target wasm32-unknown-unknown --profile wasm-release
dist="$TARGET_DIR/web-dist"
rm -rf "$dist" && mkdir -p "$dist/pkg"
wasm-bindgen --target web --no-typescript --out-dir "$dist/pkg" \
  "$TARGET_DIR/wasm32-unknown-unknown/wasm-release/kafscope_frontend.wasm"
cp "$ROOT"/assets/* "$dist/"
# uPlot, from the npm registry at the version frontend/js/package.json pins.
if [ ! -f "$ROOT/frontend/js/node_modules/uplot/dist/uPlot.iife.min.js" ]; then
  say "installing the front end's JavaScript dependencies (npm)"
  npm ci --prefix "$ROOT/frontend/js" --no-audit --no-fund
fi
mkdir -p "$dist/vendor"
cp "$ROOT/frontend/js/node_modules/uplot/dist/uPlot.iife.min.js" \
   "$ROOT/frontend/js/node_modules/uplot/dist/uPlot.min.css" "$dist/vendor/"
for profile in "$@"; do
  mkdir -p "$TARGET_DIR/$profile"
  rm -rf "$TARGET_DIR/$profile/web"
  cp -r "$dist" "$TARGET_DIR/$profile/web"
done
say "front end: $(du -h "$dist/pkg/kafscope_frontend_bg.wasm" | cut -f1) of WASM in $dist"
