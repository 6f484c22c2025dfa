"""gunicorn's configuration for GSI's serving processes (``--config python:gsi_kernel.gunicorn_conf``,
given by :class:`gsi_kernel.serving.Serving` with the settings that vary on its command line).

gunicorn takes every module-level name here that is one of its settings as that setting (and
ignores the others): a new name must not be a setting's by accident.
"""

from __future__ import annotations

import os
from typing import Any

from gsi_kernel.metrics.multiprocess import process_ended
from gsi_kernel.serving import SUPERVISOR_PID, end_with_parent

worker_class = "gsi_kernel.serving.Worker"
# uvicorn's own keep-alive: gunicorn's default of 2 s closed idle connections under a steady
# load of keep-alive clients (ADR 25).
keepalive = 5
# Several services run on one machine: gunicorn's control socket (one path by default, in the
# user's home) would be shared by all of them. Nothing uses it.
control_socket_disable = True


def on_starting(_arbiter: Any) -> None:
    """gunicorn's arbiter ends when the supervising process that started it is gone (started by
    hand, without one, it has nobody to watch)."""
    if supervisor := os.environ.get(SUPERVISOR_PID):
        end_with_parent(int(supervisor), "gunicorn's arbiter")


def post_fork(_arbiter: Any, worker: Any) -> None:
    """A serving process ends when gunicorn's arbiter is gone (uvicorn's worker does not check).
    Watched from the fork on, not from ``post_worker_init``: importing and building the app can
    take minutes on a loaded machine, and an orphan should not finish its start."""
    end_with_parent(worker.ppid, "serving process")


def child_exit(_arbiter: Any, worker: Any) -> None:
    """A serving process ended: its live gauges (requests in progress) leave the metrics of
    the run (:mod:`gsi_kernel.metrics.multiprocess`)."""
    process_ended(worker.pid)
