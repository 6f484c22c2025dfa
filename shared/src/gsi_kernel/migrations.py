"""Running a service's alembic migrations, in its own PostgreSQL schema or SQLite file.

Each service keeps its migrations in ``<service>/migrations``; their ``env.py`` is two lines
that call :func:`run_env`.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command, context
from alembic.config import Config
from sqlalchemy import Connection, create_engine, pool, text
from sqlalchemy.engine import make_url


def upgrade(database_url: str, schema: str, script_location: Path, revision: str = "head") -> None:
    """Bring the service's database to ``revision`` (idempotent)."""
    config = Config()
    config.set_main_option("script_location", str(script_location))
    config.attributes["database_url"] = database_url
    config.attributes["schema"] = schema
    command.upgrade(config, revision)


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
