#!/usr/bin/env bash
# npm run bench: the benchmark harness (see docs/benchmarks.md).
# Settings through the environment: BENCH_RUNS (3), BENCH_SCALE (1), BENCH_DRIVERS
# (memory,sqlite,postgres,indexeddb,redis,file), BENCH_WORKLOADS (w1,w2,batch,w3,w4,w5), BENCH_MEMORY=0.
set -euo pipefail
cd "$(dirname "$0")/.."

source scripts/lib.sh
ensure_npm_deps

# The Postgres and Redis drivers are benched on real servers the runner starts and stops
# (PostgreSQL with fsync on; redis-server with AOF, appendfsync everysec). Install a server
# when its driver is selected and present; when that is not possible the runner skips the
# driver with a note.
wants() {
  [ -f "drivers/$1.ts" ] || return 1
  [ -z "${BENCH_DRIVERS:-}" ] && return 0
  case ",${BENCH_DRIVERS}," in *,"$1",*) return 0 ;; *) return 1 ;; esac
}
if wants postgres; then
  ensure_debian_packages postgresql || echo "bench: without PostgreSQL the postgres driver will be skipped" >&2
fi
if wants redis; then
  ensure_debian_packages redis-server || echo "bench: without redis-server the redis driver will be skipped" >&2
fi

exec node --import tsx bench/run.ts
