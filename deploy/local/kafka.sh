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
# shellcheck source=deploy/local/kafka-lib.sh
source "$HERE/kafka-lib.sh"
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
CLUSTER_ID_FILE="$KAFKA_DIR/cluster.id"

JAVA="${JAVA_HOME:+$JAVA_HOME/bin/}java"


bootstrap() { echo "KAFKA_BOOTSTRAP_SERVERS=127.0.0.1:${PORT}"; }


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
    write_log4j
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
