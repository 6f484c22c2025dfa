"""Work a transaction keeps for its end (gsi_kernel.store.at_commit): written just before the
commit, once however often it was added to; dropped with a transaction that rolls back, never
written by the next one on the same pooled connection; refused outside Database.transaction."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Column, Connection, Integer, MetaData, String, Table, insert, select

from gsi_kernel.store import at_commit
from gsi_kernel.store.database import Database
from tests.databases import sqlite_database

tallies = Table("tallies", MetaData(), Column("name", String, primary_key=True), Column("value", Integer))


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    with sqlite_database(tmp_path) as database:
        with database.transaction() as connection:
            tallies.create(connection)
        yield database


def _write(connection: Connection, pending: dict[str, int]) -> None:
    connection.execute(insert(tallies), [{"name": k, "value": v} for k, v in sorted(pending.items())])


def _add(connection: Connection, name: str, delta: int) -> dict[str, int]:
    pending = at_commit.kept(connection, "tallies", dict[str, int], _write)
    pending[name] = pending.get(name, 0) + delta
    return pending


def _rows(db: Database) -> dict[str, int]:
    with db.transaction() as connection:
        return {name: value for name, value in connection.execute(select(tallies.c.name, tallies.c.value))}


def test_what_a_transaction_keeps_is_written_once_as_it_ends(db: Database) -> None:
    with db.transaction() as connection:
        _add(connection, "a", 1)
        _add(connection, "b", 2)
        _add(connection, "a", 3)
        assert connection.execute(select(tallies)).all() == [], "nothing written before the end"
    assert _rows(db) == {"a": 4, "b": 2}


def test_a_rolled_back_transaction_leaves_nothing_for_the_next_one(db: Database) -> None:
    def fails() -> None:
        with db.transaction() as connection:
            _add(connection, "lost", 1)
            raise ZeroDivisionError

    with pytest.raises(ZeroDivisionError):
        fails()
    with db.transaction() as connection:  # the same pooled connection, taken again
        _add(connection, "kept", 1)
    assert _rows(db) == {"kept": 1}


def test_keeping_work_outside_database_transaction_is_refused(db: Database) -> None:
    with db.engine.begin() as connection, pytest.raises(RuntimeError, match="does not run"):
        _add(connection, "a", 1)


def test_work_is_kept_for_the_innermost_transactions_connection_only(db: Database, tmp_path: Path) -> None:
    """A second transaction opened inside the first (another connection, here of another
    database): work for the first is refused while the second runs, and kept again after."""
    (tmp_path / "other").mkdir()
    with sqlite_database(tmp_path / "other") as other, db.transaction() as outer:
        _add(outer, "a", 1)
        with other.transaction(), pytest.raises(RuntimeError, match="does not run"):
            _add(outer, "a", 1)
        _add(outer, "a", 2)
    assert _rows(db) == {"a": 3}
