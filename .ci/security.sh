#!/usr/bin/env bash
# security.sh is `make security`: the slow web attacks, run by hand (not in CI). It starts
# Huifang on a private database and Redis database with a demo dealer and a second dealer,
# then:
#   1. sqlmap (level 2, risk 2) against the login form (each request from a random
#      X-Forwarded-For through a trusted proxy, so the login limiter does not hide an
#      injection), every director search and filter form with a logged-in director's
#      session, and the JSON API's query parameters with an API key;
#   2. the id sweep (another dealer's ids on every id route; the Go test);
#   3. XSS payloads in customer names, call notes and SMS templates, the pages that show
#      them opened in Chromium (agent-ui/e2e/xss_run.sh): no payload may run.
# Results go to var/security/ (sqlmap's logs); the summary is printed. SECURITY.md
# records the last run.
set -euo pipefail
cd "$(dirname "$0")/.."
out=var/security
rm -rf "$out" && mkdir -p "$out"
command -v sqlmap >/dev/null || { sudo() { "$@"; }; [ "$(id -u)" = 0 ] || sudo() { command sudo "$@"; }
	sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq sqlmap >/dev/null; }
go build -o "$out/huifang" ./cmd/huifang

db=huifang_security_$$
pg=${SECURITY_PG:-postgres://postgres@127.0.0.1:5432}
psql -q "$pg/postgres" -c "CREATE DATABASE $db"
# A Redis database leased the way the tests lease theirs (huifang:test:redis-lease:N).
rdb=
for n in $(seq 1 15); do
	if [ "$(redis-cli SET "huifang:test:redis-lease:$n" "security-$$" NX EX 3600)" = OK ]; then rdb=$n; break; fi
done
[ -n "$rdb" ] || { echo "no free Redis database" >&2; exit 1; }
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
base=http://127.0.0.1:$port
export DATABASE_URL="$pg/$db?sslmode=disable" REDIS_URL=redis://127.0.0.1:6379/$rdb HUIFANG_HTTP_ADDR=127.0.0.1:$port \
	HUIFANG_METRICS_ADDR=off HUIFANG_SMS_CALLBACK_ADDR=off HUIFANG_SIP_ADDR=127.0.0.1:0 HUIFANG_TRUSTED_PROXIES=127.0.0.1 \
	HUIFANG_RECORDINGS_DIR="$PWD/$out/recordings"
pw=$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')
cleanup() {
	[ -f "$out/serve.pid" ] && kill "$(cat "$out/serve.pid")" 2>/dev/null && sleep 1
	redis-cli -n "$rdb" FLUSHDB >/dev/null; redis-cli DEL "huifang:test:redis-lease:$rdb" >/dev/null
	psql -q "$pg/postgres" -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" || true
}
trap cleanup EXIT
"$out/huifang" migrate >/dev/null
"$out/huifang" demo --dealer DEMO --customers 300 --password "$pw" --history-days 1 >/dev/null
"$out/huifang" demo --dealer OTHER --customers 50 --password "$pw" --history-days 1 >/dev/null 2>&1 || true
key=$("$out/huifang" apikey create --dealer DEMO --name security --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["key"])')
"$out/huifang" serve >"$out/serve.log" 2>&1 &
echo $! >"$out/serve.pid"
for _ in $(seq 1 100); do curl -fs "$base/healthz" >/dev/null && break; sleep 0.2; done

# A director's session.
jar=$out/cookies.txt
curl -s -c "$jar" -o /dev/null "$base/login"
csrf=$(awk '$6=="huifang_login_csrf"{print $7}' "$jar") # the login form's token is its cookie's value
curl -s -b "$jar" -c "$jar" -o /dev/null -d "csrf=$csrf&username=director1&password=$pw" "$base/login"
session=$(awk '$6=="huifang_session"{print $7}' "$jar")
[ -n "$session" ] || { echo "could not log in as director1" >&2; exit 1; }

common=(--batch --level=2 --risk=2 --dbms=PostgreSQL --time-sec=2 --disable-coloring --output-dir="$PWD/$out/sqlmap" --flush-session)
run() { # name, then sqlmap arguments; SECURITY_ONLY=name,name runs only those
	local name=$1; shift
	if [ -n "${SECURITY_ONLY:-}" ] && [[ ",$SECURITY_ONLY," != *",$name,"* ]]; then return; fi
	echo "== sqlmap: $name" | tee -a "$out/summary.txt"
	sqlmap "${common[@]}" "$@" >"$out/$name.log" 2>&1 || true
	local tested
	tested=$(grep -c 'does not seem to be injectable' "$out/$name.log" || true)
	if grep -q "sqlmap identified the following injection\|is vulnerable" "$out/$name.log"; then
		echo "   INJECTION FOUND (see $out/$name.log)" | tee -a "$out/summary.txt"
	elif grep -q "CRITICAL" "$out/$name.log" || [ "$tested" = 0 ]; then
		echo "   ABORTED, nothing tested: $(grep -m1 'CRITICAL\|ERROR' "$out/$name.log")" | tee -a "$out/summary.txt"
	else
		echo "   nothing found: not injectable: $(grep -o "parameter '[^']*' does not seem" "$out/$name.log" | cut -d"'" -f2 | sort -u | tr '\n' ' ')" | tee -a "$out/summary.txt"
	fi
}

run login -u "$base/login" --data "csrf=x&username=director1&password=guess&next=/" -p "username,password,next" \
	--csrf-token=csrf --csrf-url="$base/login" --tamper=xforwardedfor --ignore-code=401,429
cookie="huifang_session=$session"
common+=(--threads=2) # not with --csrf-url, above
run calls -u "$base/director/calls?from=2026-01-01&to=2026-12-31&agent=1&sip_status=200&min_secs=10&campaign=maintenance&outcome=reached&customer=%E7%8E%8B" --cookie "$cookie"
run kpi -u "$base/director/kpi/list?month=2026-11&kpi=contact&consultant=x&grade=A&reason=maintenance&only=yes" --cookie "$cookie"
run daily -u "$base/director/daily/list?kind=due&day=2026-11-22&category=maintenance" --cookie "$cookie"
run sms -u "$base/director/sms?code=c1&since=2026-11-01&part=sent" --cookie "$cookie"
run consent -u "$base/director/sms/consent?phone=13900000001&decided=1" --cookie "$cookie"
run due -u "$base/director/due-not-come?from=2026-11-01&to=2026-11-30" --cookie "$cookie"
if [ -n "$key" ]; then
	# One thread and a delay: the API's per-key rate limit (50/s) would answer 429.
	run api_tasks -u "$base/api/v1/tasks?date=2026-11-22" --headers "Authorization: Bearer $key" --threads=1 --delay=0.05
	run api_calls -u "$base/api/v1/calls?since=2026-11-01T00:00:00%2B08:00" --headers "Authorization: Bearer $key" --threads=1 --delay=0.05
fi

echo "== id sweep (another dealer's ids on every id route)" | tee -a "$out/summary.txt"
go test -count=1 -run 'TestIDSweep' ./agent-ui/ 2>&1 | tail -1 | tee -a "$out/summary.txt"
grep -c '"status":500\|status=500' "$out/serve.log" | sed 's/^/server errors (500) during the run: /' | tee -a "$out/summary.txt"

echo "== XSS payloads in Chromium (customer names, call notes, SMS templates)" | tee -a "$out/summary.txt"
HUIFANG_BIN="$PWD/$out/huifang" bash agent-ui/e2e/xss_run.sh 2>&1 | grep -E '^(ok|not ok)|^# (pass|fail)' | tee -a "$out/summary.txt"
