"""PostgreSQL's side of :class:`~gsi_kernel.store.prepared.PreparedSelect` and
:func:`~gsi_kernel.store.prepared.prefetch` (private to :mod:`gsi_kernel.store.postgres`).

The statement is compiled once to psycopg's SQL, its bound literals merged with the parameters,
and run on a psycopg cursor (psycopg prepares the fixed text on the server after a few
executions). Reads prefetched go in one round trip, in psycopg's pipeline; when they start the
transaction, psycopg first waits for its BEGIN (a round trip of its own; ADR 25 measured this
path against sending the BEGIN with them through libpq, and kept it).
"""

from __future__ import annotations

import weakref
from collections.abc import Hashable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from psycopg.rows import namedtuple_row
from sqlalchemy import Connection

from gsi_kernel.store._pg_bulk import driver, driver_errors
from gsi_kernel.store.ports import Read

if TYPE_CHECKING:
    from gsi_kernel.store.prepared import PreparedSelect

# Rows read ahead, by transaction (the SQLAlchemy connection of one checkout) and read.
_PREFETCHED: weakref.WeakKeyDictionary[Connection, dict[Hashable, Sequence[Any]]] = (
    weakref.WeakKeyDictionary()
)


def select_prepared(
    connection: Connection, select: PreparedSelect, params: Mapping[str, Any]
) -> Sequence[Any]:
    ahead = _PREFETCHED.get(connection)
    if ahead is not None:
        rows = ahead.pop(select.key(params), None)
        if rows is not None:
            return rows
    sql, values = _query(connection, select, params)
    with driver_errors(sql, values), driver(connection).cursor(row_factory=namedtuple_row) as cursor:
        return cursor.execute(sql, values).fetchall()


def prefetch(connection: Connection, reads: Sequence[Read]) -> None:
    psycopg_connection = driver(connection)
    queries = [_query(connection, select, params) for select, params in reads]
    with driver_errors(*queries[0]):
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
        ahead[select.key(params)] = rows


def _query(
    connection: Connection, select: PreparedSelect, params: Mapping[str, Any]
) -> tuple[str, dict[str, Any]]:
    return select.sql or _compile(connection, select), select.literals | dict(params)


def _compile(connection: Connection, select: PreparedSelect) -> str:
    compiled = select.statement.compile(dialect=connection.dialect)
    # Literals of the statement (``status == "active"``) became bound parameters: keep their
    # values; those the caller binds (``bindparam("x")``) come with each execution.
    select.literals = {k: v for k, v in compiled.params.items() if v is not None}
    select.sql = compiled.string
    return select.sql
