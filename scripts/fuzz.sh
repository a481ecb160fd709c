#!/usr/bin/env bash
# Runs every libFuzzer target built in $1 for FUZZ_SECONDS each, seeded from the
# project's seed corpora (tests/fuzz/corpus/<target>) and ../shared/corpus.
set -euo pipefail
build=${1:-build-fuzz}
secs=${FUZZ_SECONDS:-60}
top=$(cd "$(dirname "$0")/.." && pwd)
shopt -s nullglob
targets=("$build"/tests/fuzz/fuzz_*)
[ ${#targets[@]} -eq 0 ] && { echo "fuzz: no targets built"; exit 0; }
for t in "${targets[@]}"; do
  name=$(basename "$t")
  work=$(mktemp -d)
  seeds=()
  [ -d "$top/tests/fuzz/corpus/$name" ] && seeds+=("$top/tests/fuzz/corpus/$name")
  dict=()
  [ -f "$top/tests/fuzz/sip.dict" ] && dict=(-dict="$top/tests/fuzz/sip.dict")
  echo "fuzz: $name for ${secs}s"
  "$t" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 "${dict[@]}" "$work" "${seeds[@]}" \
    > "$work.log" 2>&1 || { tail -50 "$work.log"; echo "fuzz: $name FAILED"; exit 1; }
  tail -2 "$work.log"
  rm -rf "$work" "$work.log"
done
echo "fuzz: all targets passed"
