#!/usr/bin/env bash
# test-tools.sh installs what the tests drive for real: sipp and baresip (SIP peers),
# Chromium (browser tests), Node.js with npm (playwright-core), Kannel with fakesmsc (SMS),
# espeak-ng (message-call prompts), Kamailio (the SIP proxy of several gateways), PgBouncer and redis-server (Sentinel) and sox (the
# browser phone test's tone), from Debian's packages.
set -euo pipefail
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
missing=()
command -v sipp >/dev/null 2>&1 || missing+=(sip-tester)
command -v baresip >/dev/null 2>&1 || missing+=(baresip)
[ -x /usr/bin/chromium ] || missing+=(chromium)
command -v node >/dev/null 2>&1 || missing+=(nodejs)
command -v npm >/dev/null 2>&1 || missing+=(npm)
# A CJK font, so that screenshots of the (Chinese) console are readable.
[ -e /usr/share/fonts/truetype/wqy/wqy-zenhei.ttc ] || missing+=(fonts-wqy-zenhei)
[ -x /usr/sbin/bearerbox ] || missing+=(kannel)
[ -x /usr/lib/kannel/test/fakesmsc ] || missing+=(kannel-extras)
command -v espeak-ng >/dev/null 2>&1 || missing+=(espeak-ng)
# PgBouncer (transaction pooling) and redis-server's Sentinel mode, started by the tests.
[ -x /usr/sbin/pgbouncer ] || missing+=(pgbouncer)
command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
# Kamailio, the SIP proxy in front of several gateways (deploy/kamailio/kamailio.cfg),
# with its Postgres driver (agents' digest answers checked against sip_subscribers).
[ -x /usr/sbin/kamailio ] || missing+=(kamailio)
[ -e /usr/lib/x86_64-linux-gnu/kamailio/modules/db_postgres.so ] || ls /usr/lib/*/kamailio/modules/db_postgres.so >/dev/null 2>&1 || missing+=(kamailio-postgres-modules)
# sox makes the browser phone test's fake-microphone tone.
command -v sox >/dev/null 2>&1 || missing+=(sox)
if [ ${#missing[@]} -gt 0 ]; then
	echo "test-tools: installing ${missing[*]}" >&2
	as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null
	as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi
