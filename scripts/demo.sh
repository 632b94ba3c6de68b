#!/usr/bin/env bash
# npm run demo: the durable-agent demo (examples/demo/main.ts; `npm run demo -- --help`).
# Works from a clean clone: installs the npm dependencies when node_modules is missing or
# older than package-lock.json (scripts/lib.sh). The demo starts the bundled runtime itself
# and stops everything it started, also on failure or Ctrl-C (the node process handles
# SIGINT/SIGTERM; it replaces this shell, so signals reach it).
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

source scripts/lib.sh
ensure_npm_deps

exec node --import tsx examples/demo/main.ts "$@"
