#!/usr/bin/env bash
# A real Apache Kafka broker (KRaft, one node as broker+controller, no Docker) for tests
# and local runs. Its jars come from Maven Central through deploy/local/kafka/pom.xml.
#
#   deploy/local/kafka.sh start    start it in the background (idempotent), wait until it answers
#   deploy/local/kafka.sh stop     stop it (idempotent): SIGTERM, then SIGKILL after 60 s
#   deploy/local/kafka.sh status   exit 0 when it runs and answers, 1 otherwise
#   deploy/local/kafka.sh env      print KAFKA_BOOTSTRAP_SERVERS=... only
#
# Environment: GSI_KAFKA_DIR (default /var/tmp/gsi-kafka), GSI_KAFKA_PORT (19092),
# GSI_KAFKA_CONTROLLER_PORT (19093), GSI_CACHE_DIR (default <repo>/.cache),
# GSI_KAFKA_AUTO_CREATE_TOPICS (default false: the code creates its topics itself),
# GSI_KAFKA_HEAP (default -Xms256m -Xmx768m), JAVA_HOME (else java on PATH).
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
SCRIPT=kafka.sh
# shellcheck source=deploy/local/daemon.sh
source "$HERE/daemon.sh"
REPO_ROOT="$(cd "$HERE/../.." && pwd)"
POM="$HERE/kafka/pom.xml"
KAFKA_VERSION="$(sed -n 's:.*<kafka.version>\(.*\)</kafka.version>.*:\1:p' "$POM" | head -n 1)"
[[ -n "$KAFKA_VERSION" ]] || { echo "kafka.sh: no <kafka.version> in $POM" >&2; exit 1; }

KAFKA_DIR="${GSI_KAFKA_DIR:-/var/tmp/gsi-kafka}"
PORT="${GSI_KAFKA_PORT:-19092}"
CONTROLLER_PORT="${GSI_KAFKA_CONTROLLER_PORT:-19093}"
CACHE_DIR="${GSI_CACHE_DIR:-$REPO_ROOT/.cache}"
LIBS="$CACHE_DIR/kafka-$KAFKA_VERSION/libs"
AUTO_CREATE="${GSI_KAFKA_AUTO_CREATE_TOPICS:-false}"
HEAP="${GSI_KAFKA_HEAP:--Xms256m -Xmx768m}"

PROPS="$KAFKA_DIR/server.properties"
LOG4J="$KAFKA_DIR/log4j2.xml"
DATA="$KAFKA_DIR/data"
LOGS="$KAFKA_DIR/logs"
PIDFILE="$KAFKA_DIR/kafka.pid"
CONSOLE="$LOGS/console.out"
LOCK="$KAFKA_DIR.lock"
START_TIMEOUT=90

JAVA="${JAVA_HOME:+$JAVA_HOME/bin/}java"


bootstrap() { echo "KAFKA_BOOTSTRAP_SERVERS=127.0.0.1:${PORT}"; }


# --- the jars --------------------------------------------------------------------------

ensure_libs() {
    local want stamp="$LIBS/.pom.sha256"
    want="$(sha256sum "$POM" | cut -d' ' -f1)"
    if [[ -f "$stamp" && "$(cat "$stamp")" == "$want" ]]; then return 0; fi
    command -v mvn >/dev/null 2>&1 || die "mvn not found (apt-get install maven)"
    log "fetching Kafka $KAFKA_VERSION jars from Maven Central into $LIBS"
    local tmp="$LIBS.tmp.$$"
    rm -rf "$tmp"
    mkdir -p "$tmp"
    if ! mvn -B -q -Dstyle.color=never -f "$POM" \
        dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="$tmp" \
        >"$tmp.mvn.log" 2>&1; then
        tail -n 40 "$tmp.mvn.log" >&2
        rm -rf "$tmp" "$tmp.mvn.log"
        die "mvn dependency:copy-dependencies failed"
    fi
    rm -f "$tmp.mvn.log"
    ls "$tmp"/kafka_2.13-"$KAFKA_VERSION".jar >/dev/null || die "kafka_2.13-$KAFKA_VERSION.jar missing"
    echo "$want" >"$tmp/.pom.sha256"
    rm -rf "$LIBS"
    mv "$tmp" "$LIBS"
}

