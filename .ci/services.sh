#!/usr/bin/env bash
# services.sh makes sure Postgres and Redis answer on localhost, the way the README
# promises: use them if they already answer; otherwise `docker compose` when a Docker
# engine answers; otherwise start the local postgresql and redis-server binaries,
# installing Debian's packages when they are missing. Idempotent; safe to run often.
set -euo pipefail

PGHOST=${PGHOST:-127.0.0.1}
PGPORT=${PGPORT:-5432}
REDIS_HOST=${REDIS_HOST:-127.0.0.1}
REDIS_PORT=${REDIS_PORT:-6379}

log() { echo "services: $*" >&2; }

answers() { # host port
	timeout 2 bash -c "exec 3<>/dev/tcp/$1/$2" 2>/dev/null
}

wait_for() { # name host port
	for _ in $(seq 1 60); do
		answers "$2" "$3" && return 0
		sleep 0.5
	done
	log "$1 did not come up on $2:$3"
	return 1
}

as_root() {
	if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi
}

apt_updated=
apt_install() {
	if [ -z "$apt_updated" ]; then
		as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null
		apt_updated=1
	fi
	log "installing $*"
	as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

docker_engine() {
	command -v docker >/dev/null 2>&1 && timeout 5 docker info >/dev/null 2>&1
}

start_postgres() {
	if ! ls /etc/postgresql/*/main >/dev/null 2>&1; then
		apt_install postgresql
	fi
	local ver
	ver=$(ls /etc/postgresql | sort -V | tail -1)
	local hba=/etc/postgresql/$ver/main/pg_hba.conf
	# Local development server: let the postgres user in over loopback with a password
	# (postgres/postgres, as in docker-compose.yml) and over the socket.
	if ! grep -q "huifang-dev" "$hba"; then
		as_root sed -i '1i # huifang-dev\nhost all postgres 127.0.0.1/32 scram-sha-256\nhost all postgres ::1/128 scram-sha-256' "$hba"
	fi
	as_root pg_ctlcluster --skip-systemctl-redirect "$ver" main start || true
	wait_for postgres "$PGHOST" "$PGPORT"
	as_root su postgres -c "psql -qc \"ALTER USER postgres PASSWORD 'postgres'\"" >/dev/null 2>&1 || true
}

start_redis() {
	if ! command -v redis-server >/dev/null 2>&1; then
		apt_install redis-server
	fi
	as_root mkdir -p /var/lib/redis /var/log/redis
	# appendonly: Asynq loses acknowledged tasks on a Redis restart without it.
	as_root redis-server --daemonize yes --bind 127.0.0.1 --port "$REDIS_PORT" \
		--appendonly yes --dir /var/lib/redis --logfile /var/log/redis/huifang.log
	wait_for redis "$REDIS_HOST" "$REDIS_PORT"
}

need_pg=1; need_redis=1
answers "$PGHOST" "$PGPORT" && need_pg=
answers "$REDIS_HOST" "$REDIS_PORT" && need_redis=

if [ -n "$need_pg$need_redis" ] && docker_engine; then
	log "starting postgres and redis with docker compose"
	docker compose up -d postgres redis
	[ -z "$need_pg" ] || wait_for postgres "$PGHOST" "$PGPORT"
	[ -z "$need_redis" ] || wait_for redis "$REDIS_HOST" "$REDIS_PORT"
	need_pg=; need_redis=
fi
if [ -n "$need_pg" ]; then log "starting local postgresql"; start_postgres; fi
if [ -n "$need_redis" ]; then log "starting local redis-server"; start_redis; fi
log "postgres $PGHOST:$PGPORT and redis $REDIS_HOST:$REDIS_PORT answer"
