#!/usr/bin/env bash
# Run a command with the local PostgreSQL and Kafka up and their addresses exported; stop
# afterwards whichever of them this script had to start.
set -euo pipefail
cd "$(dirname "$0")/.."
started=()
cleanup() {
  for server in "${started[@]}"; do deploy/local/"$server".sh stop >/dev/null || true; done
}
trap cleanup EXIT
for server in postgres kafka; do
  if ! deploy/local/"$server".sh status >/dev/null 2>&1; then
    deploy/local/"$server".sh start >/dev/null
    started+=("$server")
  fi
done
export "$(deploy/local/postgres.sh env)" "$(deploy/local/kafka.sh env)"
"$@"
