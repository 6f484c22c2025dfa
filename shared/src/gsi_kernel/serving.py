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

import logging
import multiprocessing
import signal
import socket
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from multiprocessing.context import SpawnProcess
from types import FrameType

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


def _serve(config: uvicorn.Config, listening: socket.socket) -> None:
    """A serving process: uvicorn on its own socket, until SIGTERM or SIGINT."""
    config.configure_logging()
    uvicorn.Server(config).run(sockets=[listening])


class ServingProcesses:
    """Supervise ``config.workers`` serving processes, one listening socket each: start them,
    replace one that ends, and on SIGTERM or SIGINT stop them all (each finishes its requests).

    A process that fails before it serves (uvicorn's exit code 3: the app, its configuration or
    its lifespan is broken) would fail again: the others are stopped and :meth:`run` raises.
    """

    def __init__(self, config: uvicorn.Config, poll_s: float = 0.5) -> None:
        self.config = config
        self.poll_s = poll_s
        self.stopping = threading.Event()
        self.started: list[SpawnProcess] = []  # every process started, replacements included

    def run(self) -> None:
        sockets = listening_sockets(
            self.config.host, self.config.port, self.config.workers, self.config.backlog
        )
        children: list[SpawnProcess] = []
        try:
            with self._stopped_by_signals():
                children.extend(self._start(listening) for listening in sockets)
                while not self.stopping.wait(self.poll_s):
                    for slot, child in enumerate(children):
                        if child.is_alive():
                            continue
                        if child.exitcode == STARTUP_FAILURE:
                            raise RuntimeError(f"serving process {child.pid} failed to start (see its log)")
                        _log.warning(
                            "serving process %s ended (exit code %s); starting another",
                            child.pid,
                            child.exitcode,
                        )
                        children[slot] = self._start(sockets[slot])
        finally:
            for child in children:
                if child.is_alive():
                    child.terminate()
            for child in children:
                child.join()
            for listening in sockets:
                listening.close()

    def stop(self) -> None:
        self.stopping.set()

    def _start(self, listening: socket.socket) -> SpawnProcess:
        child = _spawn.Process(target=_serve, args=(self.config, listening))
        child.start()
        self.started.append(child)
        return child

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
