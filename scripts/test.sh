#!/usr/bin/env bash
# The whole test suite, as CI runs it: static checks, then every test tier against real
# PostgreSQL and Apache Kafka, which scripts/with-infra.sh starts (and stops if it started them).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh

echo "== lint (ruff), types (mypy), architecture (import-linter)"
uv run ruff check .
uv run ruff format --check .
uv run mypy shared/src services/*/src scripts bench deploy/observability
uv run lint-imports

echo "== tests (unit, contract, integration, api, e2e) against PostgreSQL and Kafka"
# A test that cannot reach its server fails instead of skipping.
set +e
# Two lanes (ADR 36): the process tiers one after the other in one, the in-process modules
# spread over both.
GSI_REQUIRE_INFRA=1 scripts/with-infra.sh uv run pytest -n 2 --no-loadscope-reorder "$@"
status=$?
set -e
if [ "$status" -eq 5 ]; then
  echo "test: pytest collected no test — that is a failure here" >&2
  exit 1
fi
exit "$status"
