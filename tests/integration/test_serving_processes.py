"""Several serving processes on one port, a listening socket each (gsi_kernel.serving): the
connections are spread over the processes, a process that dies is replaced on its socket, a
broken app stops the lot, and stopping frees the port."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import uvicorn

from gsi_kernel.serving import ServingProcesses, listening_sockets, spreads_connections
from tests.processes import children_of, running

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.skipif(
    not spreads_connections(), reason="SO_REUSEPORT spreads connections on Linux only"
)


def _config(port: int, app: str = "tests.integration.serving_app:app", **options: object) -> uvicorn.Config:
    return uvicorn.Config(app, host="127.0.0.1", port=port, workers=3, log_config=None, **options)  # type: ignore[arg-type]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _listeners(port: int) -> int:
    """Sockets listening on ``port`` (state 0A in /proc/net/tcp)."""
    with open("/proc/net/tcp") as table:
        rows = [line.split() for line in table.readlines()[1:]]
    return sum(1 for row in rows if int(row[1].split(":")[1], 16) == port and row[3] == "0A")


class Client:
    """Keep-alive HTTP/1.1 connections that each ask which process serves them."""

    def __init__(self, port: int, count: int) -> None:
        self.connections = [socket.create_connection(("127.0.0.1", port), timeout=10) for _ in range(count)]

    def pids(self) -> list[int]:
        return [self._ask(connection) for connection in self.connections]

    @staticmethod
    def _ask(connection: socket.socket) -> int:
        connection.sendall(b"GET / HTTP/1.1\r\nHost: test\r\n\r\n")
        answer = b""
        while b"\r\n\r\n" not in answer or not answer.split(b"\r\n\r\n", 1)[1]:
            chunk = connection.recv(4096)
            if not chunk:
                raise ConnectionError("closed")
            answer += chunk
        return int(answer.split(b"\r\n\r\n", 1)[1])

    def close(self) -> None:
        for connection in self.connections:
            connection.close()


@contextmanager
def serving(config: uvicorn.Config, stuck_after_s: float = 60) -> Iterator[ServingProcesses]:
    processes = ServingProcesses(config, poll_s=0.1, stuck_after_s=stuck_after_s)
    failure: list[BaseException] = []

    def run() -> None:
        try:
            processes.run()
        except BaseException as error:  # reported to the test below
            failure.append(error)

    supervisor = threading.Thread(target=run, daemon=True)
    supervisor.start()
    _wait(lambda: _every_process_serves(config.port, processes) or bool(failure), "every process serves")
    try:
        yield processes
    finally:
        processes.stop()
        supervisor.join(30)
        assert not supervisor.is_alive()
    assert not failure, failure


def _every_process_serves(port: int, processes: ServingProcesses) -> bool:
    try:
        client = Client(port, 30)
    except OSError:
        return False
    try:
        return set(client.pids()) == {p.pid for p in processes.started if p.is_alive()}
    except OSError:
        return False
    finally:
        client.close()


def _wait(condition: object, what: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not condition():  # type: ignore[operator]
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting until {what}")
        time.sleep(0.05)


def test_sockets_share_one_port_chosen_once() -> None:
    sockets = listening_sockets("127.0.0.1", 0, 3, backlog=16)
    try:
        ports = {s.getsockname()[1] for s in sockets}
        assert len(sockets) == 3
        assert len(ports) == 1
        assert all(s.getsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT) for s in sockets)
        assert _listeners(ports.pop()) == 3
    finally:
        for s in sockets:
            s.close()


def test_a_port_taken_by_another_program_fails_and_leaves_nothing_open() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(OSError, match="in use"):
            listening_sockets("127.0.0.1", port, 3, backlog=16)
        assert _listeners(port) == 1


def test_connections_are_spread_over_every_process() -> None:
    port = _free_port()
    with serving(_config(port)) as processes:
        assert _listeners(port) == 3, "one listening socket per serving process"
        client = Client(port, 60)
        try:
            served = Counter(client.pids())
        finally:
            client.close()
        assert set(served) == {p.pid for p in processes.started}
        # A hash of 60 connections' addresses over 3 sockets: 20 each on average, and more than
        # 36 on one is a 1-in-100,000 chance. One shared socket gave 41 of 64 to one process.
        assert max(served.values()) <= 36, served


def test_a_process_that_dies_is_replaced_on_its_socket() -> None:
    port = _free_port()
    with serving(_config(port)) as processes:
        first = [p.pid for p in processes.started]
        victim = first[0]
        assert victim is not None
        os.kill(victim, signal.SIGKILL)
        _wait(lambda: len(processes.started) == 4, "a replacement starts")
        _wait(lambda: _every_process_serves(port, processes), "every process serves")
        assert _listeners(port) == 3
        client = Client(port, 60)
        try:
            served = set(client.pids())
        finally:
            client.close()
        replacement = processes.started[-1].pid
        assert victim not in served
        assert served == {*first[1:], replacement}, "every socket is served again"


def test_a_process_whose_event_loop_is_stuck_is_replaced() -> None:
    port = _free_port()
    with serving(_config(port), stuck_after_s=3) as processes:
        stuck = socket.create_connection(("127.0.0.1", port), timeout=10)
        with stuck:
            stuck.sendall(b"GET /stuck HTTP/1.1\r\nHost: test\r\n\r\n")
            _wait(lambda: len(processes.started) == 4, "the stuck process is replaced", timeout=40)
        killed = [p for p in processes.started if p.exitcode is not None]
        assert len(killed) == 1
        assert killed[0].exitcode == -signal.SIGKILL
        _wait(lambda: _every_process_serves(port, processes), "every process serves")
        assert _listeners(port) == 3


def test_an_app_that_cannot_start_stops_every_process() -> None:
    port = _free_port()
    processes = ServingProcesses(_config(port, "tests.integration.serving_app:broken"), poll_s=0.1)
    with pytest.raises(RuntimeError, match="failed to start"):
        processes.run()
    assert len(processes.started) == 3, "not restarted"
    assert not any(p.is_alive() for p in processes.started)
    assert _listeners(port) == 0


def test_stopping_lets_running_requests_finish_ends_every_process_and_frees_the_port() -> None:
    port = _free_port()
    with serving(_config(port)) as processes:
        children = list(processes.started)
        running = socket.create_connection(("127.0.0.1", port), timeout=10)
        running.sendall(b"GET /slow HTTP/1.1\r\nHost: test\r\n\r\n")
        time.sleep(0.2)  # the request has reached its process
    with running:
        assert running.recv(4096).startswith(b"HTTP/1.1 200 "), "answered before the process ended"
    assert not any(p.is_alive() for p in children)
    # uvicorn ends on the signal it was stopped by, once it has finished (0 if it had not begun)
    assert all(p.exitcode in (0, -signal.SIGTERM) for p in children), [p.exitcode for p in children]
    assert _listeners(port) == 0
    with socket.socket() as again:  # as a server started next would (its clients' TIME_WAITs stay)
        again.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        again.bind(("127.0.0.1", port))


def test_a_process_still_starting_is_not_taken_for_a_stuck_one() -> None:
    """Its start blocks its event loop 8 s, longer than a serving loop may stay silent (3 s)."""
    port = _free_port()
    with serving(_config(port, "tests.integration.serving_app:slow_start"), stuck_after_s=3) as processes:
        assert len(processes.started) == 3, "none replaced while starting"
        time.sleep(2)
        assert len(processes.started) == 3, "none replaced once serving"


def test_a_process_that_never_starts_is_replaced() -> None:
    port = _free_port()
    config = _config(port, "tests.integration.serving_app:never_starts")
    processes = ServingProcesses(config, poll_s=0.1, start_within_s=2)
    supervisor = threading.Thread(target=processes.run, daemon=True)
    supervisor.start()
    try:
        _wait(lambda: len(processes.started) >= 6, "each hung start replaced", timeout=20)
        assert all(p.exitcode == -signal.SIGKILL for p in processes.started[:3])
    finally:
        processes.stop()
        supervisor.join(30)
    assert not supervisor.is_alive()


_SUPERVISOR = """
import sys, uvicorn
from gsi_kernel.serving import ServingProcesses
config = uvicorn.Config("tests.integration.serving_app:app", host="127.0.0.1", port=int(sys.argv[1]),
                        workers=3, log_config=None)
ServingProcesses(config, poll_s=0.1).run()
"""


def test_the_serving_processes_end_when_their_supervisor_is_killed() -> None:
    """kill -9 of the supervisor: nobody would replace its serving processes, which would keep
    the port and their database connections."""
    port = _free_port()
    supervisor = subprocess.Popen([sys.executable, "-c", _SUPERVISOR, str(port)], cwd=ROOT)
    try:
        _wait(lambda: len(children_of(supervisor.pid)) >= 3 and _listeners(port) == 3, "three serve")
        children = children_of(supervisor.pid)  # the serving processes (and multiprocessing's tracker)
        supervisor.kill()
        supervisor.wait(10)
        _wait(lambda: not any(running(pid) for pid in children), "the orphans end", timeout=20)
        assert _listeners(port) == 0
    finally:
        if supervisor.poll() is None:
            supervisor.kill()
