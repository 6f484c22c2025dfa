"""Reads a command makes on every request, sent straight to the driver where that pays (ADR 10).

A statement built once with SQLAlchemy still costs, at each execution, its execution context,
parameter processing and result machinery: about three quarters of the client time of a small
indexed read. :class:`PreparedSelect` is compiled once to the driver's SQL where the backend
reads that way (PostgreSQL, :mod:`gsi_kernel.store._pg_prepared`), and is an ordinary SQLAlchemy
execution elsewhere; rows come with attribute access (``row.person_id``).

A command that knows the reads it is about to make can :func:`prefetch` them: all in one round
trip on PostgreSQL, each then answered from there the first time it is asked in the
transaction. Its code still reads step by step; only the waits, and the context switches each
costs on both sides, are paid once.

Values come as the driver reads them, without SQLAlchemy's result processing: fine for text,
numbers, booleans, dates and JSON; select no ``UtcDateTime`` column through it (it would come
back in the session's zone, not normalised to UTC).
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from typing import Any

from sqlalchemy import Connection
from sqlalchemy.sql import Select

from gsi_kernel.store.backend import backend_of
from gsi_kernel.store.ports import Read

__all__ = ["PreparedSelect", "Read", "prefetch"]


class PreparedSelect:
    def __init__(self, statement: Select[Any]) -> None:
        self.statement = statement
        self.sql: str | None = None  # the driver's SQL, once compiled (by the backend that uses it)
        self.literals: dict[str, Any] = {}

    def all(self, connection: Connection, params: Mapping[str, Any]) -> Sequence[Any]:
        """Every row, each with attribute access by column name."""
        return backend_of(connection).select_prepared(connection, self, params)

    def scalars(self, connection: Connection, params: Mapping[str, Any]) -> list[Any]:
        """The first column of every row."""
        return [row[0] for row in self.all(connection, params)]

    def key(self, params: Mapping[str, Any]) -> Hashable:
        return (id(self), tuple(sorted(params.items())))


def prefetch(connection: Connection, reads: Sequence[Read]) -> None:
    """Make ``reads`` now, in one round trip, for this transaction: each is then answered from
    there the first time it is asked with the same parameters (a later ask reads again).
    Where that saves nothing (SQLite), the reads are simply made when asked."""
    if reads:
        backend_of(connection).prefetch(connection, reads)