check_java() {
    command -v "$JAVA" >/dev/null 2>&1 || die "java not found (Kafka $KAFKA_VERSION needs Java 17+)"
    local v
    v="$("$JAVA" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p')"
    [[ "${v%%.*}" -ge 17 ]] 2>/dev/null || die "Java $v found, Kafka $KAFKA_VERSION needs 17+"
}

# --- configuration ---------------------------------------------------------------------

write_config() {
    mkdir -p "$DATA" "$LOGS"
    cat >"$PROPS" <<EOF
# Written by deploy/local/kafka.sh at each start: edit the script, not this file.
# One node, KRaft, broker and controller in one process, loopback only.
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:${CONTROLLER_PORT}
listeners=PLAINTEXT://127.0.0.1:${PORT},CONTROLLER://127.0.0.1:${CONTROLLER_PORT}
advertised.listeners=PLAINTEXT://127.0.0.1:${PORT}
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
inter.broker.listener.name=PLAINTEXT
controller.listener.names=CONTROLLER

log.dirs=${DATA}
num.partitions=3
default.replication.factor=1
min.insync.replicas=1
auto.create.topics.enable=${AUTO_CREATE}
delete.topic.enable=true

# internal topics: one replica, fewer partitions than the defaults (50) on a 2-core box
offsets.topic.replication.factor=1
offsets.topic.num.partitions=10
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=10
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0

num.network.threads=2
num.io.threads=4
num.recovery.threads.per.data.dir=1
log.retention.hours=168
log.segment.bytes=134217728
EOF
    cat >"$LOG4J" <<EOF
<?xml version="1.0" encoding="UTF-8"?>
<!-- Written by deploy/local/kafka.sh: broker log to ${LOGS}/server.log, errors also to console.out.
     shutdownHook="disable": keep logging while the broker shuts down on SIGTERM. -->
<Configuration status="WARN" shutdownHook="disable">
  <Appenders>
    <RollingFile name="server" fileName="${LOGS}/server.log" filePattern="${LOGS}/server.log.%i">
      <PatternLayout pattern="[%d{ISO8601}] %p %m (%c)%n"/>
      <SizeBasedTriggeringPolicy size="50 MB"/>
      <DefaultRolloverStrategy max="3"/>
    </RollingFile>
    <Console name="console" target="SYSTEM_ERR">
      <PatternLayout pattern="[%d{ISO8601}] %p %m (%c)%n"/>
      <ThresholdFilter level="ERROR" onMatch="ACCEPT" onMismatch="DENY"/>
    </Console>
  </Appenders>
  <Loggers>
    <Root level="INFO">
      <AppenderRef ref="server"/>
      <AppenderRef ref="console"/>
    </Root>
    <Logger name="kafka.request.logger" level="WARN"/>
    <Logger name="kafka.network.RequestChannel\$" level="WARN"/>
    <Logger name="org.apache.kafka.clients" level="WARN"/>
    <Logger name="org.apache.kafka.common.utils.AppInfoParser" level="WARN"/>
    <Logger name="state.change.logger" level="WARN"/>
  </Loggers>
</Configuration>
EOF
}

java_opts() {
    # HEAP is a list of flags: split on spaces on purpose
    read -r -a JAVA_OPTS <<<"$HEAP"
    JAVA_OPTS+=(-XX:+UseG1GC -XX:MaxGCPauseMillis=20 -XX:InitiatingHeapOccupancyPercent=35
        -XX:+ExplicitGCInvokesConcurrent -XX:+ExitOnOutOfMemoryError -Djava.awt.headless=true
        "-Dlog4j2.configurationFile=$LOG4J" "-Dkafka.logs.dir=$LOGS")
}

format_storage() {
    [[ -f "$DATA/meta.properties" ]] && return 0
    local cid
    if [[ -s "$KAFKA_DIR/cluster.id" ]]; then
        cid="$(cat "$KAFKA_DIR/cluster.id")"
    else
        # a Kafka Uuid: 16 random bytes, base64url without padding, not starting with '-'
        cid="-"
        while [[ "$cid" == -* ]]; do
            cid="$(head -c 16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n')"
        done
        echo "$cid" >"$KAFKA_DIR/cluster.id"
    fi
    log "formatting storage $DATA (cluster id $cid)"
    # Static voters (controller.quorum.voters), so no --standalone: that flag is for a
    # dynamic quorum (controller.quorum.bootstrap.servers).
    java_opts
    "$JAVA" "${JAVA_OPTS[@]}" -cp "$LIBS/*" kafka.tools.StorageTool \
        format --ignore-formatted -t "$cid" -c "$PROPS" >"$LOGS/format.log" 2>&1 9>&- \
        || { tail -n 30 "$LOGS/format.log" >&2; die "kafka-storage format failed"; }
}

