#!/usr/bin/env bash
# Coverage-guided fuzzing of every parser that takes outside bytes (kafscope::fuzz_targets)
# with AFL++ through cargo-afl, each target for a given time, seeded from fuzz/seeds/<target>
# (recorded fixtures and hand-made inputs) and fuzz/regressions/<target>. Every crash or hang
# found is copied to fuzz/regressions/<target>/, where server/tests/fuzz_regressions.rs
# replays it in CI once fixed.
# Usage: scripts/fuzz.sh [seconds per target (default 600)] [target ...]
source "$(dirname "$0")/lib.sh"
seconds="${1:-600}"
shift || true
CARGO_AFL_VERSION="0.18.2"
if ! cargo afl --version 2>/dev/null | grep -q "$CARGO_AFL_VERSION"; then
  say "installing cargo-afl $CARGO_AFL_VERSION (builds AFL++ from the sources it carries)"
  cargo install cargo-afl --locked --version "$CARGO_AFL_VERSION"
fi
# Builds AFL++ once per toolchain (cargo install may have done it already).
cargo afl config --build >/dev/null 2>&1 || true
fuzz="$ROOT/fuzz"
target_dir="${CARGO_TARGET_DIR:-$ROOT/target}/fuzz"
say "building the fuzz harness (instrumented)"
(cd "$fuzz" && CARGO_TARGET_DIR="$target_dir" cargo afl build --release)
bin="$target_dir/release/kafscope-fuzz"
targets=("$@")
if [ "${#targets[@]}" -eq 0 ]; then
  mapfile -t targets < <(ls "$fuzz/seeds"; echo kafka_answer)
fi
export AFL_SKIP_CPUFREQ=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 AFL_NO_UI=1 AFL_QUIET=1
status=0
for t in "${targets[@]}"; do
  out="$(mktemp -d)"
  in="$out/in"
  mkdir -p "$in"
  cp "$fuzz/seeds/$t"/* "$in"/ 2>/dev/null || true
  cp "$fuzz/regressions/$t"/* "$in"/ 2>/dev/null || true
  [ "$t" = kafka_answer ] && "$bin" --write-seeds "$in"
  [ -n "$(ls -A "$in")" ] || printf 'x' >"$in/empty"
  say "fuzzing $t for ${seconds}s"
  dict=()
  [ -f "$fuzz/dict/$t.dict" ] && dict=(-x "$fuzz/dict/$t.dict")
  # -m: a 2 GiB address-space cap, so a parser that reserves by a length it read aborts;
  # -t: a hang is an input that takes over 2 s.
  cargo afl fuzz -V "$seconds" -m 2048 -t 2000 "${dict[@]}" -i "$in" -o "$out/afl" \
    "$bin" "$t" >"$out/afl.log" 2>&1 || true
  found=0
  for kind in crashes hangs; do
    for f in "$out/afl/default/$kind"/id:*; do
      [ -e "$f" ] || continue
      mkdir -p "$fuzz/regressions/$t"
      cp "$f" "$fuzz/regressions/$t/$kind-$(sha256sum "$f" | cut -c1-16)"
      found=$((found + 1))
    done
  done
  stats="$out/afl/default/fuzzer_stats"
  if [ ! -f "$stats" ]; then
    echo "$t: AFL++ did not run; its log ends:" >&2
    tail -20 "$out/afl.log" >&2
    status=1
    continue
  fi
  execs="$(awk -F: '/execs_done/ {gsub(/ /, "", $2); print $2}' "$stats")"
  paths="$(awk -F: '/corpus_count/ {gsub(/ /, "", $2); print $2}' "$stats")"
  echo "$t: ${execs:-?} executions, ${paths:-?} inputs in the corpus, $found crashes or hangs"
  [ "$found" -eq 0 ] || status=1
  rm -rf "$out"
done
exit "$status"
