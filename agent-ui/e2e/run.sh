#!/usr/bin/env bash
# Runs the agent console's browser tests: a fresh database with a demo dealer and its
# queue, `huifang serve` on a free loopback port (started by the test), Debian's Chromium
# driven by playwright-core. Screenshots and the server log go to agent-ui/e2e/artifacts.
#
# Needs: Postgres and Redis on localhost (.ci/services.sh), chromium, node and npm
# (.ci/test-tools.sh), and bin/huifang (make build) or HUIFANG_BIN.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
cd "$here"

bin="${HUIFANG_BIN:-$root/bin/huifang}"
if [ ! -x "$bin" ]; then
  (cd "$root" && go build -o bin/huifang ./cmd/huifang)
  bin="$root/bin/huifang"
fi

# A database of its own, dropped at the end.
# The server of DATABASE_URL (the Makefile's), or E2E_DATABASE_BASE, or the local default.
if [ -n "${E2E_DATABASE_BASE:-}" ]; then
  base_url="$E2E_DATABASE_BASE"
elif [ -n "${DATABASE_URL:-}" ]; then
  base_url="${DATABASE_URL%%\?*}"
  base_url="${base_url%/*}"
else
  base_url="postgres://postgres:postgres@127.0.0.1:5432"
fi
db="huifang_e2e_$$_$(date +%s)"
export DATABASE_URL="$base_url/$db?sslmode=disable"
export REDIS_URL="${E2E_REDIS_URL:-redis://127.0.0.1:6379/11}"
# The run owns this Redis database: what an earlier run left there (agents' console
# states, Asynq tasks) is not this run's.
redis-cli -u "$REDIS_URL" FLUSHDB >/dev/null
export E2E_PASSWORD="e2e-pass-123"
export HUIFANG_BIN="$bin"
cleanup() {
  psql "$base_url/postgres?sslmode=disable" -qAtc "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1 || true
}
trap cleanup EXIT

"$bin" migrate >/dev/null
"$bin" demo --dealer E2E --customers 300 --password "$E2E_PASSWORD" >/dev/null
# Calls may be placed at any hour in the test, on any day.
psql "$DATABASE_URL" -qAtc "UPDATE dealers SET call_window_start = '00:00', call_window_end = '23:59:59', same_day_window_end = '23:59:59' WHERE code = 'E2E'; DELETE FROM dealer_holidays;"
open_tasks="$(psql "$DATABASE_URL" -qAtc "SELECT count(*) FROM call_tasks WHERE status = 'open'")"
if [ "$open_tasks" -lt 3 ]; then
  echo "e2e: the demo dealer has only $open_tasks open tasks; the queue was not built" >&2
  exit 1
fi

if [ ! -d node_modules/playwright-core ]; then
  npm ci --no-audit --no-fund
fi
# Extra arguments go to node, such as --test-name-pattern=pause.
node --test --test-concurrency=1 "$@" "${E2E_TEST:-console.test.mjs}"
