#!/usr/bin/env bash
# Install what the project needs to run, from the package registries only: uv (PyPI), then the
# locked Python dependencies (uv.lock), and Debian's chromium for the portal's browser tests.
# Idempotent; used by `make run` and `make test`.
set -euo pipefail
cd "$(dirname "$0")/.."

UV_VERSION=0.13.9
if ! command -v uv >/dev/null 2>&1; then
  echo "setup: installing uv ${UV_VERSION} from PyPI" >&2
  python3 -m pip install --quiet "uv==${UV_VERSION}"
fi
# Never let uv fetch a Python build: the machine's python3 (>= 3.11) is the interpreter.
export UV_PYTHON_DOWNLOADS=never
uv sync --frozen --quiet

# Debian's packages the tests drive: chromium for the portal's browser tests (Playwright's own
# browser download is not reachable from here), haproxy in front of the replicated topology's
# service replicas (deploy/local/cluster.sh), and promtool (package prometheus) to check the
# alert rules of deploy/observability. As deploy/local/postgres.sh installs PostgreSQL.
missing=()
[ -x /usr/bin/chromium ] || missing+=(chromium)
command -v haproxy >/dev/null 2>&1 || [ -x /usr/sbin/haproxy ] || missing+=(haproxy)
command -v promtool >/dev/null 2>&1 || missing+=(prometheus)
if [ "${#missing[@]}" -gt 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "setup: installing ${missing[*]} (Debian)" >&2
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
