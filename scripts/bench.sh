#!/usr/bin/env bash
# make bench: throughput on PostgreSQL + Kafka next to the raw drivers.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
exec scripts/with-infra.sh uv run python -m bench.run "$@"
