#!/usr/bin/env bash
# Three Apache Kafka brokers on this machine (KRaft, each node broker+controller, a static
# three-voter quorum, no Docker): the replicated topology of deploy/local/cluster.sh. Topics get
# three replicas by default and accept a write once two of them have it (min.insync.replicas=2,
# the producers' acks=all), so one broker may die without losing an acknowledged message.
#
#   deploy/local/kafka-cluster.sh start          start the three (idempotent), wait until they answer
#   deploy/local/kafka-cluster.sh stop           stop them (idempotent): SIGTERM, SIGKILL after 60 s
#   deploy/local/kafka-cluster.sh status         exit 0 when all three run and answer
#   deploy/local/kafka-cluster.sh env            print KAFKA_BOOTSTRAP_SERVERS=a,b,c only
#   deploy/local/kafka-cluster.sh kill N         kill -9 broker N (1-3): a crash, for tests
#   deploy/local/kafka-cluster.sh start-one N    start broker N again (the other two running)
#
# Environment: GSI_KAFKA_CLUSTER_DIR (default /var/tmp/gsi-kafka-cluster; node N in <dir>/N),
# GSI_KAFKA_CLUSTER_PORT (29092: brokers on 29092-29094), GSI_KAFKA_CLUSTER_CONTROLLER_PORT
# (29192: controllers on 29192-29194), GSI_KAFKA_CLUSTER_HEAP (-Xms128m -Xmx384m),
# GSI_CACHE_DIR, JAVA_HOME as for kafka.sh (the same jars).
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
SCRIPT=kafka-cluster.sh
# shellcheck source=deploy/local/daemon.sh
source "$HERE/daemon.sh"
# shellcheck source=deploy/local/kafka-lib.sh
source "$HERE/kafka-lib.sh"
REPO_ROOT="$(cd "$HERE/../.." && pwd)"
POM="$HERE/kafka/pom.xml"
KAFKA_VERSION="$(sed -n 's:.*<kafka.version>\(.*\)</kafka.version>.*:\1:p' "$POM" | head -n 1)"
[[ -n "$KAFKA_VERSION" ]] || die "no <kafka.version> in $POM"

ROOT="${GSI_KAFKA_CLUSTER_DIR:-/var/tmp/gsi-kafka-cluster}"
BASE_PORT="${GSI_KAFKA_CLUSTER_PORT:-29092}"
BASE_CONTROLLER_PORT="${GSI_KAFKA_CLUSTER_CONTROLLER_PORT:-29192}"
CACHE_DIR="${GSI_CACHE_DIR:-$REPO_ROOT/.cache}"
LIBS="$CACHE_DIR/kafka-$KAFKA_VERSION/libs"
HEAP="${GSI_KAFKA_CLUSTER_HEAP:--Xms128m -Xmx384m}"
JAVA="${JAVA_HOME:+$JAVA_HOME/bin/}java"
NODES=(1 2 3)
CLUSTER_ID_FILE="$ROOT/cluster.id"
LOCK="$ROOT.lock"  # one lock for the whole cluster: start, stop, kill and start-one serialise
START_TIMEOUT=120  # three JVMs starting at once on a small machine

bootstrap() {
    local n servers=()
    for n in "${NODES[@]}"; do servers+=("127.0.0.1:$((BASE_PORT + n - 1))"); done
    local IFS=,
    echo "KAFKA_BOOTSTRAP_SERVERS=${servers[*]}"
}

voters() {
    local n voters=()
    for n in "${NODES[@]}"; do voters+=("$n@127.0.0.1:$((BASE_CONTROLLER_PORT + n - 1))"); done
    local IFS=,
    echo "${voters[*]}"
}

# Point the per-node globals that kafka-lib.sh and daemon.sh read at node $1.
node() {
    [[ "$1" =~ ^[1-3]$ ]] || die "no broker '$1' (1, 2 or 3)"
    N="$1"
    KAFKA_DIR="$ROOT/$N"
    PORT=$((BASE_PORT + N - 1))
    CONTROLLER_PORT=$((BASE_CONTROLLER_PORT + N - 1))
    PROPS="$KAFKA_DIR/server.properties"
    LOG4J="$KAFKA_DIR/log4j2.xml"
    DATA="$KAFKA_DIR/data"
    LOGS="$KAFKA_DIR/logs"
    PIDFILE="$KAFKA_DIR/kafka.pid"
    CONSOLE="$LOGS/console.out"
}

