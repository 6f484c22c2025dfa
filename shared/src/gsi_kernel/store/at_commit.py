"""Work a transaction keeps for its end, just before it commits.

A projection that bumps shared rows (reporting's counters: every intervention of every
organization adds to the same program-wide cells) holds each row's lock from its first bump to
the commit. A consumer applying a poll's records in one transaction would then hold the hottest
rows for the whole batch, and the other replicas' consumers would queue behind it. Kept here
instead, the bumps are summed per row and written once, in key order, as the transaction ends:
the rows are locked for one statement and the commit, and always in the same order.

:meth:`gsi_kernel.store.database.Database.transaction` opens the place (:func:`begin`), runs
what the transaction kept (:func:`run`) before it commits and drops it (:func:`forget`) whatever
happens: what a rolled-back transaction kept is never written by the next one on the same
connection. A transaction begun elsewhere has no such place, and keeping work there raises
rather than losing it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from sqlalchemy import Connection

_KEPT = "gsi.at_commit"  # in Connection.info, which follows the DBAPI connection in the pool

T = TypeVar("T")


def begin(connection: Connection) -> None:
    connection.info[_KEPT] = {}


def kept(
    connection: Connection, name: str, start: Callable[[], T], finish: Callable[[Connection, T], None]
) -> T:
    """The transaction's value kept under ``name`` (``start()`` the first time), which
    ``finish`` is given, with the connection, just before the transaction commits."""
    pending: dict[str, tuple[Any, Callable[[Connection, Any], None]]] | None = connection.info.get(_KEPT)
    if pending is None:
        raise RuntimeError(f"{name}: kept for a commit that Database.transaction does not run")
    if name not in pending:
        pending[name] = (start(), finish)
    value: T = pending[name][0]
    return value


def run(connection: Connection) -> None:
    """Finish what the transaction kept, in the order it was first kept."""
    pending = connection.info.pop(_KEPT, None)
    for value, finish in (pending or {}).values():
        finish(connection, value)


def forget(connection: Connection) -> None:
    connection.info.pop(_KEPT, None)
