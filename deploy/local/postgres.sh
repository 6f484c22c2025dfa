#!/usr/bin/env bash
# A real PostgreSQL server (Debian's packages, no Docker) for tests and local runs.
#
#   deploy/local/postgres.sh start    start it (idempotent), create database "gsi", print the URL
#   deploy/local/postgres.sh stop     stop it (idempotent)
#   deploy/local/postgres.sh status   exit 0 when it runs, 1 otherwise
#   deploy/local/postgres.sh env      print GSI_TEST_DATABASE_URL=... only
#
# Environment: GSI_PG_DIR (default /var/tmp/gsi-pg), GSI_PG_PORT (default 54329).
# Listens on 127.0.0.1 only, trust auth: a test server, never a production one.
set -euo pipefail

PG_DIR="${GSI_PG_DIR:-/var/tmp/gsi-pg}"
PG_PORT="${GSI_PG_PORT:-54329}"
PG_DB="gsi"
PG_USER="postgres"          # the database superuser the URL names
# The OS user that owns the cluster and runs the server (it refuses to run as root).
if [[ $EUID -eq 0 ]]; then OS_USER="postgres"; else OS_USER="$(id -un)"; fi
DATA="$PG_DIR/data"
SOCK="$PG_DIR/run"
LOG="$PG_DIR/postgres.log"
LOCK="$PG_DIR.lock"         # beside, not inside: PG_DIR is owned by postgres

log() { echo "postgres.sh: $*" >&2; }
die() { log "$*"; exit 1; }

url() { echo "GSI_TEST_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:${PG_PORT}/${PG_DB}"; }

# Directory of initdb/pg_ctl/...: Debian keeps them off PATH under /usr/lib/postgresql/N/bin.
find_pgbin() {
    local d
    d="$(printf "%s\n" /usr/lib/postgresql/*/bin | sort -V | tail -n 1)"
    if [[ -n "$d" && -x "$d/initdb" ]]; then echo "$d"; return 0; fi
    if command -v initdb >/dev/null 2>&1; then dirname "$(readlink -f "$(command -v initdb)")"; return 0; fi
    return 1
}

ensure_installed() {
    if PGBIN="$(find_pgbin)"; then return 0; fi
    [[ $EUID -eq 0 ]] || die "PostgreSQL server not installed and not root: apt-get install postgresql"
    log "PostgreSQL server not found: installing Debian's postgresql package"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq postgresql >/dev/null
    PGBIN="$(find_pgbin)" || die "initdb still not found after apt-get install postgresql"
}

# Run a server-side command as the postgres OS user (the server refuses root).
as_pg() {
    if [[ $EUID -eq 0 ]]; then runuser -u "$OS_USER" -- "$@"; else "$@"; fi
}

# State letter of a process (R, S, Z...), empty when there is none.
proc_state() { sed -n 's/^[0-9]* (.*) \([A-Za-z]\).*/\1/p' "/proc/$1/stat" 2>/dev/null || true; }

# The postmaster of postmaster.pid, when it is a zombie: killed, not yet reaped by init.
zombie_postmaster() {
    local pid
    pid="$(head -n 1 "$DATA/postmaster.pid" 2>/dev/null || true)"
    [[ -n "$pid" && "$(proc_state "$pid")" == "Z" ]]
}

is_running() {
    [[ -f "$DATA/PG_VERSION" ]] || return 1
    zombie_postmaster && return 1
    as_pg "$PGBIN/pg_ctl" -D "$DATA" status >/dev/null 2>&1
}

# A killed postmaster that init has not reaped yet still "exists" for kill(pid, 0), so the
# new one would refuse its lock file: give its children a moment to exit, then drop the file.
clear_stale_pidfile() {
    if zombie_postmaster; then
        log "postmaster.pid names a killed server (zombie): removing it"
        sleep 2
        rm -f "$DATA/postmaster.pid"
    fi
}

