"""A service's next migration, generated from its tables (``make migration SERVICE=… MESSAGE=…``),
and the check that its migrations and tables agree.

    python -m gsi_kernel.schema_cli revision services/reporting/src/reporting/migrations "what"
    python -m gsi_kernel.schema_cli check services/reporting/src/reporting/migrations

Both work in a scratch schema of a PostgreSQL database (``--database-url``, by default
``GSI_TEST_DATABASE_URL``, the one ``deploy/local/postgres.sh`` starts), migrated to head from
nothing and dropped afterwards: the developer's own data never shapes a migration.
"""

from __future__ import annotations

import argparse
import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, text

from gsi_kernel.migrations import SchemaDiffers, alembic_config, check, upgrade


def new_revision(database_url: str, script_location: Path, message: str) -> list[Path]:
    """Write the next migration (``NNNN_message.py``) for what the service's metadata holds and
    its migrations do not; the files written (none when nothing differs). What autogenerate
    cannot write (see :mod:`gsi_kernel.schema_drift`) is printed, for the migration's author."""
    with scratch_schema(database_url) as schema:
        upgrade(database_url, schema, script_location)
        try:
            check(database_url, schema, script_location)
            return []
        except SchemaDiffers as differences:
            print(differences)
        config = alembic_config(database_url, schema, script_location)
        _formatted_by_ruff(config)
        scripts = command.revision(config, message, autogenerate=True, rev_id=_next_id(config))
    written = scripts if isinstance(scripts, list) else [scripts]
    return [Path(script.path) for script in written if script is not None]


def _formatted_by_ruff(config: Config) -> None:
    """The new file comes out as the project formats its code (ruff, as `make lint` runs it)."""
    config.set_section_option("post_write_hooks", "hooks", "ruff_format, ruff_fix")
    for name, options in (("ruff_format", "format"), ("ruff_fix", "check --fix")):
        config.set_section_option("post_write_hooks", f"{name}.type", "module")
        config.set_section_option("post_write_hooks", f"{name}.module", "ruff")
        config.set_section_option(
            "post_write_hooks", f"{name}.options", f"{options} REVISION_SCRIPT_FILENAME"
        )


def check_schema(database_url: str, script_location: Path) -> None:
    """Raise :class:`SchemaDiffers` unless the migrations, from nothing, build the tables."""
    with scratch_schema(database_url) as schema:
        upgrade(database_url, schema, script_location)
        check(database_url, schema, script_location)


def _next_id(config: Config) -> str:
    """Revisions are numbered 0001, 0002…: one more than the head's."""
    heads = ScriptDirectory.from_config(config).get_heads()
    return f"{max((int(head) for head in heads), default=0) + 1:04d}"


@contextmanager
def scratch_schema(database_url: str) -> Iterator[str]:
    schema = f"revision_{uuid.uuid4().hex[:12]}"
    try:
        yield schema  # the migrations create it
    finally:
        engine = create_engine(database_url)
        with engine.begin() as connection:
            connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        engine.dispose()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m gsi_kernel.schema_cli", description=__doc__)
    parser.add_argument("command", choices=["revision", "check"])
    parser.add_argument("migrations", type=Path, help="the service's migrations directory")
    parser.add_argument("message", nargs="?", help="revision: what the migration does")
    parser.add_argument("--database-url", default=os.environ.get("GSI_TEST_DATABASE_URL"))
    args = parser.parse_args(argv)
    if not args.database_url:
        parser.error(
            "a PostgreSQL URL: --database-url, or GSI_TEST_DATABASE_URL (deploy/local/postgres.sh env)"
        )
    if args.command == "check":
        try:
            check_schema(args.database_url, args.migrations)
        except SchemaDiffers as differences:
            print(differences)
            return 1
        print("The migrations build the tables exactly.")
        return 0
    if not args.message:
        parser.error("revision needs a message")
    written = new_revision(args.database_url, args.migrations, args.message)
    for path in written:
        print(f"Written: {path}\nRead it, then run tests/integration/test_schema.py.")
    if not written:
        print("The migrations build the tables already: no migration written.")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
