#!/usr/bin/env bash
# The front end's size budget: what a browser downloads for the first page (index.html and
# every file it links, preloads or runs, as the brotli files the server sends), against a
# budget of 500 KB. Fails above it. scripts/test.sh runs it after building the front end;
# playwright/tests/budget.spec.ts measures the same in Chromium.
# Usage: scripts/web-budget.sh [web directory (default target/web-dist)] [budget in bytes]
source "$(dirname "$0")/lib.sh"
dir="${1:-$TARGET_DIR/web-dist}"
budget="${2:-500000}"
[ -f "$dir/index.html" ] || { echo "no built front end in $dir (run scripts/build-web.sh)" >&2; exit 2; }
total="$(brotli -q 11 -c "$dir/index.html" | wc -c)"
printf '%9d  %s\n' "$total" "index.html"
mapfile -t files < <(grep -oE '(src|href)="[^"]+"' "$dir/index.html" | sed -E 's/^[a-z]+="//; s/"$//' |
  grep -v '%BASE' | sort -u)
for f in "${files[@]}"; do
  if [ ! -f "$dir/$f" ]; then
    echo "index.html names $f, which the build does not have" >&2
    exit 1
  fi
  if [ -f "$dir/$f.br" ]; then size="$(wc -c <"$dir/$f.br")"; else size="$(wc -c <"$dir/$f")"; fi
  printf '%9d  %s\n' "$size" "$f"
  total=$((total + size))
done
printf '%9d  first page in all (budget %d)\n' "$total" "$budget"
if [ "$total" -gt "$budget" ]; then
  echo "the first page weighs $total bytes compressed, over the budget of $budget" >&2
  exit 1
fi
