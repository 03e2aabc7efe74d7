#!/usr/bin/env bash
# Build the WASM front end and place it in target/{debug,release}/web, next to the
# `kafscope` binaries that serve it: optimised for size (wasm-opt from Debian's binaryen),
# every file but index.html under a name that carries its content hash (served with a
# year-long immutable cache), and each precompressed as .br and .gz (served by
# Accept-Encoding). `scripts/web-budget.sh` checks what the first page then weighs.
source "$(dirname "$0")/lib.sh"
ensure_rust_targets
ensure_wasm_bindgen
ensure_debs binaryen brotli
say "building the front end (wasm32)"
cargo build --manifest-path "$ROOT/Cargo.toml" -p kafscope-frontend \
  --target wasm32-unknown-unknown --profile wasm-release
dist="$TARGET_DIR/web-dist"
rm -rf "$dist" && mkdir -p "$dist/pkg"
say "optimising the WASM for size (wasm-opt $(wasm-opt --version | awk '{print $3}'))"
# Before wasm-bindgen: Debian's wasm-opt (108) breaks the table of JavaScript references
# wasm-bindgen adds (the page fails with "WebAssembly.Table.set(): Argument 1 is invalid").
# The features are those rustc's wasm32 target emits (its target_features section):
# wasm-opt must neither refuse them nor add any a browser might lack.
opt="$(mktemp -d)"
wasm-opt -Oz --strip-debug --strip-producers \
  --enable-bulk-memory --enable-multivalue --enable-mutable-globals \
  --enable-nontrapping-float-to-int --enable-reference-types --enable-sign-ext \
  "$TARGET_DIR/wasm32-unknown-unknown/wasm-release/kafscope_frontend.wasm" \
  -o "$opt/kafscope_frontend.wasm"
wasm-bindgen --target web --no-typescript --out-dir "$dist/pkg" "$opt/kafscope_frontend.wasm"
rm -rf "$opt"
cp -r "$ROOT"/assets/* "$dist/"
# Widgets' files are compiled into the server; the directory is not served from here.
rm -rf "$dist/embed"
# uPlot, from the npm registry at the version frontend/js/package.json pins.
if [ ! -f "$ROOT/frontend/js/node_modules/uplot/dist/uPlot.iife.min.js" ]; then
  say "installing the front end's JavaScript dependencies (npm)"
  npm ci --prefix "$ROOT/frontend/js" --no-audit --no-fund
fi
mkdir -p "$dist/vendor"
cp "$ROOT/frontend/js/node_modules/uplot/dist/uPlot.iife.min.js" \
   "$ROOT/frontend/js/node_modules/uplot/dist/uPlot.min.css" "$dist/vendor/"

# Give `path` (relative to $dist) a name with its content hash and write the new name into
# each of the files that follow, where it appears in quotes.
hash_name() {
  local path="$1"; shift
  local h dir base stem ext new f text from to
  h="$(sha256sum "$dist/$path" | cut -c1-12)"
  dir="$(dirname "$path")"; base="$(basename "$path")"
  stem="${base%.*}"; ext="${base##*.}"
  new="$stem.$h.$ext"
  [ "$dir" = . ] || new="$dir/$new"
  mv "$dist/$path" "$dist/$new"
  for f in "$@"; do
    text="$(<"$dist/$f")"
    for from in "\"$path\"" "\"./$path\""; do
      to="${from/$path/$new}"
      text="${text//"$from"/"$to"}"
    done
    printf '%s\n' "$text" >"$dist/$f"
  done
}
# Leaves first: a file's hash covers the hashed names it refers to.
hash_name pkg/kafscope_frontend_bg.wasm boot.js index.html
hash_name pkg/kafscope_frontend.js boot.js index.html
hash_name vendor/uPlot.iife.min.js chart.js
for f in boot.js chart.js theme.js responsive.js style.css favicon.svg vendor/uPlot.min.css; do
  hash_name "$f" index.html
done
for f in $(find "$dist" -type f ! -name index.html); do
  brotli -q 11 -f -o "$f.br" "$f"
  gzip -9 -n -k -f "$f"
done

for profile in "$@"; do
  mkdir -p "$TARGET_DIR/$profile"
  rm -rf "$TARGET_DIR/$profile/web"
  cp -r "$dist" "$TARGET_DIR/$profile/web"
done
wasm="$(ls "$dist"/pkg/*.wasm)"
say "front end: $(du -h "$wasm" | cut -f1) of WASM, $(du -h "$wasm.br" | cut -f1) with brotli, in $dist"
