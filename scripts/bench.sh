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
exec scripts/with-infra.sh bash -c '
  set -e
  echo "== kernel: event store and outbox relay vs raw drivers"; uv run python -m bench.run
  echo "== eligibility engine (in-process)"; uv run python -m bench.eligibility
  echo "== personal-data sealing (in-process and on PostgreSQL)"; uv run python -m bench.privacy
  echo "== registration API on PostgreSQL + Kafka"; uv run python -m bench.registration; uv run python -m bench.search
  echo "== conformity checks C1-C8 (in-process)"; uv run python -m bench.conformity
  echo "== import files: CSV and XLSX parsing (in-process)"; uv run python -m bench.import_files
  echo "== interventions on PostgreSQL + Kafka"; uv run python -m bench.interventions
  echo "== POST /interventions vs a bare FastAPI endpoint (same body model, one INSERT), at saturation"; uv run python -m bench.peers.endpoint
  echo "== reporting: verify, queue and dashboards on PostgreSQL"; uv run python -m bench.reporting
  echo "== notifications: e-mail delivery on PostgreSQL + Kafka"; uv run python -m bench.notifications
  echo "== portal: page server time, 50 signed-in users, on PostgreSQL + Kafka"; uv run python -m bench.portal_pages
  echo "== portal: reviewer pages, 20 signed-in reviewers, a 2,000-intervention report"; uv run python -m bench.portal_reviewers
  echo "== deadline week: 120 organizations, one replica vs three per service behind HAProxy (issue 22)"; uv run python -m bench.deadline_week
  echo "== performance machinery, each piece on vs off, interleaved (ADR 24)"; uv run python -m bench.machinery
'
