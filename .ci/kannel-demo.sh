#!/usr/bin/env bash
# kannel-demo.sh runs a local Kannel for the demo: bearerbox, smsbox and fakesmsc (the fake
# SMS centre from kannel-extras) on loopback, so `make run-sms` sends the leave-store care
# SMS and the campaigns through a real SMS gateway. Logs go to var/kannel/.
#
#   .ci/kannel-demo.sh start            start (installs kannel and kannel-extras if missing)
#   .ci/kannel-demo.sh mo PHONE TEXT    the fake SMS centre delivers a reply, such as TD
#   .ci/kannel-demo.sh stop
#
# fakesmsc's log (var/kannel/fakesmsc.log) lists every message the "operator" received.
# Kannel posts replies to Huifang's SMS callback listener (HUIFANG_SMS_CALLBACK_ADDR, not the
# console's port) with the callback token: HUIFANG_SMS_TOKEN, or a random one made on the
# first start and kept in var/kannel/token (make run-sms hands it to serve as
# HUIFANG_SMS_TOKEN_FILE).
set -euo pipefail
cd "$(dirname "$0")/.."
dir=var/kannel
callback_addr=${HUIFANG_SMS_CALLBACK_ADDR:-127.0.0.1:8091}
fake=/usr/lib/kannel/test/fakesmsc
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

# stop ends the boxes and waits (up to 10 s each) until they are gone, so that a start
# right after finds their ports free.
stop() {
	for p in fakesmsc smsbox bearerbox; do
		if [ -f "$dir/$p.pid" ]; then
			pid=$(cat "$dir/$p.pid")
			kill "$pid" 2>/dev/null || true
			for _ in $(seq 1 40); do
				kill -0 "$pid" 2>/dev/null || break
				sleep 0.25
			done
			kill -9 "$pid" 2>/dev/null || true
		fi
		rm -f "$dir/$p.pid"
	done
}

fakesmsc() { # args for the message to send, or none
	[ -f "$dir/fakesmsc.pid" ] && kill "$(cat "$dir/fakesmsc.pid")" 2>/dev/null || true
	sleep 0.3
	"$fake" -H 127.0.0.1 -r 13010 -i 0.05 "$@" >>"$dir/fakesmsc.log" 2>&1 &
	echo $! >"$dir/fakesmsc.pid"
}

case "${1:-start}" in
start)
	if ! command -v bearerbox >/dev/null 2>&1 || [ ! -x "$fake" ]; then
		as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null
		as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq kannel kannel-extras >/dev/null
	fi
	stop
	mkdir -p "$dir"
	if [ -z "${HUIFANG_SMS_TOKEN:-}" ] && [ ! -s "$dir/token" ]; then
		(umask 077 && od -An -N16 -tx1 /dev/urandom | tr -d ' \n' >"$dir/token")
	fi
	token=${HUIFANG_SMS_TOKEN:-$(cat "$dir/token")}
	cat >"$dir/kannel.conf" <<CONF
group = core
admin-port = 13000
admin-password = huifang-admin
admin-interface = 127.0.0.1
smsbox-port = 13001
box-allow-ip = 127.0.0.1
log-file = "$PWD/$dir/bearerbox.log"
log-level = 1
dlr-storage = internal

group = smsc
smsc = fake
smsc-id = fake
port = 13010
connect-allow-ip = 127.0.0.1

group = smsbox
bearerbox-host = 127.0.0.1
bearerbox-port = 13001
sendsms-port = 13013
sendsms-interface = 127.0.0.1
log-file = "$PWD/$dir/smsbox.log"
log-level = 1
mo-recode = true

group = sendsms-user
username = huifang
password = huifang-sms
max-messages = 10
concatenation = true

group = sms-service
keyword = default
catch-all = true
max-messages = 0
get-url = "http://$callback_addr/sms/kannel/mo?from=%p&to=%P&text=%a&ts=%T&token=$token"
CONF
	chmod 600 "$dir/kannel.conf"
	bearerbox -v 1 "$dir/kannel.conf" >>"$dir/bearerbox.out" 2>&1 &
	echo $! >"$dir/bearerbox.pid"
	sleep 1
	fakesmsc -m 0 "1 2 text unused"
	smsbox -v 1 "$dir/kannel.conf" >>"$dir/smsbox.out" 2>&1 &
	echo $! >"$dir/smsbox.pid"
	up=
	for _ in $(seq 1 40); do
		timeout 1 bash -c 'exec 3<>/dev/tcp/127.0.0.1/13013' 2>/dev/null && { up=1; break; }
		sleep 0.25
	done
	if [ -z "$up" ]; then
		echo "kannel: smsbox did not open 127.0.0.1:13013; see $dir/bearerbox.log and $dir/smsbox.log" >&2
		stop
		exit 1
	fi
	echo "kannel: sendsms on 127.0.0.1:13013, fake SMS centre log $dir/fakesmsc.log" >&2
	;;
mo)
	[ $# -eq 3 ] || { echo "usage: $0 mo PHONE TEXT" >&2; exit 2; }
	# fakesmsc sends the text as UCS-2, hex-escaped.
	enc=$(printf '%s' "$3" | iconv -f UTF-8 -t UTF-16BE | od -An -tx1 | tr -d ' \n' | sed 's/../%&/g')
	fakesmsc -m 1 "$2 106900001 ucs2 $enc"
	;;
stop)
	stop
	;;
*)
	echo "usage: $0 start|mo PHONE TEXT|stop" >&2
	exit 2
	;;
esac
