#!/usr/bin/env bash
# The whole test suite: install dependencies, type-check, check for import cycles,
# build dist/batou, run `bun test`,
# and end with one "N passed, N failed" line.
set -uo pipefail
cd "$(dirname "$0")/.."
bun install --frozen-lockfile >/dev/null || exit 1
bun run typecheck >/dev/null || { bun run typecheck; echo "0 passed, type check failed"; exit 1; }
bun scripts/check-cycles.ts || { echo "0 passed, import cycle check failed"; exit 1; }
bun run build >/dev/null || exit 1
log=$(mktemp)
bun test --timeout 120000 "$@" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
passed=$(grep -Eo '^ *[0-9]+ pass$' "$log" | tail -1 | grep -Eo '[0-9]+' || echo 0)
failed=$(grep -Eo '^ *[0-9]+ fail$' "$log" | tail -1 | grep -Eo '[0-9]+' || echo 0)
rm -f "$log"
echo "${passed} passed, ${failed} failed"
if [ "$passed" = 0 ]; then exit 1; fi
exit "$status"
