"""Reads a command makes on every request, sent straight to psycopg on PostgreSQL.

A statement built once with SQLAlchemy still costs, at each execution, its execution context,
parameter processing and result machinery: about three quarters of the client time of a small
indexed read (ADR 10). :class:`PreparedSelect` compiles its statement once per dialect to the
driver's SQL, merges the bound literals with the parameters, and reads rows with attribute
access (``row.person_id``) from a psycopg cursor; psycopg prepares the fixed text on the server
after a few executions. Elsewhere (SQLite) it is an ordinary SQLAlchemy execution.

Values come as psycopg reads them, without SQLAlchemy's result processing: fine for text,
numbers, booleans, dates and JSON; select no ``UtcDateTime`` column through it (it would come
back in the session's zone, not normalised to UTC).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import psycopg
from psycopg.rows import namedtuple_row
from sqlalchemy import Connection
from sqlalchemy.exc import DBAPIError
from sqlalchemy.sql import Select


class PreparedSelect:
    def __init__(self, statement: Select[Any]) -> None:
        self.statement = statement
        self._sql: str | None = None
        self._literals: dict[str, Any] = {}

    def all(self, connection: Connection, params: Mapping[str, Any]) -> Sequence[Any]:
        """Every row, each with attribute access by column name."""
        if connection.dialect.name != "postgresql":
            return connection.execute(self.statement, dict(params)).all()
        sql = self._sql or self._compile(connection)
        driver = connection.connection.driver_connection
        assert isinstance(driver, psycopg.Connection)
        values = self._literals | dict(params)
        try:
            with driver.cursor(row_factory=namedtuple_row) as cursor:
                return cursor.execute(sql, values).fetchall()
        except psycopg.Error as exc:
            raise DBAPIError.instance(sql, values, exc, psycopg.Error, hide_parameters=True) from exc

    def scalars(self, connection: Connection, params: Mapping[str, Any]) -> list[Any]:
        """The first column of every row."""
        return [row[0] for row in self.all(connection, params)]

    def _compile(self, connection: Connection) -> str:
        compiled = self.statement.compile(dialect=connection.dialect)
        # Literals of the statement (``status == "active"``) became bound parameters: keep their
        # values; those the caller binds (``bindparam("x")``) come with each execution.
        self._literals = {k: v for k, v in compiled.params.items() if v is not None}
        self._sql = compiled.string
        return self._sql
