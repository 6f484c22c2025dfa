"""What differs between the two databases the services run on (PostgreSQL, SQLite)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Table
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert


def insert_for(connection: Connection, table: Table) -> Any:
    """An INSERT that takes ON CONFLICT clauses, in the connection's dialect (PostgreSQL or SQLite)."""
    return insert_for_dialect(connection.dialect.name, table)


def insert_for_dialect(dialect: str, table: Table) -> Any:
    """The same, by the dialect's name (``postgresql``, ``sqlite``)."""
    return (pg_insert if dialect == "postgresql" else sqlite_insert)(table)
