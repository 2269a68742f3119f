#!/usr/bin/env bash
# PostgreSQL 15 and Redis for this project, on loopback, with their data under var/.
#
#   scripts/services.sh start    install (apt, if missing; nginx too), start, create roles/databases
#   scripts/services.sh stop     stop both
#   scripts/services.sh status   exit 0 when both answer, 1 otherwise
#   scripts/services.sh env      print the connection settings (var/services.env)
#
# Ports 15432 (PG_PORT) and 16379 (REDIS_PORT) stay clear of a system
# PostgreSQL or Redis. Idempotent and quick when already running; several
# callers at once (parallel test sessions) are serialised by a lock file.
#
# Connection settings are written to var/services.env (mode 600) for `make
# topology`, the tests and `set -a; . var/services.env`: role `assistant`
# (random password, CREATEDB so tests can make throwaway databases), databases
# `assistant` (contracts, DATABASE_URL) and `assistant_trackers` (tracker
# store), Redis with a random password. These are local development
# credentials; production gets its own from the secret store (docs/deployment.md).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

VAR=${SERVICES_VAR:-$ROOT/var}
PG_PORT=${PG_PORT:-15432}
REDIS_PORT=${REDIS_PORT:-16379}
PG_VERSION=15
PG_BIN=/usr/lib/postgresql/$PG_VERSION/bin
ENV_FILE=$VAR/services.env
APP_ROLE=assistant
CONTRACTS_DB=assistant
TRACKER_DB_NAME=assistant_trackers
REDIS_DIR=$VAR/redis

mkdir -p "$VAR"

log() { echo "services: $*" >&2; }
die() { log "$*"; exit 1; }