write_config() {
    # Our settings live in gsi.conf, rewritten at every start, included from postgresql.conf.
    as_pg tee "$DATA/gsi.conf" >/dev/null <<EOF
# Written by deploy/local/postgres.sh at each start: edit the script, not this file.
listen_addresses = '127.0.0.1'
port = ${PG_PORT}
unix_socket_directories = '${SOCK}'
max_connections = 200
# modest sizes for a 2-core box shared with Kafka and the tests
shared_buffers = 256MB
effective_cache_size = 1GB
work_mem = 4MB
maintenance_work_mem = 64MB
max_wal_size = 1GB
checkpoint_completion_target = 0.9
random_page_cost = 1.1
timezone = 'UTC'
log_timezone = 'UTC'
log_line_prefix = '%m [%p] %q%u@%d '
log_min_duration_statement = 1000
EOF
    as_pg tee "$DATA/pg_hba.conf" >/dev/null <<'EOF'
# Written by deploy/local/postgres.sh: a test server, trust on local and loopback only.
local   all             all                     trust
host    all             all     127.0.0.1/32    trust
host    all             all     ::1/128         trust
local   replication     all                     trust
host    replication     all     127.0.0.1/32    trust
EOF
    if ! grep -q "^include_if_exists = 'gsi.conf'" "$DATA/postgresql.conf"; then
        echo "include_if_exists = 'gsi.conf'" | as_pg tee -a "$DATA/postgresql.conf" >/dev/null
    fi
}

init_cluster() {
    install -d -m 0700 "$PG_DIR" "$SOCK"
    if [[ $EUID -eq 0 ]]; then chown "$OS_USER:" "$PG_DIR" "$SOCK"; fi
    if [[ ! -f "$DATA/PG_VERSION" ]]; then
        log "initdb in $DATA"
        install -d -m 0700 "$DATA"
        if [[ $EUID -eq 0 ]]; then chown "$OS_USER:" "$DATA"; fi
        as_pg "$PGBIN/initdb" -D "$DATA" -U "$PG_USER" --auth=trust \
            --encoding=UTF8 --no-locale >"$PG_DIR/initdb.log" 2>&1 \
            || { tail -n 30 "$PG_DIR/initdb.log" >&2; die "initdb failed"; }
    fi
}

wait_ready() {
    for _ in $(seq 1 60); do
        if "$PGBIN/pg_isready" -q -h 127.0.0.1 -p "$PG_PORT" -U "$PG_USER"; then return 0; fi
        sleep 0.5
    done
    tail -n 30 "$LOG" >&2 || true
    die "server not ready on 127.0.0.1:$PG_PORT after 30 s"
}

ensure_db() {
    local have
    have="$("$PGBIN/psql" -h 127.0.0.1 -p "$PG_PORT" -U "$PG_USER" -d postgres -XtAq \
        -c "SELECT 1 FROM pg_database WHERE datname = '${PG_DB}'")"
    if [[ "$have" != "1" ]]; then
        log "creating database $PG_DB"
        "$PGBIN/createdb" -h 127.0.0.1 -p "$PG_PORT" -U "$PG_USER" "$PG_DB"
    fi
}

with_lock() {
    # Serialise concurrent start/stop calls (two test runs starting at once).
    # Servers started under it must not inherit fd 9 (9>&-), or they hold the lock.
    exec 9>"$LOCK"
    flock -w 120 9 || die "could not take $LOCK"
}

cmd_start() {
    ensure_installed
    with_lock
    if is_running; then
        log "already running (data $DATA, port $PG_PORT)"
    else
        init_cluster
        clear_stale_pidfile
        write_config
        log "starting on 127.0.0.1:$PG_PORT (data $DATA, log $LOG)"
        as_pg "$PGBIN/pg_ctl" -D "$DATA" -l "$LOG" -w -t 60 start >/dev/null 9>&- \
            || { tail -n 30 "$LOG" >&2 || true; die "pg_ctl start failed"; }
    fi
    wait_ready
    ensure_db
    url
}

cmd_stop() {
    if ! PGBIN="$(find_pgbin)"; then log "not installed, nothing to stop"; return 0; fi
    with_lock
    if is_running; then
        as_pg "$PGBIN/pg_ctl" -D "$DATA" -m fast -w -t 60 stop >/dev/null
        log "stopped"
    else
        log "not running"
    fi
}

cmd_status() {
    if PGBIN="$(find_pgbin)" && is_running \
        && "$PGBIN/pg_isready" -q -h 127.0.0.1 -p "$PG_PORT" -U "$PG_USER"; then
        log "running on 127.0.0.1:$PG_PORT (data $DATA)"
        return 0
    fi
    log "not running"
    return 1
}

case "${1:-}" in
    start) cmd_start ;;
    stop) cmd_stop ;;
    status) cmd_status ;;
    env) url ;;
    *) echo "usage: $0 {start|stop|status|env}" >&2; exit 2 ;;
esac
