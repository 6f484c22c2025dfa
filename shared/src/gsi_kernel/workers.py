"""Background workers (outbox relay, consumers, projections) and the threads that run them.

A worker does one bounded step per ``run_once`` and says how much it did. The thread around it
sleeps when there was nothing to do, and on an unexpected error logs it, throws the worker away
and builds a fresh one after a growing pause — a consumer rebuilt that way resumes at its
group's committed offsets, so nothing is skipped. The error it keeps for ``/ready`` and the
one it logs are redacted (:mod:`gsi_kernel.failures`): a database error's text carries data.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable
from datetime import timedelta
from typing import Protocol

from gsi_kernel.clock import Clock
from gsi_kernel.failures import describe, redacted_exc_info
from gsi_kernel.store.database import Database
from gsi_kernel.store.tracking import release_lease, try_acquire_lease
from gsi_kernel.worker_status import WorkerStatus

log = logging.getLogger(__name__)


class Worker(Protocol):
    def run_once(self) -> int:
        """Do one bounded step; return how many items were handled (0 when idle)."""

    def close(self) -> None:
        """Release connections."""


class LeasedWorker:
    """A worker that steps only in the instance holding the lease ``name``: with several replicas
    of a service, each runs the worker's thread, and one of them does the work at a time.

    The lease (the kernel's ``leases`` table, as the outbox relay's) is taken or renewed before
    each step, so it must outlast the longest step; a holder that stops cleanly gives it back
    (:meth:`close`), one that dies leaves it to lapse after ``ttl``. ``clock``: the unshifted
    one (a lease stamped in business time would hold off a replica with a smaller offset)."""

    def __init__(
        self,
        worker: Worker,
        *,
        db: Database,
        name: str,
        clock: Clock,
        ttl: timedelta,
        holder: str | None = None,
    ) -> None:
        self._worker = worker
        self._db = db
        self.name = name
        self._clock = clock
        self._ttl = ttl
        # The process it runs in, for an operator reading the leases table, and unique.
        self.holder = holder or f"{name}-{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:12]}"

    def run_once(self) -> int:
        with self._db.transaction() as connection:
            held = try_acquire_lease(connection, self.name, self.holder, self._clock.now(), self._ttl)
        return self._worker.run_once() if held else 0

    def close(self) -> None:
        try:
            with self._db.transaction() as connection:
                release_lease(connection, self.name, self.holder)
        finally:
            self._worker.close()


class WorkerThread(threading.Thread):
    def __init__(
        self,
        name: str,
        factory: Callable[[], Worker],
        stop: threading.Event,
        *,
        idle_s: float = 0.05,
        max_backoff_s: float = 10.0,
    ) -> None:
        super().__init__(name=name, daemon=True)
        self._factory = factory
        self._stop_event = stop
        self._idle_s = idle_s
        self._max_backoff_s = max_backoff_s
        self.last_error: str | None = None
        self.steps = 0
        self.restarts = 0  # workers thrown away after an error and built afresh
        # When the step under way began, or the last one ended (time.time): a step that does
        # not end is a worker stuck, whatever its last error says.
        self.since = time.time()
        self._busy = False

    def status(self) -> WorkerStatus:
        return WorkerStatus(
            name=self.name,
            alive=self.is_alive(),
            error=self.last_error,
            since=self.since,
            busy=self._busy,
            steps=self.steps,
            restarts=self.restarts,
            idle_s=self._idle_s,
        )

    def run(self) -> None:
        worker: Worker | None = None
        backoff = 0.5
        while not self._stop_event.is_set():
            try:
                worker = worker or self._factory()
                self.since, self._busy = time.time(), True
                handled = worker.run_once()
                self.since, self._busy = time.time(), False
                self.steps += 1
                self.last_error = None
                backoff = 0.5
                if handled == 0:
                    self._stop_event.wait(self._idle_s)
            except Exception as exc:  # a worker must outlive a broker or database outage
                self.last_error = describe(exc)
                log.error(
                    "worker %s failed (%s); restarting in %.1fs",
                    self.name,
                    self.last_error,
                    backoff,
                    exc_info=redacted_exc_info(exc),
                )
                _close_quietly(worker)
                worker = None
                self.restarts += 1
                self.since, self._busy = time.time(), False
                self._stop_event.wait(backoff)
                backoff = min(backoff * 2, self._max_backoff_s)
        _close_quietly(worker)


def _close_quietly(worker: Worker | None) -> None:
    if worker is None:
        return
    try:
        worker.close()
    except Exception as exc:  # closing a broken worker must not hide the first error
        log.warning("closing a failed worker raised %s", describe(exc), exc_info=redacted_exc_info(exc))


class WorkerGroup:
    """The background threads of one process, started and stopped together."""

    def __init__(self) -> None:
        self.stop_event = threading.Event()
        self.threads: list[WorkerThread] = []

    def add(self, name: str, factory: Callable[[], Worker], **kwargs: float) -> None:
        self.threads.append(WorkerThread(name, factory, self.stop_event, **kwargs))

    def start(self) -> None:
        for thread in self.threads:
            thread.start()

    def stop(self, timeout_s: float = 10.0) -> None:
        self.stop_event.set()
        for thread in self.threads:
            thread.join(timeout_s)

    def statuses(self) -> list[WorkerStatus]:
        return [thread.status() for thread in self.threads]
