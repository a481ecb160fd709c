#!/usr/bin/env bash
# CI check: regenerating every generated file from its data gives no diff.
set -euo pipefail
cd "$(dirname "$0")/.."
shopt -s nullglob
gens=(scripts/gen_*.py)
[ ${#gens[@]} -eq 0 ] && { echo "check-gen: no generators"; exit 0; }
for g in "${gens[@]}"; do python3 "$g"; done
if ! git diff --exit-code --stat -- src include; then
  echo "check-gen: generated files differ from their data: run 'make gen' and commit" >&2
  exit 1
fi
echo "check-gen: generated files are up to date"
