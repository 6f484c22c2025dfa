"""Several serving processes on one port under gunicorn (gsi_kernel.serving, ADR 32): every
process serves, gunicorn replaces one that dies or whose event loop is stuck but not one still
starting, a broken app ends the lot, SIGTERM lets requests finish and leaves no process behind,
and a killed supervisor takes gunicorn and its workers with it. With a real service, /ready
from any serving process reports the supervisor's one set of background workers."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

import httpx

from tests.metrics_support import value
from tests.processes import children_of, running

ROOT = Path(__file__).resolve().parents[2]

_SUPERVISOR = """
import os, sys
from gsi_kernel.serving import Serving, serve_from
app, port, timeout_s, start_within_s = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
serving = Serving(app, "127.0.0.1", port, workers=3, timeout_s=timeout_s, graceful_timeout_s=10,
                  start_within_s=start_within_s)
serve_from(serving, os.environ)
"""


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _listeners(port: int) -> int:
    """Sockets listening on ``port`` (state 0A in /proc/net/tcp)."""
    with open("/proc/net/tcp") as table:
        rows = [line.split() for line in table.readlines()[1:]]
    return sum(1 for row in rows if int(row[1].split(":")[1], 16) == port and row[3] == "0A")


def _until(condition: Callable[[], Any], what: str, timeout_s: float = 30) -> Any:
    deadline = time.monotonic() + timeout_s
    while not (value := condition()):
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting until {what}")
        time.sleep(0.1)
    return value


def _descendants(pid: int) -> list[int]:
    found, pending = [], [pid]
    while pending:
        children = children_of(pending.pop())
        found.extend(children)
        pending.extend(children)
    return found


class Supervisor:
    """A supervising process (as ``serve_from_processes`` is one) serving a test app."""

    def __init__(
        self, app: str, timeout_s: int = 60, start_within_s: int = 600, port: int | None = None
    ) -> None:
        self.port = port or _free_port()
        args = [app, str(self.port), str(timeout_s), str(start_within_s)]
        self.process = subprocess.Popen([sys.executable, "-c", _SUPERVISOR, *args], cwd=ROOT)

    def arbiter(self) -> int | None:
        children = children_of(self.process.pid)
        return children[0] if len(children) == 1 else None

    def workers(self) -> set[int]:
        arbiter = self.arbiter()
        return set(children_of(arbiter)) if arbiter else set()

    def serving_pids(self) -> set[int]:
        """Which processes answer three requests sent at once: each request keeps its process
        from accepting the next connection, so three processes answer if three serve."""
        connections = []
        try:
            for _ in range(3):
                connection = socket.create_connection(("127.0.0.1", self.port), timeout=20)
                connections.append(connection)
                connection.sendall(b"GET /busy HTTP/1.1\r\nHost: test\r\n\r\n")
                time.sleep(0.3)  # accepted, its process busy
            return {_answer(connection) for connection in connections}
        finally:
            for connection in connections:
                connection.close()

    def every_worker_serves(self) -> bool:
        workers = self.workers()
        try:
            return len(workers) == 3 and self.serving_pids() == workers
        except OSError:
            return False

    def end(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)


def _answer(connection: socket.socket) -> int:
    """The pid a test app's answer names."""
    answer = b""
    while b"\r\n\r\n" not in answer or not answer.split(b"\r\n\r\n", 1)[1]:
        chunk = connection.recv(4096)
        if not chunk:
            raise ConnectionError("closed")
        answer += chunk
    return int(answer.split(b"\r\n\r\n", 1)[1])


@contextmanager
def supervised(app: str = "tests.integration.serving_app:app", **options: int) -> Iterator[Supervisor]:
    supervisor = Supervisor(app, **options)
    try:
        _until(supervisor.every_worker_serves, "three processes serve", 60)
        yield supervisor
    finally:
        every = _descendants(supervisor.process.pid)
        supervisor.end()
        _until(lambda: not any(running(pid) for pid in every), "nothing is left", 40)


def test_three_processes_serve_one_port() -> None:
    with supervised() as supervisor:
        assert _listeners(supervisor.port) == 1, "gunicorn's one socket, shared by its workers"
        assert len(supervisor.serving_pids()) == 3


def test_an_idle_keep_alive_connection_stays_open_as_long_as_uvicorns() -> None:
    """5 s, uvicorn's: gunicorn's own 2 s closed a client's idle connections under a steady
    load (ADR 25)."""
    with (
        supervised() as supervisor,
        socket.create_connection(("127.0.0.1", supervisor.port), timeout=10) as connection,
    ):
        connection.sendall(b"GET / HTTP/1.1\r\nHost: test\r\n\r\n")
        served_by = _answer(connection)
        time.sleep(3.5)
        connection.sendall(b"GET / HTTP/1.1\r\nHost: test\r\n\r\n")
        assert _answer(connection) == served_by, "the same connection, still open"


