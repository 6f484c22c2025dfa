"""Several processes serving one port: gunicorn with uvicorn workers (ADR 32), started and
stopped by the service's supervising process.

The supervising process runs the background workers (relay, consumers, catch-up) and starts
gunicorn as a child process of its own (a fresh interpreter, not a fork: the supervisor holds
Kafka clients and database connections that a forked process must not share). gunicorn's
arbiter then forks the serving processes, restarts one that ends and kills one whose event loop
stopped notifying it (``--timeout``). On SIGTERM or SIGINT the supervisor stops gunicorn (its
workers finish their requests) before its own workers stop.

Nobody is left behind when a parent is killed (kill -9): gunicorn's arbiter ends when the
supervisor is gone and each serving process when the arbiter is gone (:func:`end_with_parent`,
run by the hooks in :mod:`gsi_kernel.gunicorn_conf`); otherwise they would keep the port and
their database connections with nobody to stop them. Those orphans take a moment to end (up to
the graceful timeout and the grace after it): a supervisor started again meanwhile, as an
orchestrator does after a crash, waits for the port before it starts gunicorn, whose own
retries give up after five seconds.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from types import FrameType
from typing import Any, ClassVar

from uvicorn_worker import UvicornWorker

_log = logging.getLogger("gsi.serving")

# Read by gunicorn_conf's hooks and by Worker in gunicorn's processes, set by serve_from.
SUPERVISOR_PID = "GSI_SERVING_SUPERVISOR_PID"
START_WITHIN = "GSI_SERVING_START_WITHIN_S"

_WATCH_S = 1.0
_ORPHAN_GRACE_S = 30.0  # more than gunicorn's graceful timeout: its own stop comes first


@dataclass(frozen=True)
class Serving:
    """How gunicorn serves ``app`` (``"module:factory()"`` or ``"module:app"``)."""

    app: str
    host: str
    port: int
    workers: int
    timeout_s: int = 60  # a serving process whose event loop is silent this long is killed
    graceful_timeout_s: int = 15  # on SIGTERM, for the requests under way
    start_within_s: int = 600  # importing and starting the app (minutes on a loaded machine)
    log_level: str = "info"

    def command(self) -> list[str]:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return [
            sys.executable, "-m", "gunicorn", self.app,
            "--config", "python:gsi_kernel.gunicorn_conf",
            "--bind", f"{host}:{self.port}",
            "--workers", str(self.workers),
            "--timeout", str(self.timeout_s),
            "--graceful-timeout", str(self.graceful_timeout_s),
            "--log-level", self.log_level.lower(),
        ]  # fmt: skip


def serve_from(serving: Serving, env: Mapping[str, str]) -> None:
    """Run gunicorn with ``env`` until SIGTERM or SIGINT, then stop it and wait for it.

    gunicorn ending by itself (its serving processes fail to start, the port is taken) raises
    RuntimeError: the service cannot serve, and its orchestrator should know."""
    stopping = threading.Event()
    with _stopped_by_signals(stopping):
        _wait_for_port(serving, stopping)
        if stopping.is_set():
            return
        gunicorn = subprocess.Popen(  # noqa: S603 - our own interpreter, with arguments of ours
            serving.command(),
            env={**env, SUPERVISOR_PID: str(os.getpid()), START_WITHIN: str(serving.start_within_s)},
        )
        try:
            while not stopping.wait(0.5):
                if gunicorn.poll() is not None:
                    ended = gunicorn.returncode
                    raise RuntimeError(f"gunicorn ended by itself (exit code {ended}; see its log)")
        finally:
            _stop(gunicorn, serving.graceful_timeout_s + 5.0)


def _wait_for_port(serving: Serving, stopping: threading.Event) -> None:
    """Until ``serving``'s port can be bound as gunicorn binds it (SO_REUSEADDR), for as long as
    a killed predecessor's orphans may keep it; then gunicorn starts anyway and says why not."""
    family = socket.AF_INET6 if ":" in serving.host else socket.AF_INET
    deadline = time.monotonic() + _WATCH_S + serving.graceful_timeout_s + _ORPHAN_GRACE_S
    said = False
    while not stopping.is_set() and time.monotonic() < deadline:
        with socket.socket(family, socket.SOCK_STREAM) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                probe.bind((serving.host, serving.port))
                return
            except OSError:
                if not said:
                    _log.warning("port %s:%s is still held (a previous instance ending?); waiting",
                                 serving.host, serving.port)  # fmt: skip
                    said = True
        stopping.wait(0.25)


def _stop(gunicorn: subprocess.Popen[bytes], within_s: float) -> None:
    """SIGTERM: gunicorn closes its port and waits for its workers' requests; killed if it has
    not ended ``within_s`` (its workers then end with it, see :func:`end_with_parent`)."""
    if gunicorn.poll() is None:
        gunicorn.terminate()
    try:
        gunicorn.wait(within_s)
    except subprocess.TimeoutExpired:
        _log.error("gunicorn %s did not stop within %.0f s; killing it", gunicorn.pid, within_s)
        gunicorn.kill()
        gunicorn.wait()


@contextmanager
def _stopped_by_signals(stopping: threading.Event) -> Iterator[None]:
    def stop(_signal: int, _frame: FrameType | None) -> None:
        stopping.set()

    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def end_with_parent(parent: int, what: str) -> None:
    """End this process when ``parent`` is gone (``parent``, not ``os.getppid()``: it may be
    gone already). A thread watches, not the event loop: a stuck loop must end too. The process
    is asked to stop as on SIGTERM (gunicorn's arbiter stops its workers, a worker finishes its
    requests), then ended after a grace period. The thread only sleeps and reads the parent's
    pid: it holds no lock a fork of the arbiter could copy."""

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(_WATCH_S)
        _log.warning("%s %s: its parent %s is gone; stopping", what, os.getpid(), parent)
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(_ORPHAN_GRACE_S)
        os._exit(1)

    threading.Thread(target=watch, name="end-with-parent", daemon=True).start()


class Worker(UvicornWorker):  # type: ignore[misc]  # gunicorn has no types
    """uvicorn's gunicorn worker, whose start is not taken for a stuck event loop.

    gunicorn kills a worker that has not notified it for ``--timeout``, and counts from the
    fork: importing the service and starting its app (connections, caches) would count, and on
    a loaded machine they take minutes. Until its server has started, a thread notifies for it,
    for ``GSI_SERVING_START_WITHIN_S`` at most (a start that hangs is then killed and
    replaced); once it serves, uvicorn's loop notifies, as the timeout means. The access log
    is off, as with one process."""

    CONFIG_KWARGS: ClassVar[dict[str, Any]] = {**UvicornWorker.CONFIG_KWARGS, "access_log": False}

    def init_process(self) -> None:
        self.started_serving = threading.Event()
        threading.Thread(target=self._notify_while_starting, name="starting", daemon=True).start()
        super().init_process()

    def _notify_while_starting(self) -> None:
        deadline = time.monotonic() + float(os.environ.get(START_WITHIN, "600"))
        while not self.started_serving.wait(_WATCH_S) and time.monotonic() < deadline:
            self.notify()

    async def callback_notify(self) -> None:
        self.started_serving.set()  # uvicorn calls this from its loop once started, then periodically
        self.notify()
