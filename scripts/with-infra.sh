#!/usr/bin/env bash
# Run a command with the local PostgreSQL and Kafka (and, for a test run, Keycloak) up and their
# addresses exported; stop afterwards whichever of them this script had to start.
set -euo pipefail
cd "$(dirname "$0")/.."
started=()
keycloak_starter=""
cleanup() {
  [ -z "$keycloak_starter" ] || wait "$keycloak_starter" 2>/dev/null || true
  for server in "${started[@]}"; do deploy/local/"$server".sh stop >/dev/null || true; done
}
trap cleanup EXIT
# A test run (GSI_REQUIRE_INFRA=1, set by scripts/test.sh) also needs Keycloak for the portal's
# sign-in test. It takes about a minute to start: started first, in the background, the test waits
# for it (keycloak.sh start is idempotent and waits for a start under way).
if [ "${GSI_REQUIRE_INFRA:-}" = "1" ] && ! deploy/local/keycloak.sh status >/dev/null 2>&1; then
  deploy/local/keycloak.sh start >/dev/null 2>"${TMPDIR:-/tmp}/gsi-keycloak-start.log" &
  keycloak_starter=$!
  started+=(keycloak)
fi
export "$(deploy/local/keycloak.sh env)"
for server in postgres kafka; do
  if ! deploy/local/"$server".sh status >/dev/null 2>&1; then
    deploy/local/"$server".sh start >/dev/null
    started+=("$server")
  fi
done
export "$(deploy/local/postgres.sh env)" "$(deploy/local/kafka.sh env)"
"$@"