# --- the process -----------------------------------------------------------------------

# Is $1 our broker: a live process started with our server.properties?
is_ours() {
    local pid="$1"
    [[ -n "$pid" ]] && is_alive "$pid" || return 1
    tr '\0' '\n' 2>/dev/null <"/proc/$pid/cmdline" | grep -qxF "$PROPS"
}


# Alive, and not a zombie waiting to be reaped (our own child, when startup fails).


# Does the broker answer a Kafka request? An ApiVersions round trip, stdlib only.
answers() {
    if ! command -v python3 >/dev/null 2>&1; then port_open "$PORT"; return; fi
    python3 - "$PORT" <<'EOF' 2>/dev/null
import socket, struct, sys
client = b"gsi-probe"
body = struct.pack(">hhih", 18, 0, 4242, len(client)) + client  # ApiVersions v0
with socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=3) as s:
    s.settimeout(3)
    s.sendall(struct.pack(">i", len(body)) + body)
    buf = b""
    while len(buf) < 10:
        chunk = s.recv(65536)
        if not chunk:
            sys.exit(1)
        buf += chunk
_, corr, err = struct.unpack(">iih", buf[:10])
sys.exit(0 if corr == 4242 and err == 0 else 1)
EOF
}

wait_ready() {
    local pid="$1" deadline=$((SECONDS + START_TIMEOUT))
    while ((SECONDS < deadline)); do
        if ! is_alive "$pid"; then
            log "broker exited during startup; last lines of $LOGS/server.log and $CONSOLE:"
            tail -n 40 "$LOGS/server.log" >&2 2>/dev/null || true
            tail -n 20 "$CONSOLE" >&2 2>/dev/null || true
            exit 1
        fi
        if answers && grep -q "Kafka Server started" "$LOGS/server.log" 2>/dev/null; then
            return 0
        fi
        sleep 0.5
    done
    log "broker not ready after ${START_TIMEOUT} s; last lines of $LOGS/server.log:"
    tail -n 40 "$LOGS/server.log" >&2 2>/dev/null || true
    tail -n 20 "$CONSOLE" >&2 2>/dev/null || true
    exit 1
}

cmd_start() {
    mkdir -p "$KAFKA_DIR"
    with_lock
    local pid
    if pid="$(find_pid)"; then
        echo "$pid" >"$PIDFILE"
        log "already running (pid $pid, 127.0.0.1:$PORT)"
        # started by someone else a moment ago: wait for it too
        answers || wait_ready "$pid"
        bootstrap
        return 0
    fi
    if port_open "$PORT" || port_open "$CONTROLLER_PORT"; then
        die "port $PORT or $CONTROLLER_PORT is taken by another process"
    fi
    check_java
    ensure_libs
    write_config
    format_storage
    # a fresh server.log per start, so the readiness check reads this start's lines
    [[ -f "$LOGS/server.log" ]] && mv -f "$LOGS/server.log" "$LOGS/server.log.prev"
    log "starting Kafka $KAFKA_VERSION on 127.0.0.1:$PORT (data $DATA, log $LOGS/server.log)"
    java_opts
    setsid "$JAVA" "${JAVA_OPTS[@]}" -cp "$LIBS/*" kafka.Kafka "$PROPS" \
        </dev/null >"$CONSOLE" 2>&1 9>&- &
    pid=$!
    echo "$pid" >"$PIDFILE"
    wait_ready "$pid"
    log "ready (pid $pid)"
    bootstrap
}

cmd_stop() { stop_server "$KAFKA_DIR"; }

cmd_status() {
    local pid
    if pid="$(find_pid)" && answers; then
        log "running (pid $pid, Kafka $KAFKA_VERSION, 127.0.0.1:$PORT)"
        return 0
    fi
    log "not running"
    return 1
}

case "${1:-}" in
    start) cmd_start ;;
    stop) cmd_stop ;;
    status) cmd_status ;;
    env) bootstrap ;;
    *) echo "usage: $0 {start|stop|status|env}" >&2; exit 2 ;;
esac
