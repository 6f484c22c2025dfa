"""A state-changing request that waited too long must not start (issue 19: a client gave up after
20 s and its command ran a minute later, re-locking a quarter after the user's next action).

The HTTP edge (:class:`gsi_kernel.http.edge_layer.EdgeLayer`, its slots) gives each request a
deadline to start by, from the moment the service saw it (or the last of its body came in: a
slow upload is not a wait). Wherever it waits after that — for a free slot, a command thread,
the pool — its first transaction checks the deadline before it begins
(:meth:`gsi_kernel.store.database.Database.transaction`): past it, the request is refused with
503 and ``Retry-After`` before anything is written. Once a request has started, it runs to its
end: a long command is not cut halfway.
"""

from __future__ import annotations

import math
import time
from contextvars import ContextVar
from dataclasses import dataclass

from gsi_kernel.errors import GsiError


@dataclass
class StartBy:
    deadline: float  # time.monotonic()
    started: bool = False


_START_BY: ContextVar[StartBy | None] = ContextVar("gsi_request_start_by", default=None)


def current() -> ContextVar[StartBy | None]:
    """The context variable holding the running request's deadline (set by the HTTP edge)."""
    return _START_BY


def check_start() -> None:
    """At a transaction's start: refuse the request's first one past its deadline."""
    start_by = _START_BY.get()
    if start_by is None or start_by.started:
        return
    start_by.started = True
    if time.monotonic() > start_by.deadline:
        raise started_too_late()


def overdue() -> bool:
    """The running request is past its deadline to start (without counting it as started)."""
    start_by = _START_BY.get()
    return start_by is not None and not start_by.started and time.monotonic() > start_by.deadline


class TooBusy(GsiError):
    """503 with ``Retry-After``: the service could not start the request in time; nothing ran."""

    status = 503
    retry_after = 2

    def __init__(self, code: str, fr: str, en: str) -> None:
        super().__init__(
            code,
            f"Service surchargé : {fr} et n'a pas été exécutée. Réessayez dans {self.retry_after} secondes.",
            f"Service overloaded: {en} and was not executed. Try again in {self.retry_after} seconds.",
            details={"retry_after_seconds": self.retry_after},
        )


def queue_timeout(waited_s: float) -> TooBusy:
    """Refused at the edge: no slot freed up in time."""
    seconds = math.ceil(waited_s)
    return TooBusy(
        "service.overloaded",
        f"la requête a attendu {seconds} s son tour",
        f"the request waited {seconds} s for its turn",
    )


def started_too_late() -> TooBusy:
    """Refused at its first transaction: it waited too long inside the service."""
    return TooBusy(
        "service.request_expired",
        "la requête a attendu trop longtemps avant de commencer",
        "the request waited too long before starting",
    )
