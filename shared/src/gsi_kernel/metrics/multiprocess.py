"""prometheus-client's multiprocess mode, for a service served by several processes (ADR 32).

The supervising process runs the relay and the consumers, gunicorn's serving processes answer
the requests — and ``/metrics``, which one of them answers at each scrape. Each process writes
its values to files of one directory (``PROMETHEUS_MULTIPROC_DIR``), and the process answering
reads every file: counters summed, the gauges by their ``multiprocess_mode``.

The directory is the run's: the operator's ``PROMETHEUS_MULTIPROC_DIR`` if set (emptied at
start: files of an earlier run would add its counts to this one's), else one made next to the
supervisor's status file. gunicorn's ``child_exit`` hook calls :func:`process_ended` so that an
ended serving process's live gauges (requests in progress) leave the sum.

In one process (the embedded mode, ``GSI_HTTP_WORKERS=1``) none of this is used.
"""

from __future__ import annotations

import os
from pathlib import Path

from prometheus_client import values
from prometheus_client.multiprocess import mark_process_dead

ENV = "PROMETHEUS_MULTIPROC_DIR"


def directory() -> Path | None:
    """The multiprocess directory of this process, or None (one process: values in memory)."""
    found = os.environ.get(ENV)
    return Path(found) if found else None


def use_directory(path: Path) -> None:
    """Make ``path`` this run's multiprocess directory, emptied of an earlier run's files, and
    switch this process to it. Called by the supervising process before it builds its kernel
    (no instrument has a value yet: they all have labels); the serving processes it starts
    inherit the variable and choose the mode when they import prometheus-client."""
    path.mkdir(parents=True, exist_ok=True)
    for stale in path.glob("*.db"):
        stale.unlink(missing_ok=True)
    os.environ[ENV] = str(path)
    values.ValueClass = values.get_value_class()  # type: ignore[no-untyped-call]


def process_ended(pid: int) -> None:
    """A serving process ended: its live gauges no longer count (its counters stay)."""
    if (path := directory()) is not None:
        mark_process_dead(pid, str(path))  # type: ignore[no-untyped-call]
