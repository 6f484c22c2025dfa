#!/usr/bin/env bash
# make bench: throughput and latency figures on PostgreSQL + Kafka, next to the raw drivers.
# Figures are printed, never asserted: the machine decides them.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
if ! command -v wrk >/dev/null 2>&1; then
  echo "bench: installing wrk (Debian package) for the HTTP load" >&2
  (apt-get install -y -q wrk >/dev/null 2>&1 || (apt-get update -q >/dev/null && apt-get install -y -q wrk >/dev/null))
fi
run() { scripts/with-infra.sh uv run python -m "$@"; }
echo "== kernel: event store and outbox relay vs raw drivers"
run bench.run
echo "== eligibility engine (in-process)"
run bench.eligibility
echo "== personal-data sealing (in-process and on PostgreSQL)"
run bench.privacy
echo "== registration API on PostgreSQL + Kafka"
run bench.registration
run bench.search