# --- who runs PostgreSQL -------------------------------------------------------
# postgres refuses to run as root: as root the cluster belongs to the `postgres`
# system user (created by the Debian package), otherwise to the caller.
as_pg() {
  if [ "$(id -u)" -eq 0 ]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

pg_data_dir() {
  # var/pg unless the postgres user cannot reach var/ (a checkout under /root,
  # say): then a folder under /var/tmp named after var/'s path.
  local dir=$VAR/pg
  if [ "$(id -u)" -eq 0 ] && id postgres >/dev/null 2>&1 && ! runuser -u postgres -- test -x "$VAR"; then
    dir=/var/tmp/assistant-pg-$(printf '%s' "$VAR" | sha256sum | cut -c1-12)
  fi
  printf '%s\n' "$dir"
}

pg_socket_dir() {
  # Unix sockets have a ~107-byte path limit: a long checkout path gets /tmp.
  local dir=$1/run
  if [ ${#dir} -gt 80 ]; then
    dir=/tmp/assistant-pg-run-$(printf '%s' "$1" | sha256sum | cut -c1-12)
  fi
  printf '%s\n' "$dir"
}

# --- install -----------------------------------------------------------------
install_if_missing() {
  local missing=()
  [ -x "$PG_BIN/initdb" ] || missing+=("postgresql-$PG_VERSION")
  command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
  # Not started here: the topology's supervisor runs it (bot/ops/nginx.py).
  [ -x /usr/sbin/nginx ] || missing+=(nginx)
  [ ${#missing[@]} -eq 0 ] && return 0
  [ "$(id -u)" -eq 0 ] || die "missing ${missing[*]}: install them (apt-get install ${missing[*]}) or run as root"
  log "installing ${missing[*]} (apt)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# --- secrets -----------------------------------------------------------------
secret() {  # a stored random password, made once
  local file=$VAR/.$1-password
  if [ ! -s "$file" ]; then
    (umask 077; head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$file")
  fi
  cat "$file"
}

# --- PostgreSQL --------------------------------------------------------------
PG_DATA=$(pg_data_dir)
PG_SOCK=$(pg_socket_dir "$PG_DATA")

pg_running() {
  [ -f "$PG_DATA/PG_VERSION" ] && as_pg "$PG_BIN/pg_ctl" status -D "$PG_DATA" >/dev/null 2>&1 \
    && "$PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$PG_PORT"
}

pg_psql() {  # superuser psql over the private Unix socket (peer authentication)
  as_pg "$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$PG_SOCK" -p "$PG_PORT" -d postgres "$@"
}

pg_start() {
  if [ ! -f "$PG_DATA/PG_VERSION" ]; then
    log "initialising PostgreSQL $PG_VERSION cluster in $PG_DATA"
    mkdir -p "$PG_DATA"
    [ "$(id -u)" -eq 0 ] && chown postgres:postgres "$PG_DATA"
    chmod 700 "$PG_DATA"
    # Local (socket) connections: peer, for this script only. TCP: passwords.
    as_pg "$PG_BIN/initdb" -D "$PG_DATA" --auth-local=peer --auth-host=scram-sha-256 \
      --encoding=UTF8 --locale=C.UTF-8 >"$VAR/pg-initdb.log" 2>&1 \
      || { cat "$VAR/pg-initdb.log" >&2; die "initdb failed"; }
    cat >>"$PG_DATA/postgresql.conf" <<EOF

# scripts/services.sh
listen_addresses = '127.0.0.1'
port = $PG_PORT
unix_socket_directories = '$PG_SOCK'
max_connections = 200
EOF
  fi
  if pg_running; then
    return 0
  fi
  mkdir -p "$PG_SOCK"
  [ "$(id -u)" -eq 0 ] && chown postgres:postgres "$PG_SOCK"
  log "starting PostgreSQL on 127.0.0.1:$PG_PORT"
  # 9>&-: the daemon must not inherit (and so hold) the lock file.
  as_pg "$PG_BIN/pg_ctl" start -D "$PG_DATA" -w -t 60 -l "$PG_DATA/server.log" >/dev/null 9>&- \
    || { tail -n 20 "$PG_DATA/server.log" >&2 || true; die "PostgreSQL did not start"; }
}

pg_provision() {
  local password=$1
  # Roles and databases: created when missing, password kept in step with the file.
  pg_psql -v role="$APP_ROLE" -v pw="$password" <<'SQL'
SELECT format('CREATE ROLE %I LOGIN CREATEDB', :'role')
 WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = :'role') \gexec
ALTER ROLE :"role" WITH LOGIN CREATEDB PASSWORD :'pw';
SQL
  local db
  for db in "$CONTRACTS_DB" "$TRACKER_DB_NAME"; do
    pg_psql -v db="$db" -v role="$APP_ROLE" <<'SQL'
SELECT format('CREATE DATABASE %I OWNER %I', :'db', :'role')
 WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = :'db') \gexec
SQL
  done
}

pg_stop() {
  if [ -f "$PG_DATA/PG_VERSION" ] && as_pg "$PG_BIN/pg_ctl" status -D "$PG_DATA" >/dev/null 2>&1; then
    log "stopping PostgreSQL"
    as_pg "$PG_BIN/pg_ctl" stop -D "$PG_DATA" -m fast -w >/dev/null
  fi
}

# --- Redis -------------------------------------------------------------------
redis_cli() {
  REDISCLI_AUTH=$(secret redis) redis-cli -h 127.0.0.1 -p "$REDIS_PORT" "$@"
}

redis_running() {
  [ "$(redis_cli ping 2>/dev/null)" = "PONG" ]
}

redis_start() {
  redis_running && return 0
  mkdir -p "$REDIS_DIR"
  (umask 077; cat >"$REDIS_DIR/redis.conf" <<EOF
# written by scripts/services.sh
bind 127.0.0.1
protected-mode yes
port $REDIS_PORT
dir $REDIS_DIR
pidfile $REDIS_DIR/redis.pid
logfile $REDIS_DIR/redis.log
daemonize yes
requirepass $(secret redis)
# Locks only: nothing to persist.
save ""
appendonly no
EOF
  )
  log "starting Redis on 127.0.0.1:$REDIS_PORT"
  redis-server "$REDIS_DIR/redis.conf" 9>&-
  local i
  for i in $(seq 1 100); do
    redis_running && return 0
    sleep 0.1
  done
  tail -n 20 "$REDIS_DIR/redis.log" >&2 || true
  die "Redis did not start"
}

redis_stop() {
  if redis_running; then
    log "stopping Redis"
    redis_cli shutdown nosave >/dev/null 2>&1 || true
  fi
}

# --- settings file ---------------------------------------------------------------
write_env() {
  local pg_pw=$1 redis_pw=$2 tmp
  tmp=$(mktemp "$VAR/.services.env.XXXXXX")
  cat >"$tmp" <<EOF
# written by scripts/services.sh: local development services (not production secrets)
PG_HOST=127.0.0.1
PG_PORT=$PG_PORT
PG_USER=$APP_ROLE
PG_PASSWORD=$pg_pw
DATABASE_URL=postgresql://$APP_ROLE:$pg_pw@127.0.0.1:$PG_PORT/$CONTRACTS_DB
TRACKER_DB_HOST=127.0.0.1
TRACKER_DB_PORT=$PG_PORT
TRACKER_DB_NAME=$TRACKER_DB_NAME
TRACKER_DB_USER=$APP_ROLE
TRACKER_DB_PASSWORD=$pg_pw
REDIS_HOST=127.0.0.1
REDIS_PORT=$REDIS_PORT
REDIS_PASSWORD=$redis_pw
REDIS_DB=1
EOF
  chmod 600 "$tmp"
  mv -f "$tmp" "$ENV_FILE"
}

# --- commands ----------------------------------------------------------------
status() {
  local rc=0
  if pg_running; then echo "postgresql: running on 127.0.0.1:$PG_PORT ($PG_DATA)"; else echo "postgresql: stopped"; rc=1; fi
  if redis_running; then echo "redis: running on 127.0.0.1:$REDIS_PORT"; else echo "redis: stopped"; rc=1; fi
  return $rc
}

with_lock() {
  exec 9>"$VAR/.services.lock"
  flock -w 120 9 || die "another services.sh is still busy (var/.services.lock)"
  "$@"
}

start() {
  # Fast path: both answer and the settings file exists; make sure the role
  # and databases are still there (someone may have dropped one).
  if [ -s "$ENV_FILE" ] && pg_running && redis_running && [ -x /usr/sbin/nginx ]; then
    pg_provision "$(secret pg)"
    return 0
  fi
  install_if_missing
  local pg_pw redis_pw
  pg_pw=$(secret pg)
  redis_pw=$(secret redis)
  pg_start
  pg_provision "$pg_pw"
  redis_start
  write_env "$pg_pw" "$redis_pw"
  status >&2
}

stop() {
  pg_stop
  redis_stop
}

case "${1:-}" in
  start) with_lock start ;;
  stop) with_lock stop ;;
  status) status ;;
  env) cat "$ENV_FILE" ;;
  *) echo "usage: $0 start|stop|status|env" >&2; exit 2 ;;
esac
