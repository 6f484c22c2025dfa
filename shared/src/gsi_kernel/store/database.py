"""Engines and transactions, the same way on PostgreSQL and SQLite.

- PostgreSQL: each service works in its own schema (``search_path`` set per connection).
- SQLite (the embedded mode): WAL, foreign keys, a busy timeout, and every transaction opened
  with ``BEGIN IMMEDIATE`` — SQLite then serialises writers up front instead of failing a
  reader that later tries to write (SQLITE_BUSY_SNAPSHOT), so a transaction never dies halfway.
  ``secure_delete``: what a delete or update frees is overwritten with zeros (ADR 19).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url

from gsi_kernel.store import bulk, deadline, idempotency

CONNECT_TIMEOUT_S = 5  # opening a PostgreSQL connection
POOL_TIMEOUT_S = 10  # waiting for a pooled connection


class Database:
    """One engine and the transactions opened on it."""

    def __init__(self, engine: Engine, schema: str | None = None) -> None:
        self.engine = engine
        self.schema = schema

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @property
    def serialises_writers(self) -> bool:
        """One writer at a time (SQLite): a write may wait for another's whole transaction."""
        return self.dialect == "sqlite"

    @contextmanager
    def transaction(self) -> Iterator[Connection]:
        """A connection inside a transaction: committed on exit, rolled back on error."""
        deadline.check_start()  # a request that waited too long does not start (issue 19)
        with self.engine.begin() as connection:
            yield connection
            # A request sent with an Idempotency-Key commits its key with its effect (ADR 21).
            idempotency.confirm_in(connection)
            bulk.commit_with_held(connection)  # the held writes go with the COMMIT

    def dispose(self) -> None:
        self.engine.dispose()


def connect(url: str, *, schema: str | None = None, pool_size: int = 24, echo: bool = False) -> Database:
    """Build the engine for ``url`` (nothing is opened until first use).

    The pool keeps as many connections as a busy process uses at once (a request thread each,
    plus the catch-up, the relay and the consumers): a connection opened beyond ``pool_size``
    is closed again when returned, and under load that churn cost a new server process every
    few requests — and lost its prepared statements. Connections are only opened when needed.

    No ``pool_pre_ping`` (a round trip per checkout, on the write path ADR 10 measured): after
    the database restarts, the first statement on a dead pooled connection fails (503, the
    client retries) and SQLAlchemy then invalidates the whole pool, so the next request opens
    fresh connections (tests/api/test_database_outage.py).

    Either engine hides a statement's parameters from its errors' text (``hide_parameters``):
    they are the data it was writing, personal data included, and an error's text goes to logs
    (see :mod:`gsi_kernel.failures` for the rest of what a database error may carry)."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return Database(_sqlite_engine(url, echo), None)
    kwargs: dict[str, Any] = {
        "pool_size": pool_size,
        "max_overflow": pool_size // 2,
        "pool_recycle": 1800,
        # A lost database must answer fast (503, gsi_kernel.http.errors), not hold a request —
        # or the event loop, for a short command — for the defaults' 30 s or the OS's minutes.
        "pool_timeout": POOL_TIMEOUT_S,
    }
    connect_args: dict[str, Any] = {"connect_timeout": CONNECT_TIMEOUT_S}
    if schema:
        connect_args["options"] = f"-csearch_path={schema}"
    kwargs["connect_args"] = connect_args
    engine = create_engine(url, echo=echo, hide_parameters=True, **kwargs)
    bulk.hold_writes(engine)
    return Database(engine, schema)


def _sqlite_engine(url: str, echo: bool) -> Engine:
    database = make_url(url).database
    if database and database != ":memory:":
        Path(database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(
        url,
        echo=echo,
        hide_parameters=True,
        connect_args={"timeout": 30, "check_same_thread": False},
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # let SQLAlchemy's BEGIN below take over
        cursor = dbapi_connection.cursor()
        for pragma in (
            "journal_mode=WAL",
            "synchronous=FULL",
            "foreign_keys=ON",
            "busy_timeout=30000",
            # Freed bytes are zeroed, not left in the page: an erased person's names must not
            # stay readable in the file (ADR 19; the WAL is purged by gsi_kernel.store.purge).
            "secure_delete=ON",
        ):
            cursor.execute(f"PRAGMA {pragma}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Connection) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")

    return engine
