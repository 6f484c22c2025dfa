"""Several processes serving one port, each on a listening socket of its own (``SO_REUSEPORT``).

uvicorn's own supervisor binds one socket and hands it to every process. Whichever process's
event loop wakes first then accepts every connection waiting, and a keep-alive connection stays
with the process that accepted it: when a client's or a proxy's pool opens its connections
together, one process can keep two thirds of the load while the others idle (64 connections
measured as 4 / 19 / 41 over three processes). That process's queue is the service's tail
latency.

Here each serving process listens on a socket of its own, all bound to the port with
``SO_REUSEPORT``, and Linux spreads new connections over them by a hash of their addresses
(ADR 18). The sockets are made and kept by the supervising process: a serving process that dies
is replaced on the same socket, and connections that arrived meanwhile wait in its queue
instead of being refused. Where the option does not spread connections (not Linux), uvicorn's
shared socket serves.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import os
import signal
import socket
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from multiprocessing.context import SpawnProcess
from types import FrameType
from typing import Any

import uvicorn
from uvicorn.config import STARTUP_FAILURE
from uvicorn.supervisors import Multiprocess

_log = logging.getLogger("gsi.serving")
_spawn = multiprocessing.get_context("spawn")


def spreads_connections() -> bool:
    """Whether the kernel spreads a port's connections over its ``SO_REUSEPORT`` sockets."""
    return sys.platform.startswith("linux") and hasattr(socket, "SO_REUSEPORT")


def listening_sockets(host: str, port: int, count: int, backlog: int) -> list[socket.socket]:
    """``count`` sockets listening on ``host``:``port`` together (port 0: one chosen for all)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sockets: list[socket.socket] = []
    try:
        for _ in range(count):
            listening = socket.socket(family, socket.SOCK_STREAM)
            sockets.append(listening)
            listening.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            listening.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
            listening.bind((host, port))
            port = listening.getsockname()[1]
            listening.listen(backlog)
    except OSError:
        for opened in sockets:
            opened.close()
        raise
    return sockets


def serve_from(config: uvicorn.Config) -> None:
    """Serve ``config.workers`` processes until SIGTERM or SIGINT: a socket each where the
    kernel spreads connections over them, else uvicorn's supervisor and its shared socket."""
    if spreads_connections():
        ServingProcesses(config).run()
    else:
        Multiprocess(config, sockets=[config.bind_socket()]).run()


_PULSE_S = 1.0
_NOT_SERVING_YET = 0.0  # the pulse until the process serves: starting is not a stuck loop
_ORPHAN_GRACE_S = 15.0


def _serve(config: uvicorn.Config, listening: socket.socket, pulse: Any, supervisor: int) -> None:
    """A serving process: uvicorn on its own socket, until SIGTERM or SIGINT, or until its
    supervisor is gone. Once it serves, its event loop writes the time into ``pulse`` (shared
    with the supervisor) every second it is free to."""
    config.configure_logging()
    _end_with_parent(supervisor)  # not os.getppid(): it may already be gone
    server = _PulsingServer(config, pulse)
    with asyncio.Runner(loop_factory=config.get_loop_factory()) as runner:
        runner.run(server.serve(sockets=[listening]))


class _PulsingServer(uvicorn.Server):
    """uvicorn, beating once it serves. Importing the app and its lifespan (migrations,
    connections) run in the event loop before; on a loaded machine that can take minutes, and
    is not a stuck loop. The first beat comes in the same step as the end of start-up, before
    the loop can take a request (one that blocked it would otherwise keep it "starting")."""

    def __init__(self, config: uvicorn.Config, pulse: Any) -> None:
        super().__init__(config)
        self.pulse = pulse

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets=sockets)
        loop = asyncio.get_running_loop()

        def beat() -> None:
            self.pulse.value = time.monotonic()
            loop.call_later(_PULSE_S, beat)

        beat()


