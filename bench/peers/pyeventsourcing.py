"""pyeventsourcing's PostgreSQL recorder as a peer of the kernel's single-event append
(issue 23), run in a virtual environment of its own that the bench makes under
``.cache/bench-peers/`` (``uv venv`` + ``uv pip install``): the library and the project share
nothing but the database. The recorder's own script (``pyeventsourcing_recorder.py``) runs
there and prints its figures as JSON.

The environment gets the project's psycopg version with its C implementation
(``psycopg[binary]``): the library's extra alone brings the pure-Python one, and the peer
would then pay for a slower driver, not for its own design.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from importlib import metadata
from pathlib import Path

from sqlalchemy import make_url

from bench.peers.measure import application
from bench.peers.rounds import Figures
from bench.peers.workload import PAYLOAD, drop_schema, new_schema

VERSION = "9.5.6"
ROOT = Path(__file__).resolve().parents[2]
VENV = ROOT / ".cache" / "bench-peers" / f"eventsourcing-{VERSION}"
SCRIPT = Path(__file__).with_name("pyeventsourcing_recorder.py")
PASSWORD = "GSI_PEER_PASSWORD"  # the database password, for the script (never on its command line)


def requirements() -> list[str]:
    return [f"eventsourcing[postgres]=={VERSION}", f"psycopg[binary]=={metadata.version('psycopg')}"]


def python() -> Path:
    """The peer environment's interpreter, made on first use; RuntimeError if it cannot be."""
    interpreter = VENV / "bin" / "python"
    marker = VENV / "requirements.txt"
    wanted = "\n".join(requirements())
    if interpreter.exists() and marker.exists() and marker.read_text() == wanted:
        return interpreter
    if shutil.which("uv") is None:
        raise RuntimeError("uv is needed to make pyeventsourcing's environment")
    commands = (
        ["uv", "venv", "--quiet", "--allow-existing", "--python", sys.executable, str(VENV)],
        ["uv", "pip", "install", "--quiet", "--python", str(interpreter), *requirements()],
    )
    for command in commands:
        done = subprocess.run(command, capture_output=True, text=True, check=False)
        if done.returncode:
            raise RuntimeError(f"{' '.join(command[:3])}: {done.stderr.strip()[-500:]}")
    marker.write_text(wanted)
    return interpreter


def recorder(url: str, count: int, writers: int = 1) -> Figures:
    """``count`` single-event appends through the recorder by ``writers`` threads at once, in a
    fresh schema (dropped after)."""
    interpreter, address = python(), make_url(url)
    schema = new_schema(url)
    command = [
        str(interpreter), str(SCRIPT),
        "--host", address.host or "127.0.0.1", "--port", str(address.port or 5432),
        "--dbname", address.database or "", "--user", address.username or "",
        "--schema", schema, "--count", str(count), "--writers", str(writers),
        "--payload", json.dumps(PAYLOAD),
    ]  # fmt: skip
    try:
        done = subprocess.run(
            command,
            env={**os.environ, PASSWORD: address.password or "", "PGAPPNAME": application()},
            capture_output=True,
            text=True,
            check=False,
        )
    finally:
        drop_schema(url, schema)
    if done.returncode:
        raise RuntimeError(f"pyeventsourcing's recorder failed: {done.stderr.strip()[-1000:]}")
    return parse(done.stdout)


def parse(output: str) -> Figures:
    """The figures of the script's last line."""
    return Figures(**json.loads(output.strip().splitlines()[-1]))