def test_a_process_that_dies_is_replaced() -> None:
    with supervised() as supervisor:
        first = supervisor.workers()
        victim = min(first)
        os.kill(victim, signal.SIGKILL)
        _until(lambda: len(supervisor.workers() - first) == 1, "gunicorn starts another")
        _until(supervisor.every_worker_serves, "every process serves")
        assert victim not in supervisor.workers()
        assert len(supervisor.workers() & first) == 2


def test_a_process_whose_event_loop_is_stuck_is_killed_and_replaced() -> None:
    """Its request blocks its loop 30 s; gunicorn's timeout is 8 s."""
    with supervised(timeout_s=8) as supervisor:
        first = supervisor.workers()
        with socket.create_connection(("127.0.0.1", supervisor.port), timeout=25) as stuck:
            stuck.sendall(b"GET /stuck HTTP/1.1\r\nHost: test\r\n\r\n")
            began = time.monotonic()
            with suppress(ConnectionResetError):  # killed as well
                assert stuck.recv(4096) == b"", "no answer: its process was killed"
            assert time.monotonic() - began < 25
        assert first - supervisor.workers(), "one is gone"
        _until(supervisor.every_worker_serves, "every process serves")


def test_a_process_still_starting_is_not_taken_for_a_stuck_one() -> None:
    """Its start blocks its event loop 20 s, more than twice gunicorn's timeout (8 s)."""
    with supervised("tests.integration.serving_app:slow_start", timeout_s=8) as supervisor:
        started = supervisor.workers()
        time.sleep(2)
        assert supervisor.workers() == started, "none replaced, starting or serving"


def test_a_start_that_hangs_is_ended_and_replaced() -> None:
    supervisor = Supervisor("tests.integration.serving_app:never_starts", timeout_s=4, start_within_s=2)
    try:
        first = _until(lambda: len(w := supervisor.workers()) == 3 and w, "three processes start")
        _until(lambda: not first & supervisor.workers(), "each hung start ended", 30)
        assert len(_until(lambda: len(w := supervisor.workers()) == 3 and w, "replaced")) == 3
    finally:
        every = _descendants(supervisor.process.pid)
        supervisor.end()
        _until(lambda: not any(running(pid) for pid in every), "nothing is left", 40)


def test_an_app_that_cannot_start_ends_the_supervisor_and_leaves_nothing() -> None:
    supervisor = Supervisor("tests.integration.serving_app:broken")
    try:
        assert supervisor.process.wait(60) == 1, "the supervisor fails: gunicorn ended"
        assert _listeners(supervisor.port) == 0
    finally:
        supervisor.end()


def test_sigterm_lets_running_requests_finish_and_ends_every_process() -> None:
    with supervised() as supervisor:
        every = _descendants(supervisor.process.pid)
        assert len(every) == 4, "gunicorn's arbiter and its three workers"
        with socket.create_connection(("127.0.0.1", supervisor.port), timeout=10) as request:
            request.sendall(b"GET /slow HTTP/1.1\r\nHost: test\r\n\r\n")
            time.sleep(0.2)  # the request has reached its process
            supervisor.process.terminate()
            assert request.recv(4096).startswith(b"HTTP/1.1 200 "), "answered before the end"
        assert supervisor.process.wait(30) == 0
        _until(lambda: not any(running(pid) for pid in every), "every process ends", 10)
        assert _listeners(supervisor.port) == 0
        with socket.socket() as again:  # as a server started next would
            again.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            again.bind(("127.0.0.1", supervisor.port))


def test_a_killed_supervisor_takes_gunicorn_and_its_workers_with_it() -> None:
    """kill -9 of the supervisor: nobody would stop gunicorn's processes, which would keep the
    port and their database connections."""
    with supervised() as supervisor:
        every = _descendants(supervisor.process.pid)
        supervisor.process.kill()
        supervisor.process.wait(10)
        _until(lambda: not any(running(pid) for pid in every), "the orphans end", 30)
        assert _listeners(supervisor.port) == 0


