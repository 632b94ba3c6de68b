#!/usr/bin/env bash
# npm run demo: the durable-agent demo (examples/demo/main.ts; `npm run demo -- --help`).
# Works from a clean clone: installs the npm dependencies when node_modules is missing. The
# demo starts the bundled runtime itself and stops everything it started, also on failure or
# Ctrl-C (the node process handles SIGINT/SIGTERM; it replaces this shell, so signals reach it).
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v node >/dev/null 2>&1; then
  echo "demo: node is not installed (Node.js 20 or newer is needed)" >&2
  exit 1
fi
node_major=$(node -p 'process.versions.node.split(".")[0]')
if [ "$node_major" -lt 20 ]; then
  echo "demo: Node.js 20 or newer is needed (found $(node --version))" >&2
  exit 1
fi

if [ ! -d node_modules ]; then
  echo "demo: installing dependencies with npm ci (a few minutes the first time: better-sqlite3 may build from source)" >&2
  log=$(mktemp)
  if ! npm ci --no-audit --no-fund --loglevel=error >"$log" 2>&1; then
    cat "$log" >&2
    rm -f "$log"
    echo "demo: npm ci failed (output above)" >&2
    exit 1
  fi
  rm -f "$log"
fi

exec node --import tsx examples/demo/main.ts "$@"
