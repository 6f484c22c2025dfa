# Sourced by kafka.sh and kafka-cluster.sh (after daemon.sh): what running an Apache Kafka
# node needs, written once. The sourcing script sets REPO_ROOT, POM, KAFKA_VERSION, LIBS, JAVA,
# HEAP and, for the node it works on, KAFKA_DIR, DATA, LOGS, PROPS, LOG4J, CONSOLE, PORT,
# START_TIMEOUT and CLUSTER_ID_FILE (one id shared by every node of a cluster); its own
# write_config writes server.properties, then calls write_log4j.

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

write_log4j() {
    mkdir -p "$DATA" "$LOGS"
    cat >"$LOG4J" <<EOF
<?xml version="1.0" encoding="UTF-8"?>
<!-- Written by deploy/local/${SCRIPT}: broker log to ${LOGS}/server.log, errors also to console.out.
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
    if [[ -s "$CLUSTER_ID_FILE" ]]; then
        cid="$(cat "$CLUSTER_ID_FILE")"
    else
        # a Kafka Uuid: 16 random bytes, base64url without padding, not starting with '-'
        cid="-"
        while [[ "$cid" == -* ]]; do
            cid="$(head -c 16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n')"
        done
        echo "$cid" >"$CLUSTER_ID_FILE"
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