def test_a_supervisor_started_while_its_port_is_still_held_waits_for_it() -> None:
    """As an orchestrator restarting a killed service: its predecessor's orphans may keep the
    port longer than gunicorn's own five one-second retries. The new supervisor waits for it."""
    held = socket.socket()
    held.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    held.bind(("127.0.0.1", 0))
    held.listen()
    port = int(held.getsockname()[1])
    supervisor = Supervisor("tests.integration.serving_app:app", port=port)
    try:
        time.sleep(8)  # more than gunicorn's retries
        assert supervisor.process.poll() is None, "the supervisor waits for the port"
        held.close()
        _until(supervisor.every_worker_serves, "three processes serve", 60)
    finally:
        held.close()
        every = _descendants(supervisor.process.pid)
        supervisor.end()
        _until(lambda: not any(running(pid) for pid in every), "nothing is left", 40)


def test_a_killed_arbiter_takes_its_workers_with_it() -> None:
    with supervised() as supervisor:
        arbiter, workers = supervisor.arbiter(), supervisor.workers()
        assert arbiter is not None
        os.kill(arbiter, signal.SIGKILL)
        _until(lambda: not any(running(pid) for pid in workers), "the workers end", 30)
        assert supervisor.process.wait(30) == 1, "the supervisor fails: gunicorn ended"


def _environment(pid: int) -> dict[str, str]:
    """The environment ``pid`` started with (a forked worker: its arbiter's)."""
    raw = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
    return dict(entry.decode().split("=", 1) for entry in raw if b"=" in entry)


def _ready(base: str) -> tuple[int, dict[str, Any]] | None:
    try:
        answer = httpx.get(f"{base}/ready", timeout=5)
    except httpx.HTTPError:
        return None
    return answer.status_code, answer.json()


def test_ready_from_any_serving_process_reports_the_supervisors_workers(tmp_path: Path) -> None:
    """Registration on SQLite with two serving processes: they run no background worker and
    answer /ready with the supervisor's; a frozen supervisor makes every one unready."""
    port = _free_port()
    env = {**os.environ, "GSI_DATA_DIR": str(tmp_path), "GSI_HTTP_WORKERS": "2", "GSI_HTTP_PORT": str(port)}
    for name in ("GSI_DATABASE_URL", "GSI_BUS", "GSI_REGISTRATION_DATABASE_URL", "GSI_REGISTRATION_BUS"):
        env.pop(name, None)
    process = subprocess.Popen([sys.executable, "-m", "registration", "serve"], env=env, cwd=ROOT)
    base = f"http://127.0.0.1:{port}"
    every: list[int] = []
    try:
        _until(lambda: (r := _ready(base)) and r[0] == 200, "registration is ready", 180)
        every = _descendants(process.pid)
        (arbiter,) = children_of(process.pid)
        workers = children_of(arbiter)
        assert len(workers) == 2
        for worker in workers:
            serving = _environment(worker)
            assert serving["GSI_RUN_WORKERS"] == serving["GSI_REGISTRATION_RUN_WORKERS"] == "false"
            assert serving["GSI_MIGRATE_ON_START"] == "false"
            assert Path(serving["GSI_WORKERS_STATUS_FILE"]).exists(), "the supervisor's report"
        answers = [httpx.get(f"{base}/ready", timeout=5).json() for _ in range(6)]  # either process
        assert all({"outbox-relay", "projections"} <= a["checks"].keys() for a in answers), answers
        assert all(v == "ok" for a in answers for v in a["checks"].values()), answers
        # /metrics from either process: the supervisor's relay, and every process's requests
        # added up from the run's multiprocess directory (issue 22, docs/metrics.md).
        pages = [httpx.get(f"{base}/metrics", timeout=5).text for _ in range(4)]
        assert all(value(p, "gsi_relay_lease_held", service="registration") == 1 for p in pages)
        readies = {value(p, "gsi_http_requests_total", route="/ready", status="200") for p in pages}
        assert len(readies) == 1, readies  # the same count whichever process answered
        assert (readies.pop() or 0) >= len(answers)

        os.kill(process.pid, signal.SIGSTOP)  # the supervisor and its workers stop; serving goes on
        try:
            _, body = _until(lambda: (r := _ready(base)) and r[0] == 503 and r, "unready", 30)
            assert body["checks"]["workers"].startswith("error: the supervising process last reported")
        finally:
            os.kill(process.pid, signal.SIGCONT)
        _until(lambda: (r := _ready(base)) and r[0] == 200, "ready again", 30)
        process.terminate()
        assert process.wait(60) == 0
        _until(lambda: not any(running(pid) for pid in every), "every process ends", 20)
    finally:
        if process.poll() is None:
            os.kill(process.pid, signal.SIGCONT)
            process.kill()
            process.wait(10)
