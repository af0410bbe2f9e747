#!/usr/bin/env bash
# Runs the director console's browser test: a fresh database with a demo dealer, yesterday's
# recorded calls of agent1 and agent2 (WAV files in a temporary directory), `huifang serve`
# on a free loopback port (started by the test), Debian's Chromium driven by playwright-core.
#
# Needs what run.sh needs: Postgres, chromium, node and npm, and bin/huifang (or HUIFANG_BIN).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
cd "$here"

bin="${HUIFANG_BIN:-$root/bin/huifang}"
if [ ! -x "$bin" ]; then
  (cd "$root" && go build -o bin/huifang ./cmd/huifang)
  bin="$root/bin/huifang"
fi
if [ -n "${E2E_DATABASE_BASE:-}" ]; then
  base_url="$E2E_DATABASE_BASE"
elif [ -n "${DATABASE_URL:-}" ]; then
  base_url="${DATABASE_URL%%\?*}"
  base_url="${base_url%/*}"
else
  base_url="postgres://postgres:postgres@127.0.0.1:5432"
fi
db="huifang_e2e_dir_$$_$(date +%s)"
rec="$(mktemp -d)"
export DATABASE_URL="$base_url/$db?sslmode=disable"
export REDIS_URL="${E2E_REDIS_URL:-redis://127.0.0.1:6379/12}"
# The run owns this Redis database: what an earlier run left there (agents' console
# states, Asynq tasks) is not this run's.
redis-cli -u "$REDIS_URL" FLUSHDB >/dev/null
export E2E_PASSWORD="e2e-pass-123"
export HUIFANG_BIN="$bin"
export HUIFANG_RECORDINGS_DIR="$rec"
cleanup() {
  psql "$base_url/postgres?sslmode=disable" -qAtc "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1 || true
  rm -rf "$rec"
}
trap cleanup EXIT

"$bin" migrate >/dev/null
"$bin" demo --dealer E2E --customers 120 --password "$E2E_PASSWORD" >/dev/null

# A 6-second 8 kHz mono WAV (a 440 Hz tone) for every call.
node -e '
const rate = 8000, secs = 6, n = rate * secs, b = Buffer.alloc(44 + n * 2);
b.write("RIFF", 0); b.writeUInt32LE(36 + n * 2, 4); b.write("WAVEfmt ", 8); b.writeUInt32LE(16, 16);
b.writeUInt16LE(1, 20); b.writeUInt16LE(1, 22); b.writeUInt32LE(rate, 24); b.writeUInt32LE(rate * 2, 28);
b.writeUInt16LE(2, 32); b.writeUInt16LE(16, 34); b.write("data", 36); b.writeUInt32LE(n * 2, 40);
for (let i = 0; i < n; i++) b.writeInt16LE(Math.round(8000 * Math.sin(2 * Math.PI * 440 * i / rate)), 44 + i * 2);
require("fs").writeFileSync(process.argv[1], b);' "$rec/tone.wav"

# Yesterday (dealer time), agent1 made six recorded calls and agent2 two.
yesterday="$(TZ=Asia/Shanghai date -d yesterday +%F)"
for i in $(seq 1 8); do cp "$rec/tone.wav" "$rec/e2e-$i.wav"; done
psql "$DATABASE_URL" -qAt -v ON_ERROR_STOP=1 -v day="$yesterday" -v dir="$rec" <<'SQL'
INSERT INTO call_attempts (dealer_id, task_id, customer_id, agent_user_id, call_id, to_number, invite_at, answer_at, end_at,
                           sip_status, outcome, hangup_by, recording_path)
SELECT t.dealer_id, t.id, t.customer_id, u.id, 'e2e-' || n, c.phone, at, at + interval '5 seconds', at + interval '65 seconds',
       200, 'answered', 'customer', :'dir' || '/e2e-' || n || '.wav'
FROM (SELECT row_number() OVER (ORDER BY id) AS n, * FROM call_tasks WHERE dealer_id = (SELECT id FROM dealers WHERE code = 'E2E') ORDER BY id LIMIT 8) t
JOIN customers c ON c.id = t.customer_id
JOIN users u ON u.dealer_id = t.dealer_id AND u.username = CASE WHEN t.n <= 6 THEN 'agent1' ELSE 'agent2' END
CROSS JOIN LATERAL (SELECT (:'day' || ' 10:00:00+08')::timestamptz + t.n * interval '7 minutes' AS at) x;
INSERT INTO call_outcomes (dealer_id, client_id, task_id, attempt_id, agent_user_id, code, answers, notes, script_version, created_at)
SELECT a.dealer_id, 'e2e-o-' || a.id, a.task_id, a.id, a.agent_user_id, 'reached', '{"satisfaction": 5}', '客户满意', 'maintenance@1', a.end_at
FROM call_attempts a WHERE a.call_id LIKE 'e2e-%';
SQL

if [ ! -d node_modules/playwright-core ]; then
  npm ci --no-audit --no-fund
fi
# E2E_ONLY=<pattern> runs only the tests whose name matches.
E2E_DAY="$yesterday" node --test --test-concurrency=1 ${E2E_ONLY:+--test-name-pattern="$E2E_ONLY"} director.test.mjs
