# Sourced by kafka.sh and keycloak.sh: what starting and stopping a background JVM server needs,
# written once. The sourcing script defines SCRIPT (its name, for log lines), PIDFILE, LOCK and
# is_ours PID (is this live process our server?).

log() { echo "$SCRIPT: $*" >&2; }
die() { log "$*"; exit 1; }

with_lock() {
    # Serialise concurrent start/stop calls. The server must not inherit fd 9 (start it with 9>&-).
    mkdir -p "$(dirname "$LOCK")"
    exec 9>"$LOCK"
    flock -w 300 9 || die "could not take $LOCK"
}

# Alive, and not a zombie waiting to be reaped (our own child, when startup fails).
is_alive() {
    local st
    st="$(sed -n 's/^[0-9]* (.*) \([A-Za-z]\).*/\1/p' "/proc/$1/stat" 2>/dev/null || true)"
    [[ -n "$st" && "$st" != "Z" && "$st" != "X" ]]
}

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# The server's pid: the pid file's, else (file lost or stale) any live process is_ours accepts.
find_pid() {
    local pid=""
    [[ -f "$PIDFILE" ]] && pid="$(cat "$PIDFILE" 2>/dev/null || true)"
    if is_ours "$pid"; then echo "$pid"; return 0; fi
    local f p
    for f in /proc/[0-9]*/cmdline; do
        p="${f#/proc/}"; p="${p%/cmdline}"
        if is_ours "$p"; then echo "$p"; return 0; fi
    done
    return 1
}

# Stop the server (idempotent): SIGTERM, then SIGKILL after 60 s. $1: its directory (nothing
# to stop when it does not exist).
stop_server() {
    [[ -d "$1" ]] || { log "not running"; return 0; }
    with_lock
    local pid
    if ! pid="$(find_pid)"; then
        rm -f "$PIDFILE"
        log "not running"
        return 0
    fi
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 120); do
        is_alive "$pid" || break
        sleep 0.5
    done
    if is_alive "$pid"; then
        log "still alive after 60 s: SIGKILL"
        kill -KILL "$pid" 2>/dev/null || true
        while is_alive "$pid"; do sleep 0.2; done
    fi
    rm -f "$PIDFILE"
    log "stopped"
}
