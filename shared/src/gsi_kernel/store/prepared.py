"""Reads a command makes on every request, sent straight to psycopg on PostgreSQL.

A statement built once with SQLAlchemy still costs, at each execution, its execution context,
parameter processing and result machinery: about three quarters of the client time of a small
indexed read (ADR 10). :class:`PreparedSelect` compiles its statement once per dialect to the
driver's SQL, merges the bound literals with the parameters, and reads rows with attribute
access (``row.person_id``) from a psycopg cursor; psycopg prepares the fixed text on the server
after a few executions. Elsewhere (SQLite) it is an ordinary SQLAlchemy execution.

A command that knows the reads it is about to make can :func:`prefetch` them: all in one round
trip (the transaction's BEGIN included, sent in one write: :mod:`gsi_kernel.store.pipeline`;
psycopg's pipeline when a transaction is already under way), each then answered from there the
first time it is asked in the transaction. Its code still reads step by step; only the waits on
PostgreSQL, and the context switches each costs on both sides, are paid once.

Values come as psycopg reads them, without SQLAlchemy's result processing: fine for text,
numbers, booleans, dates and JSON; select no ``UtcDateTime`` column through it (it would come
back in the session's zone, not normalised to UTC).
"""

from __future__ import annotations

import weakref
from collections.abc import Hashable, Mapping, Sequence
from typing import Any

from psycopg.rows import namedtuple_row
from sqlalchemy import Connection
from sqlalchemy.sql import Select

from gsi_kernel.store.bulk import driver, driver_errors
from gsi_kernel.store.pipeline import read_ahead

# Rows read ahead, by transaction (the SQLAlchemy connection of one checkout) and read.
_PREFETCHED: weakref.WeakKeyDictionary[Connection, dict[Hashable, Sequence[Any]]] = (
    weakref.WeakKeyDictionary()
)


Read = tuple["PreparedSelect", Mapping[str, Any]]  # a read and its parameters


class PreparedSelect:
    def __init__(self, statement: Select[Any]) -> None:
        self.statement = statement
        self._sql: str | None = None
        self._literals: dict[str, Any] = {}

    def all(self, connection: Connection, params: Mapping[str, Any]) -> Sequence[Any]:
        """Every row, each with attribute access by column name."""
        if connection.dialect.name != "postgresql":
            return connection.execute(self.statement, dict(params)).all()
        ahead = _PREFETCHED.get(connection)
        if ahead is not None:
            rows = ahead.pop(self._key(params), None)
            if rows is not None:
                return rows
        sql, values = self._query(connection, params)
        with driver_errors(sql, values), driver(connection).cursor(row_factory=namedtuple_row) as cursor:
            return cursor.execute(sql, values).fetchall()

    def scalars(self, connection: Connection, params: Mapping[str, Any]) -> list[Any]:
        """The first column of every row."""
        return [row[0] for row in self.all(connection, params)]

    def _query(self, connection: Connection, params: Mapping[str, Any]) -> tuple[str, dict[str, Any]]:
        return self._sql or self._compile(connection), self._literals | dict(params)

    def _key(self, params: Mapping[str, Any]) -> Hashable:
        return (id(self), tuple(sorted(params.items())))

    def _compile(self, connection: Connection) -> str:
        compiled = self.statement.compile(dialect=connection.dialect)
        # Literals of the statement (``status == "active"``) became bound parameters: keep their
        # values; those the caller binds (``bindparam("x")``) come with each execution.
        self._literals = {k: v for k, v in compiled.params.items() if v is not None}
        self._sql = compiled.string
        return self._sql


def prefetch(connection: Connection, reads: Sequence[Read]) -> None:
    """Make ``reads`` now, in one round trip, for this transaction: each is then answered from
    here the first time it is asked with the same parameters (a later ask reads again).
    PostgreSQL only; elsewhere the reads are simply made when asked."""
    if connection.dialect.name != "postgresql" or not reads:
        return
    psycopg_connection = driver(connection)
    queries = [select._query(connection, params) for select, params in reads]
    with driver_errors(*queries[0]):
        answers = read_ahead(psycopg_connection, queries)  # at the start of the transaction
        if answers is None:  # within one: psycopg's pipeline
            with psycopg_connection.pipeline():
                cursors = [psycopg_connection.cursor(row_factory=namedtuple_row) for _ in queries]
                for cursor, (sql, values) in zip(cursors, queries, strict=True):
                    cursor.execute(sql, values)
            answers = []
            for cursor in cursors:
                answers.append(cursor.fetchall())
                cursor.close()
    ahead = _PREFETCHED.setdefault(connection, {})
    for (select, params), rows in zip(reads, answers, strict=True):
        ahead[select._key(params)] = rows
