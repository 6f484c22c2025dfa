"""Engines and transactions, the same way on PostgreSQL and SQLite: the backend
(:mod:`gsi_kernel.store.postgres`, :mod:`gsi_kernel.store.sqlite`) is chosen here, once, by URL,
and builds the engine its way."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Connection, Engine

from gsi_kernel.store import at_commit, deadline, idempotency
from gsi_kernel.store.backend import backend_for_url
from gsi_kernel.store.ports import Backend


class Database:
    """One engine and the transactions opened on it."""

    def __init__(self, engine: Engine, backend: Backend, schema: str | None = None) -> None:
        self.engine = engine
        self.backend = backend
        self.schema = schema

    @property
    def dialect(self) -> str:
        """The backend's name (``postgresql``, ``sqlite``): for messages and tests, not to branch on."""
        return self.backend.name

    @property
    def serialises_writers(self) -> bool:
        """One writer at a time (SQLite): a write may wait for another's whole transaction."""
        return self.backend.serialises_writers

    @contextmanager
    def transaction(self) -> Iterator[Connection]:
        """A connection inside a transaction: committed on exit, rolled back on error."""
        deadline.check_start()  # a request that waited too long does not start (issue 19)
        with self.engine.begin() as connection, at_commit.opened(connection):
            yield connection
            at_commit.run(connection)  # what the transaction kept for its end
            # A request sent with an Idempotency-Key commits its key with its effect (ADR 21).
            idempotency.confirm_in(connection)

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
    backend = backend_for_url(url)
    engine = backend.engine(url, schema=schema, pool_size=pool_size, echo=echo)
    return Database(engine, backend, schema if backend.schemas else None)
