#!/usr/bin/env bash
# The replicated local topology (issue 22), no Docker: three Kafka brokers (kafka-cluster.sh),
# PostgreSQL (postgres.sh, database gsi_cluster on the same server), N replicas of each of the
# four services and of the portal (each its own process and port), and one HAProxy with a
# frontend per service in front of its replicas. Loopback only.
#
#   deploy/local/cluster.sh start    start what is not running, wait until everything is ready
#   deploy/local/cluster.sh stop     stop HAProxy, the replicas and the brokers (PostgreSQL stays:
#                                    other runs share it; postgres.sh stop stops it)
#   deploy/local/cluster.sh status   exit 0 when every replica, HAProxy and every broker answer
#
# Environment: GSI_CLUSTER_REPLICAS (2), GSI_CLUSTER_BASE_PORT (28000: the frontends on
# 28000-28004 — portal, registration, interventions, reporting, notifications —, HAProxy's stats
# page on 28009, replicas on 28011.., 28021.., …), GSI_CLUSTER_HTTP_WORKERS (1 serving process
# per replica), GSI_CLUSTER_DIR (/var/tmp/gsi-cluster), GSI_CLUSTER_NAMESPACE (a prefix of the
# topics, groups and schemas; empty), and the brokers' and PostgreSQL's own (see README.md).
# Any other GSI_* variable set here reaches every replica (e.g. GSI_RELAY_LEASE_TTL_S).
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "$HERE/../.." && pwd)"
export GSI_CLUSTER_DIR="${GSI_CLUSTER_DIR:-/var/tmp/gsi-cluster}"

topology() { (cd "$REPO_ROOT" && uv run --quiet python -m scripts.cluster "$@"); }

case "${1:-}" in
    start)
        command -v haproxy >/dev/null 2>&1 || [[ -x /usr/sbin/haproxy ]] \
            || { echo "cluster.sh: haproxy not found (apt-get install haproxy; scripts/setup.sh does)" >&2; exit 1; }
        export "$("$HERE/postgres.sh" start | tail -n 1)"
        export "$("$HERE/kafka-cluster.sh" start | tail -n 1)"
        topology start
        ;;
    stop)
        topology stop
        "$HERE/kafka-cluster.sh" stop
        ;;
    status)
        status=0
        topology status || status=1
        "$HERE/kafka-cluster.sh" status || status=1
        exit "$status"
        ;;
    *) echo "usage: $0 {start|stop|status}" >&2; exit 2 ;;
esac
