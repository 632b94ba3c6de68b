#!/usr/bin/env bash
# The test command of README.md: installs what the suites need, then typechecks and runs
# every suite (unit, driver conformance, the real runtime, PostgreSQL, Chromium).
# PostgreSQL is started (and stopped) by the test run itself, on a loopback port.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "== installing npm dependencies (npm ci)"
  npm ci --no-audit --no-fund
fi

# System packages: PostgreSQL server binaries and Debian's Chromium for the browser suite.
need=()
ls -d /usr/lib/postgresql/*/bin >/dev/null 2>&1 || need+=(postgresql)
[ -x /usr/bin/redis-server ] || need+=(redis-server)
[ -x /usr/bin/chromium ] || need+=(chromium)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "missing system packages: ${need[*]} (install them, e.g. apt-get install -y ${need[*]}, then re-run)" >&2
    exit 1
  fi
  echo "== installing system packages: ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y --no-install-recommends "${need[@]}" >/dev/null ||
    { apt-get update -qq && apt-get install -y --no-install-recommends "${need[@]}" >/dev/null; }
fi

echo "== typecheck"
npx tsc --noEmit -p tsconfig.json

echo "== build (ESM + CJS + declarations)"
npx tsup --silent

echo "== tests"
npx vitest run "$@"