write_config() {
    mkdir -p "$DATA" "$LOGS"
    cat >"$PROPS" <<EOF
# Written by deploy/local/kafka-cluster.sh at each start: edit the script, not this file.
# Node ${N} of three, KRaft, broker and controller in one process, loopback only.
process.roles=broker,controller
node.id=${N}
controller.quorum.voters=$(voters)
listeners=PLAINTEXT://127.0.0.1:${PORT},CONTROLLER://127.0.0.1:${CONTROLLER_PORT}
advertised.listeners=PLAINTEXT://127.0.0.1:${PORT}
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
inter.broker.listener.name=PLAINTEXT
controller.listener.names=CONTROLLER

log.dirs=${DATA}
num.partitions=3
# Every topic on the three brokers; a write is acknowledged (acks=all) once two have it, and a
# replica that fell behind never becomes leader (it would drop acknowledged messages).
default.replication.factor=3
min.insync.replicas=2
unclean.leader.election.enable=false
auto.create.topics.enable=false
delete.topic.enable=true

# internal topics replicated as the others, fewer partitions than the defaults (50)
offsets.topic.replication.factor=3
offsets.topic.num.partitions=10
transaction.state.log.replication.factor=3
transaction.state.log.min.isr=2
transaction.state.log.num.partitions=10
share.coordinator.state.topic.replication.factor=3
share.coordinator.state.topic.min.isr=2
group.initial.rebalance.delay.ms=0

num.network.threads=2
num.io.threads=2
num.recovery.threads.per.data.dir=1
log.retention.hours=168
log.segment.bytes=134217728
EOF
    write_log4j
}

# Launch node N's JVM in the background (no wait); the caller waits with wait_ready.
launch() {
    node "$1"
    mkdir -p "$KAFKA_DIR"
    local pid
    if pid="$(find_pid)"; then
        echo "$pid" >"$PIDFILE"
        log "broker $N already running (pid $pid, 127.0.0.1:$PORT)"
        return 0
    fi
    if port_open "$PORT" || port_open "$CONTROLLER_PORT"; then
        die "port $PORT or $CONTROLLER_PORT is taken by another process"
    fi
    write_config
    format_storage
    [[ -f "$LOGS/server.log" ]] && mv -f "$LOGS/server.log" "$LOGS/server.log.prev"
    log "starting broker $N on 127.0.0.1:$PORT (data $DATA, log $LOGS/server.log)"
    java_opts
    setsid "$JAVA" "${JAVA_OPTS[@]}" -cp "$LIBS/*" kafka.Kafka "$PROPS" \
        </dev/null >"$CONSOLE" 2>&1 9>&- &
    echo $! >"$PIDFILE"
}

await() {
    node "$1"
    local pid
    pid="$(find_pid)" || die "broker $N is not running; see $LOGS/server.log"
    answers || wait_ready "$pid"
    log "broker $N ready (pid $pid)"
}

prepare() {
    mkdir -p "$ROOT"
    with_lock
    check_java
    ensure_libs
}

cmd_start() {
    prepare
    local n
    # All three first: none is ready before a quorum of controllers (two) elected a leader.
    for n in "${NODES[@]}"; do launch "$n"; done
    for n in "${NODES[@]}"; do await "$n"; done
    bootstrap
}

cmd_start_one() {
    node "$1"  # validate before taking the lock
    prepare
    launch "$1"
    await "$1"
}

cmd_kill() {
    node "$1"
    mkdir -p "$ROOT"
    with_lock
    local pid
    pid="$(find_pid)" || { log "broker $N not running"; return 0; }
    kill -KILL "$pid"
    while is_alive "$pid"; do sleep 0.1; done
    rm -f "$PIDFILE"
    log "broker $N killed (pid $pid, SIGKILL)"
}

cmd_stop() {
    [[ -d "$ROOT" ]] || { log "not running"; return 0; }
    local n pid pids=()
    mkdir -p "$ROOT"
    with_lock
    # SIGTERM to all at once: stopped one by one, the last would wait for a quorum that is gone.
    for n in "${NODES[@]}"; do
        node "$n"
        if pid="$(find_pid)"; then kill -TERM "$pid" 2>/dev/null || true; pids+=("$pid"); fi
        rm -f "$PIDFILE"
    done
    for pid in "${pids[@]}"; do
        for _ in $(seq 1 120); do is_alive "$pid" || break; sleep 0.5; done
        if is_alive "$pid"; then
            log "pid $pid still alive after 60 s: SIGKILL"
            kill -KILL "$pid" 2>/dev/null || true
            while is_alive "$pid"; do sleep 0.2; done
        fi
    done
    log "stopped"
}

cmd_status() {
    local n pid status=0
    for n in "${NODES[@]}"; do
        node "$n"
        if pid="$(find_pid)" && answers; then
            log "broker $N running (pid $pid, 127.0.0.1:$PORT)"
        else
            log "broker $N not running"
            status=1
        fi
    done
    return "$status"
}

case "${1:-}" in
    start) cmd_start ;;
    stop) cmd_stop ;;
    status) cmd_status ;;
    env) bootstrap ;;
    kill) cmd_kill "${2:-}" ;;
    start-one) cmd_start_one "${2:-}" ;;
    *) echo "usage: $0 {start|stop|status|env|kill N|start-one N}" >&2; exit 2 ;;
esac
