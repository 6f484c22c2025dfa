#!/usr/bin/env bash
# Install what the project needs to run, from the package registries only: uv (PyPI), then the
# locked Python dependencies (uv.lock). Idempotent; used by `make run` and `make test`.
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
