"""/ready tells the truth about the instance's background workers when several processes serve
(GSI_HTTP_WORKERS=2, on PostgreSQL + Kafka): the serving processes report the supervising
process's relay, projections and consumers; a frozen supervisor makes them unready, and a
killed one takes them with it (nobody would replace them; they would hold the port and their
database connections)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import create_engine, text

from tests.processes import children_of, running

pytestmark = [pytest.mark.faults, pytest.mark.postgres, pytest.mark.kafka]

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _ready(base: str) -> tuple[int, dict[str, Any]] | None:
    try:
        answer = httpx.get(f"{base}/ready", timeout=5)
    except httpx.HTTPError:
        return None
    return answer.status_code, answer.json()


def _until(condition: Callable[[], Any], what: str, timeout_s: float = 60) -> Any:
    deadline = time.monotonic() + timeout_s
    while not (value := condition()):
        assert time.monotonic() < deadline, f"timed out waiting until {what}"
        time.sleep(0.25)
    return value


@pytest.fixture
def reporting(
    tmp_path: Path, postgres_url: str, kafka_bootstrap: str
) -> Iterator[tuple[subprocess.Popen[bytes], str]]:
    schema = f"faults_{uuid.uuid4().hex[:8]}_reporting"
    port = _free_port()
    env = {
        **os.environ,
        "GSI_BUS": "kafka",
        "GSI_KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap,
        "GSI_KAFKA_NAMESPACE": f"faults-{uuid.uuid4().hex[:8]}.",
        "GSI_DATABASE_URL": postgres_url,
        "GSI_REPORTING_DB_SCHEMA": schema,
        "GSI_DATA_DIR": str(tmp_path),
        "GSI_HTTP_WORKERS": "2",
        "GSI_HTTP_PORT": str(port),
    }
    with (tmp_path / "reporting.log").open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "reporting", "serve"], env=env, cwd=ROOT, stdout=log, stderr=log
        )
    try:
        yield process, f"http://127.0.0.1:{port}"
    finally:
        if process.poll() is None:
            os.kill(process.pid, signal.SIGCONT)
            process.terminate()
            process.wait(60)
        engine = create_engine(postgres_url)
        with engine.begin() as connection:
            connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        engine.dispose()


def _serving_processes(supervisor: int) -> list[int]:
    """The supervisor's serving processes: the workers of gunicorn's arbiter, its child (ADR 32)."""
    return [pid for arbiter in children_of(supervisor) for pid in children_of(arbiter)]


def test_ready_reports_the_supervisors_workers_and_a_frozen_supervisor_makes_it_unready(
    reporting: tuple[subprocess.Popen[bytes], str],
) -> None:
    process, base = reporting
    _, body = _until(lambda: (r := _ready(base)) and r[0] == 200 and r, "reporting is ready", 180)
    # The serving process that answered runs no worker: it reports the supervisor's.
    assert {"database", "outbox-relay", "projections"} <= body["checks"].keys(), body
    assert len(body["checks"]) > 3, "the consumers too"
    assert all(v == "ok" for v in body["checks"].values()), body
    assert body["consumers"].keys() <= body["checks"].keys()
    assert body["consumers"], "each consumer's lag, partitions, last poll and restarts"
    assert all(f["restarts"] == 0 for f in body["consumers"].values()), body["consumers"]

    os.kill(process.pid, signal.SIGSTOP)  # the supervisor and its workers stop; serving goes on
    try:
        _, body = _until(lambda: (r := _ready(base)) and r[0] == 503 and r, "unready", 30)
        assert body["status"] == "unavailable"
        assert body["checks"]["workers"].startswith("error: the supervising process last reported")
        assert body["checks"]["database"] == "ok"
    finally:
        os.kill(process.pid, signal.SIGCONT)
    _until(lambda: (r := _ready(base)) and r[0] == 200, "ready again", 30)


def test_the_serving_processes_end_with_a_killed_supervisor(
    reporting: tuple[subprocess.Popen[bytes], str],
) -> None:
    process, base = reporting
    _until(lambda: (r := _ready(base)) and r[0] == 200, "reporting is ready", 180)
    serving = _serving_processes(process.pid)
    assert len(serving) == 2, serving
    process.kill()
    process.wait(10)
    _until(lambda: _ready(base) is None, "nobody answers on the port", 30)
    _until(lambda: not any(running(pid) for pid in serving), "the serving processes end", 30)
