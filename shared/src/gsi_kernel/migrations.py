"""Running a service's alembic migrations, in its own PostgreSQL schema or SQLite file.

Each service keeps its migrations in ``<service>/migrations``; their ``env.py`` is two lines
that call :func:`run_env`.
"""

from __future__ import annotations

import fcntl
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic import command, context
from alembic.config import Config
from sqlalchemy import Connection, create_engine, pool, text
from sqlalchemy.engine import make_url


def upgrade(database_url: str, schema: str, script_location: Path, revision: str = "head") -> None:
    """Bring the service's database to ``revision`` (idempotent, and safe when several processes
    start at once: on PostgreSQL an advisory lock, on SQLite a lock file, lets one migrate while
    the others wait and then find nothing to do)."""
    config = Config()
    config.set_main_option("script_location", str(script_location))
    config.attributes["database_url"] = database_url
    config.attributes["schema"] = schema
    with _sqlite_migration_lock(database_url):
        command.upgrade(config, revision)


@contextmanager
def _sqlite_migration_lock(database_url: str) -> Iterator[None]:
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        yield
        return
    lock_path = Path(f"{url.database}.migrate.lock")
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    with lock_path.open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
        yield


def run_env() -> None:
    """The body of every service's migrations/env.py (online mode only)."""
    config = context.config
    url: str = config.attributes["database_url"]
    schema: str = config.attributes["schema"]
    is_postgres = make_url(url).get_backend_name() == "postgresql"
    engine = create_engine(url, poolclass=pool.NullPool)
    with engine.begin() as connection:
        if is_postgres:
            _enter_schema(connection, schema)
        context.configure(
            connection=connection,
            version_table_schema=schema if is_postgres else None,
            transactional_ddl=True,
        )
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


def _enter_schema(connection: Connection, schema: str) -> None:
    # Two services migrating at once must not both try to create the schema.
    connection.execute(text("SELECT pg_advisory_xact_lock(hashtext(:s))"), {"s": f"gsi.migrate.{schema}"})
    connection.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{schema}"'))
    connection.execute(text(f'SET search_path TO "{schema}"'))
