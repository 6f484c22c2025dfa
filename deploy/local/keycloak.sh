#!/usr/bin/env bash
# A real Keycloak (OpenID Connect provider, no Docker) for the portal's sign-in tests and for
# trying the portal against a real provider. The distribution comes from Maven Central
# (org.keycloak:keycloak-quarkus-dist); the realm (roles, demo users, the portal's client and
# the claims the services read) is deploy/local/keycloak/gsi-realm.json, imported at each
# start into an in-memory database: every start begins from the file.
#
#   deploy/local/keycloak.sh start    start it in the background (idempotent), wait until it answers
#   deploy/local/keycloak.sh stop     stop it (idempotent): SIGTERM, then SIGKILL after 60 s
#   deploy/local/keycloak.sh status   exit 0 when it runs and answers, 1 otherwise
#   deploy/local/keycloak.sh env      print GSI_TEST_KEYCLOAK_URL=... only
#
# Environment: GSI_KEYCLOAK_DIR (default /var/tmp/gsi-keycloak: pid and logs),
# GSI_KEYCLOAK_PORT (18080; its management port is the next one), GSI_CACHE_DIR (default
# <repo>/.cache), GSI_KEYCLOAK_HEAP (default -Xms256m -Xmx768m), GSI_KEYCLOAK_JAVA_HOME
# (default /usr/lib/jvm/temurin-25-jdk-amd64, else JAVA_HOME: Keycloak 26.5 needs Java 21+).
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
SCRIPT=keycloak.sh
# shellcheck source=deploy/local/daemon.sh
source "$HERE/daemon.sh"
REPO_ROOT="$(cd "$HERE/../.." && pwd)"
KC_VERSION=26.5.6
REALM_FILE="$HERE/keycloak/gsi-realm.json"
REALM=gsi

KC_DIR="${GSI_KEYCLOAK_DIR:-/var/tmp/gsi-keycloak}"
PORT="${GSI_KEYCLOAK_PORT:-18080}"
MANAGEMENT_PORT=$((PORT + 1))
CACHE_DIR="${GSI_CACHE_DIR:-$REPO_ROOT/.cache}"
KC_HOME="$CACHE_DIR/keycloak-$KC_VERSION"
HEAP="${GSI_KEYCLOAK_HEAP:--Xms256m -Xmx768m}"
JAVA_25=/usr/lib/jvm/temurin-25-jdk-amd64
KC_JAVA_HOME="${GSI_KEYCLOAK_JAVA_HOME:-$([[ -x $JAVA_25/bin/java ]] && echo "$JAVA_25" || echo "${JAVA_HOME:-}")}"

PIDFILE="$KC_DIR/keycloak.pid"
CONSOLE="$KC_DIR/console.out"
LOCK="$KC_DIR.lock"
START_TIMEOUT=240


url() { echo "http://127.0.0.1:${PORT}"; }
print_env() { echo "GSI_TEST_KEYCLOAK_URL=$(url)"; }


# --- the distribution ------------------------------------------------------------------

ensure_dist() {
    [[ -x "$KC_HOME/bin/kc.sh" ]] && return 0
    command -v mvn >/dev/null 2>&1 || die "mvn not found (apt-get install maven)"
    command -v unzip >/dev/null 2>&1 || die "unzip not found (apt-get install unzip)"
    log "fetching Keycloak $KC_VERSION from Maven Central into $KC_HOME"
    local tmp="$CACHE_DIR/keycloak.tmp.$$"
    rm -rf "$tmp"
    mkdir -p "$tmp"
    if ! mvn -B -q -Dstyle.color=never dependency:copy \
        -Dartifact="org.keycloak:keycloak-quarkus-dist:$KC_VERSION:zip" -DoutputDirectory="$tmp" \
        >"$tmp/mvn.log" 2>&1; then
        tail -n 40 "$tmp/mvn.log" >&2
        rm -rf "$tmp"
        die "mvn dependency:copy failed"
    fi
    unzip -q "$tmp/keycloak-quarkus-dist-$KC_VERSION.zip" -d "$tmp" || die "unzip failed"
    [[ -x "$tmp/keycloak-$KC_VERSION/bin/kc.sh" ]] || die "bin/kc.sh missing from the zip"
    rm -rf "$KC_HOME"
    mv "$tmp/keycloak-$KC_VERSION" "$KC_HOME"
    rm -rf "$tmp"
}

