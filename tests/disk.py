"""What a database holds on disk, byte for byte: for tests that erased data must not outlive.

SQLite: the database file, its WAL and its shared-memory index. PostgreSQL: every file of the
database's directory (tables, indexes, TOAST, the catalogs and their statistics), read after a
CHECKPOINT has written what was only in memory. The WAL (``pg_wal``) is left out: it is the
crash log, whose handling ADR 19 describes. Reading PostgreSQL's files needs the test to run
where the server's data directory is readable (the local server of ``deploy/local``, as root).
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

import pytest
from sqlalchemy import text

from gsi_kernel.store.database import Database


def database_files(db: Database) -> list[Path]:
    if db.dialect == "sqlite":
        main = Path(str(db.engine.url.database))
        return [p for p in (main, Path(f"{main}-wal"), Path(f"{main}-shm")) if p.exists()]
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.exec_driver_sql("CHECKPOINT")
        data = connection.execute(text("SHOW data_directory")).scalar_one()
        oid = connection.execute(
            text("SELECT oid FROM pg_database WHERE datname = current_database()")
        ).scalar_one()
    directory = Path(data) / "base" / str(oid)
    if not os.access(directory, os.R_OK | os.X_OK):
        reason = f"PostgreSQL's data directory {directory} is not readable here (run as root, locally)"
        if os.environ.get("GSI_REQUIRE_INFRA") == "1":
            pytest.fail(reason)
        pytest.skip(reason)
    return sorted(p for p in directory.iterdir() if p.is_file())


def found_on_disk(
    db: Database, needles: Iterable[bytes], *, extra: Iterable[Path] = ()
) -> dict[str, list[str]]:
    """Which needles (compared without case) are in which of the database's files, or of
    ``extra`` files: {needle: [file names]}, only the needles found."""
    wanted = [n.lower() for n in needles]
    found: dict[str, list[str]] = {}
    for path in [*database_files(db), *extra]:
        try:
            content = path.read_bytes().lower()
        except FileNotFoundError:  # another test's relation, dropped meanwhile
            continue
        for needle in wanted:
            if needle in content:
                found.setdefault(needle.decode("latin-1"), []).append(path.name)
    return found
