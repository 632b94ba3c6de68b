#!/usr/bin/env bash
# The test command of README.md: installs what the suites need, then typechecks and runs
# every suite (unit, driver conformance, the real runtime, PostgreSQL, Redis, Chromium), or
# the test files given as arguments (passed to vitest). PostgreSQL and Redis are started (and
# stopped) by the test run itself, on loopback ports.
set -euo pipefail
cd "$(dirname "$0")/.."

source scripts/lib.sh

ensure_npm_deps
# PostgreSQL and Redis server binaries, and Debian's Chromium for the browser suite.
ensure_debian_packages postgresql redis-server chromium

echo "== typecheck"
npx tsc --noEmit -p tsconfig.json

echo "== build (ESM + CJS + declarations)"
npx tsup --silent

echo "== tests"
npx vitest run "$@"
