"""Fresh databases for the tests: a SQLite file, or a new schema in the real PostgreSQL."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine, text

from gsi_kernel.envelope import EventEnvelope
from gsi_kernel.store.database import Database, connect
from gsi_kernel.store.ddl import create_kernel_tables_v1
from gsi_kernel.store.event_store import EventStore


@contextmanager
def sqlite_database(directory: Path) -> Iterator[Database]:
    db = connect(f"sqlite:///{directory / 'store.db'}")
    with db.transaction() as connection:
        create_kernel_tables_v1(connection)
    yield db
    db.dispose()


@contextmanager
def postgres_schema(url: str) -> Iterator[str]:
    """A new, empty schema; dropped afterwards."""
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(url)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield schema
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@contextmanager
def postgres_database(url: str) -> Iterator[Database]:
    with postgres_schema(url) as schema:
        db = connect(url, schema=schema)
        with db.transaction() as connection:
            create_kernel_tables_v1(connection)
        yield db
        db.dispose()


def read_everything(database: Database, s: EventStore, limit: int = 1000) -> list[EventEnvelope]:
    """``read_all`` once its horizon has passed every event committed so far. On PostgreSQL the
    horizon is the oldest transaction running on the whole server: the other lane's tests (or
    anyone's) hold it back for as long as theirs are open."""
    deadline = time.monotonic() + 30
    while True:
        with database.transaction() as c:
            read, everything = s.read_all(c, limit=limit), s.read_all(c, limit=limit, settled=True)
        if read == everything or time.monotonic() > deadline:
            return read
        time.sleep(0.05)
