#!/usr/bin/env bash
# npm run bench: the benchmark harness (see docs/benchmarks.md).
# Settings through the environment: BENCH_RUNS (3), BENCH_SCALE (1), BENCH_DRIVERS
# (memory,sqlite,postgres,indexeddb,redis,file), BENCH_WORKLOADS (w1,w2,batch,w3,w4,w5), BENCH_MEMORY=0.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ ! -d node_modules ]; then
  echo "bench: installing dependencies (npm ci)"
  npm ci
fi

# The Postgres driver is benched on a real server the runner starts (fsync on) and stops;
# install PostgreSQL when that driver is selected and present but the server is not.
wants_postgres() {
  [ -f drivers/postgres.ts ] || return 1
  [ -z "${BENCH_DRIVERS:-}" ] && return 0
  case ",${BENCH_DRIVERS}," in *,postgres,*) return 0 ;; *) return 1 ;; esac
}
if wants_postgres && ! ls -d /usr/lib/postgresql/*/bin >/dev/null 2>&1; then
  echo "bench: installing PostgreSQL for the postgres driver"
  if [ "$(id -u)" = 0 ]; then
    apt-get install -y postgresql >/dev/null || echo "bench: PostgreSQL install failed; the postgres driver will be skipped"
  else
    echo "bench: not root, cannot install PostgreSQL; the postgres driver will be skipped"
  fi
fi

# The Redis driver likewise, on a redis-server the runner starts (AOF, appendfsync everysec).
wants_redis() {
  [ -f drivers/redis.ts ] || return 1
  [ -z "${BENCH_DRIVERS:-}" ] && return 0
  case ",${BENCH_DRIVERS}," in *,redis,*) return 0 ;; *) return 1 ;; esac
}
if wants_redis && [ ! -x /usr/bin/redis-server ]; then
  echo "bench: installing redis-server for the redis driver"
  if [ "$(id -u)" = 0 ]; then
    apt-get install -y redis-server >/dev/null || echo "bench: redis-server install failed; the redis driver will be skipped"
  else
    echo "bench: not root, cannot install redis-server; the redis driver will be skipped"
  fi
fi

exec node --import tsx bench/run.ts