def _end_with_parent(parent: int) -> None:
    """End this process when ``parent`` (the supervisor) is gone: a kill -9 of the supervisor
    would otherwise leave it serving the port with nobody to replace it, holding database
    connections. A thread, not the event loop, watches: a stuck loop must end too. The process
    is asked to stop as on SIGTERM (its requests finish), then ended after a grace period."""

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(_PULSE_S)
        _log.warning("serving process %s: its supervisor %s is gone; stopping", os.getpid(), parent)
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(_ORPHAN_GRACE_S)
        os._exit(1)

    threading.Thread(target=watch, name="end-with-parent", daemon=True).start()


@dataclass(frozen=True)
class _Child:
    process: SpawnProcess
    pulse: Any  # a shared double: when the process's event loop last ran (time.monotonic)
    started_at: float

    def serves(self) -> bool:
        return float(self.pulse.value) != _NOT_SERVING_YET

    def silent_for(self) -> float:
        return time.monotonic() - float(self.pulse.value)

    def starting_for(self) -> float:
        return time.monotonic() - self.started_at


class ServingProcesses:
    """Supervise ``config.workers`` serving processes, one listening socket each: start them,
    replace one that ends, and on SIGTERM or SIGINT stop them all (each finishes its requests).

    A process whose event loop has not run for ``stuck_after_s`` once it serves is killed and
    replaced: with a socket of its own, the connections the kernel gives that socket would
    otherwise wait for it. Before it serves (importing, starting its app) it has
    ``start_within_s``.
    A process that fails before it serves (uvicorn's exit code 3: the app, its configuration or
    its lifespan is broken) would fail again: the others are stopped and :meth:`run` raises.
    """

    def __init__(
        self,
        config: uvicorn.Config,
        poll_s: float = 0.5,
        stuck_after_s: float = 60.0,
        start_within_s: float = 600.0,
    ) -> None:
        self.config = config
        self.poll_s = poll_s
        self.stuck_after_s = stuck_after_s
        self.start_within_s = start_within_s
        self.stopping = threading.Event()
        self.started: list[SpawnProcess] = []  # every process started, replacements included

    def run(self) -> None:
        sockets = listening_sockets(
            self.config.host, self.config.port, self.config.workers, self.config.backlog
        )
        children: list[_Child] = []
        try:
            with self._stopped_by_signals():
                children.extend(self._start(listening) for listening in sockets)
                while not self.stopping.wait(self.poll_s):
                    for slot, child in enumerate(children):
                        if self._ended(child):
                            children[slot] = self._start(sockets[slot])
        finally:
            for child in children:
                if child.process.is_alive():
                    child.process.terminate()
            for child in children:
                child.process.join()
            for listening in sockets:
                listening.close()

    def _ended(self, child: _Child) -> bool:
        """Whether ``child`` is gone (killed here if hung) and needs replacing."""
        process = child.process
        if process.is_alive():
            hung = self._hung(child)
            if hung is None:
                return False
            _log.error("serving process %s: %s; replacing it", process.pid, hung)
            process.kill()
            process.join()
            return True
        if process.exitcode == STARTUP_FAILURE:
            raise RuntimeError(f"serving process {process.pid} failed to start (see its log)")
        _log.warning(
            "serving process %s ended (exit code %s); starting another", process.pid, process.exitcode
        )
        return True

    def _hung(self, child: _Child) -> str | None:
        if not child.serves():
            starting = child.starting_for()
            return f"not serving after {starting:.0f} s" if starting > self.start_within_s else None
        silent = child.silent_for()
        return f"its event loop has not run for {silent:.0f} s" if silent > self.stuck_after_s else None

    def stop(self) -> None:
        self.stopping.set()

    def _start(self, listening: socket.socket) -> _Child:
        pulse = _spawn.RawValue("d", _NOT_SERVING_YET)
        process = _spawn.Process(target=_serve, args=(self.config, listening, pulse, os.getpid()))
        process.start()
        self.started.append(process)
        return _Child(process, pulse, time.monotonic())

    @contextmanager
    def _stopped_by_signals(self) -> Iterator[None]:
        def stop(_signal: int, _frame: FrameType | None) -> None:
            self.stop()

        if threading.current_thread() is not threading.main_thread():
            yield  # signals reach the main thread only; the caller stops it with stop()
            return
        previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGINT, signal.SIGTERM)}
        try:
            yield
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