check_java() {
    local java="${KC_JAVA_HOME:+$KC_JAVA_HOME/bin/}java" v
    command -v "$java" >/dev/null 2>&1 || die "java not found (Keycloak $KC_VERSION needs Java 21+)"
    v="$("$java" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p')"
    [[ "${v%%.*}" -ge 21 ]] 2>/dev/null || die "Java $v found, Keycloak $KC_VERSION needs 21+ (set GSI_KEYCLOAK_JAVA_HOME)"
}

# --- the process -----------------------------------------------------------------------


# Is $1 our Keycloak: a live Java process of this distribution?
is_ours() {
    local pid="$1"
    [[ -n "$pid" ]] && is_alive "$pid" || return 1
    # kc.sh passes its home as <dist>/bin/..
    tr '\0' '\n' 2>/dev/null <"/proc/$pid/cmdline" \
        | grep -qxF -e "-Dkc.home.dir=$KC_HOME/bin/.." -e "-Dkc.home.dir=$KC_HOME"
}



# Does the realm answer its discovery document?
answers() {
    python3 - "$(url)/realms/$REALM/.well-known/openid-configuration" <<'EOF' 2>/dev/null
import json, sys, urllib.request
with urllib.request.urlopen(sys.argv[1], timeout=3) as r:
    sys.exit(0 if "jwks_uri" in json.load(r) else 1)
EOF
}

wait_ready() {
    local pid="$1" deadline=$((SECONDS + START_TIMEOUT))
    while ((SECONDS < deadline)); do
        if ! is_alive "$pid"; then
            log "Keycloak exited during startup; last lines of $CONSOLE:"
            tail -n 40 "$CONSOLE" >&2 2>/dev/null || true
            exit 1
        fi
        answers && return 0
        sleep 1
    done
    log "Keycloak not ready after ${START_TIMEOUT} s; last lines of $CONSOLE:"
    tail -n 40 "$CONSOLE" >&2 2>/dev/null || true
    exit 1
}

cmd_start() {
    mkdir -p "$KC_DIR"
    with_lock
    local pid
    if pid="$(find_pid)"; then
        echo "$pid" >"$PIDFILE"
        log "already running (pid $pid, $(url))"
        answers || wait_ready "$pid"
        print_env
        return 0
    fi
    if port_open "$PORT" || port_open "$MANAGEMENT_PORT"; then
        die "port $PORT or $MANAGEMENT_PORT is taken by another process"
    fi
    check_java
    ensure_dist
    # The realm is imported from the distribution's data/import at each start; the database is
    # in memory (dev-mem), so a changed realm file applies at the next start.
    mkdir -p "$KC_HOME/data/import"
    rm -f "$KC_HOME"/data/import/*.json
    cp "$REALM_FILE" "$KC_HOME/data/import/"
    log "starting Keycloak $KC_VERSION on $(url) (log $CONSOLE)"
    JAVA_HOME="$KC_JAVA_HOME" JAVA_OPTS_KC_HEAP="$HEAP" \
        setsid "$KC_HOME/bin/kc.sh" start-dev --db=dev-mem --import-realm \
        --http-host=127.0.0.1 --http-port="$PORT" --http-management-port="$MANAGEMENT_PORT" \
        --hostname-strict=false --cache=local \
        </dev/null >"$CONSOLE" 2>&1 9>&- &
    pid=$!
    echo "$pid" >"$PIDFILE"
    wait_ready "$pid"
    # kc.sh execs java: the pid is Keycloak's own.
    log "ready (pid $pid)"
    print_env
}

cmd_stop() { stop_server "$KC_DIR"; }

cmd_status() {
    local pid
    if pid="$(find_pid)" && answers; then
        log "running (pid $pid, Keycloak $KC_VERSION, $(url))"
        return 0
    fi
    log "not running"
    return 1
}

case "${1:-}" in
    start) cmd_start ;;
    stop) cmd_stop ;;
    status) cmd_status ;;
    env) print_env ;;
    *) echo "usage: $0 {start|stop|status|env}" >&2; exit 2 ;;
esac
