"""What a run costs, measured the same way for the kernel and for its peers: the rate, this
process's CPU per operation (every thread: a Kafka client's sender thread counts) and the CPU
of the PostgreSQL backends the run used, found by their ``application_name`` and read from
``/proc`` (the database runs on this machine; :mod:`bench.machinery`)."""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from sqlalchemy import Engine

from bench.machinery import backends_cpu, spent
from bench.peers.rounds import Figures


def application() -> str:
    """A fresh ``application_name``: a run's backends, and no one else's."""
    return f"gsi-bench-{uuid.uuid4().hex[:8]}"


@contextmanager
def named(name: str) -> Iterator[None]:
    """Connections opened by libpq meanwhile carry ``application_name`` ``name`` (``PGAPPNAME``:
    the kernel's engine is built from a URL, with no connection arguments of ours)."""
    before = os.environ.get("PGAPPNAME")
    os.environ["PGAPPNAME"] = name
    try:
        yield
    finally:
        if before is None:
            del os.environ["PGAPPNAME"]
        else:
            os.environ["PGAPPNAME"] = before


def metered(count: int, work: Callable[[], object], watcher: Engine | None = None, name: str = "") -> Figures:
    """Run ``work`` (``count`` operations); its rate and CPU per operation: this process's and,
    with a ``watcher``, that of the backends named ``name`` (alive at both ends: a backend
    opened meanwhile counts from zero)."""
    pg_before = backends_cpu(watcher, name) if watcher is not None else {}
    cpu_before, started = time.process_time(), time.perf_counter()
    work()
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu_before
    pg = spent(pg_before, backends_cpu(watcher, name)) / count * 1000 if watcher is not None else None
    return Figures(rate=count / elapsed, cpu_ms=cpu / count * 1000, pg_ms=pg)
