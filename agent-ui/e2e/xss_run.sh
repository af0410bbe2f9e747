#!/usr/bin/env bash
# Runs the XSS check in a real browser (make security): a fresh database with a demo
# dealer whose customer names, call notes and SMS templates hold script payloads, then
# xss.test.mjs opens the pages that show them, as a director and as an agent, in
# Debian's Chromium and checks that no payload runs.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
cd "$here"
bin="${HUIFANG_BIN:-$root/bin/huifang}"
if [ ! -x "$bin" ]; then
  (cd "$root" && go build -o bin/huifang ./cmd/huifang)
  bin="$root/bin/huifang"
fi
base_url="${E2E_DATABASE_BASE:-postgres://postgres:postgres@127.0.0.1:5432}"
db="huifang_e2e_xss_$$_$(date +%s)"
rec="$(mktemp -d)"
export DATABASE_URL="$base_url/$db?sslmode=disable"
export E2E_PASSWORD="$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')"
export HUIFANG_BIN="$bin" HUIFANG_RECORDINGS_DIR="$rec"
# A Redis database leased the way the tests lease theirs.
rdb=
for n in $(seq 1 15); do
  if [ "$(redis-cli SET "huifang:test:redis-lease:$n" "xss-$$" NX EX 3600)" = OK ]; then rdb=$n; break; fi
done
[ -n "$rdb" ] || { echo "no free Redis database" >&2; exit 1; }
export REDIS_URL="redis://127.0.0.1:6379/$rdb"
cleanup() {
  psql "$base_url/postgres?sslmode=disable" -qAtc "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1 || true
  redis-cli -n "$rdb" FLUSHDB >/dev/null; redis-cli DEL "huifang:test:redis-lease:$rdb" >/dev/null
  rm -rf "$rec"
}
trap cleanup EXIT
"$bin" migrate >/dev/null
"$bin" demo --dealer E2E --customers 120 --password "$E2E_PASSWORD" --history-days 3 >/dev/null
payload='"><img src=x onerror="window.__xss=(window.__xss||0)+1"><script>window.__xss=(window.__xss||0)+1</script><svg onload="window.__xss=1">'
psql "$DATABASE_URL" -qAt -v ON_ERROR_STOP=1 -v p="$payload" <<'SQL'
UPDATE customers SET name = :'p' || name WHERE dealer_id = (SELECT id FROM dealers WHERE code = 'E2E');
UPDATE call_outcomes SET notes = :'p' WHERE dealer_id = (SELECT id FROM dealers WHERE code = 'E2E');
INSERT INTO sms_templates (dealer_id, code, kind, title, body)
SELECT id, 'xss_check', 'marketing', :'p', '您好{customer}' || :'p' FROM dealers WHERE code = 'E2E';
SQL
# Every kind of payload must be on the page data, or the check proves nothing.
counts="$(psql "$DATABASE_URL" -qAt -v p="$payload" <<'SQL'
SELECT (SELECT count(*) FROM customers WHERE name LIKE :'p' || '%') || ' ' ||
       (SELECT count(*) FROM call_outcomes WHERE notes = :'p') || ' ' ||
       (SELECT count(*) FROM sms_templates WHERE title = :'p');
SQL
)"
echo "xss: payloads in customers, call notes, SMS templates: $counts"
case " $counts " in *" 0 "*) echo "xss: a kind of payload is missing from the data" >&2; exit 1;; esac
export E2E_CUSTOMER="$(psql "$DATABASE_URL" -qAtc "SELECT id FROM customers WHERE dealer_id = (SELECT id FROM dealers WHERE code = 'E2E') ORDER BY id LIMIT 1")"
export E2E_FROM="$(TZ=Asia/Shanghai date -d '-4 days' +%F)" E2E_TO="$(TZ=Asia/Shanghai date +%F)"
if [ ! -d node_modules/playwright-core ]; then npm ci --no-audit --no-fund; fi
node --test --test-concurrency=1 xss.test.mjs
