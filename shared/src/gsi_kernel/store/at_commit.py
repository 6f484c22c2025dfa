"""Work a transaction keeps for its end, just before it commits.

A projection that bumps shared rows (reporting's counters: every intervention of every
organization adds to the same program-wide cells) holds each row's lock from its first bump to
the commit. A consumer applying a poll's records in one transaction would then hold the hottest
rows for the whole batch, and the other replicas' consumers would queue behind it. Kept here
instead, the bumps are summed per row and written once, in key order, as the transaction ends:
the rows are locked for one statement and the commit, and always in the same order.

:meth:`gsi_kernel.store.database.Database.transaction` opens the place for the transaction
(:func:`opened`), runs what it kept (:func:`run`) before it commits, and closes the place
whatever happens: what a rolled-back transaction kept is never written. The place is the
running context's (a context variable, as a request's idempotency claim is), and names its
connection: work kept for another connection, or for a transaction begun elsewhere, raises
rather than being lost.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any, TypeVar

from sqlalchemy import Connection

T = TypeVar("T")


@dataclass
class _Place:
    connection: Connection
    work: dict[str, tuple[Any, Callable[[Connection, Any], None]]] = field(default_factory=dict)


_PLACE: ContextVar[_Place | None] = ContextVar("gsi_at_commit", default=None)


@contextmanager
def opened(connection: Connection) -> Iterator[None]:
    """The place for what ``connection``'s transaction keeps, for the block's duration."""
    token = _PLACE.set(_Place(connection))
    try:
        yield
    finally:
        _PLACE.reset(token)


def kept(
    connection: Connection, name: str, start: Callable[[], T], finish: Callable[[Connection, T], None]
) -> T:
    """The transaction's value kept under ``name`` (``start()`` the first time), which
    ``finish`` is given, with the connection, just before the transaction commits."""
    place = _PLACE.get()
    if place is None or place.connection is not connection:
        raise RuntimeError(f"{name}: kept for a commit that Database.transaction does not run")
    if name not in place.work:
        place.work[name] = (start(), finish)
    value: T = place.work[name][0]
    return value


def run(connection: Connection) -> None:
    """Finish what ``connection``'s transaction kept, in the order it was first kept."""
    place = _PLACE.get()
    if place is None or place.connection is not connection:
        return
    work, place.work = place.work, {}
    for value, finish in work.values():
        finish(connection, value)
