"""insert_rows: the same rows on each database; on PostgreSQL held until the transaction's next
statement or its commit (gsi_kernel.store._pg_bulk.hold_writes), never lost, never sent twice."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from sqlalchemy import (
    Column,
    Connection,
    Date,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Table,
    create_engine,
    select,
    text,
)
from sqlalchemy.exc import IntegrityError

from gsi_kernel.store import _pg_bulk
from gsi_kernel.store.backend import backend_of
from gsi_kernel.store.database import Database
from gsi_kernel.store.prepared import PreparedSelect

metadata = MetaData()
owners = Table("held_owners", metadata, Column("owner_id", String(10), primary_key=True))
items = Table(
    "held_items",
    metadata,
    Column("item_id", String(10), primary_key=True),
    Column("owner_id", String(10), ForeignKey("held_owners.owner_id"), nullable=False),
    Column("due_on", Date),
    Column("amount", Integer, nullable=False),
)
ITEMS_OF = PreparedSelect(select(items.c.item_id).order_by(items.c.item_id))


@pytest.fixture
def db(database: Database) -> Database:
    with database.transaction() as c:
        metadata.create_all(c)
    return database


def item(item_id: str, owner: str = "o1") -> dict[str, Any]:
    return {"item_id": item_id, "owner_id": owner, "due_on": date(2026, 12, 1), "amount": 3}


def stored(db: Database) -> list[str]:
    with db.transaction() as c:
        return list(c.execute(select(items.c.item_id).order_by(items.c.item_id)).scalars())


def insert_rows(c: Connection, table: Table, rows: list[dict[str, Any]]) -> None:
    backend_of(c).insert_rows(c, table, rows)


def held(c: Any) -> int:
    return len(_pg_bulk._HELD.get(c, ()))


def test_rows_written_are_committed_with_the_transaction(db: Database) -> None:
    with db.transaction() as c:
        insert_rows(c, owners, [{"owner_id": "o1"}])
        insert_rows(c, items, [item("a"), item("b")])
        assert held(c) == (2 if db.dialect == "postgresql" else 0)
    assert stored(db) == ["a", "b"]
    with db.transaction() as c:
        assert c.execute(select(items.c.due_on, items.c.amount).where(items.c.item_id == "a")).one() == (
            date(2026, 12, 1),
            3,
        )


def test_the_transaction_reads_its_own_held_writes_through_sqlalchemy_and_through_psycopg(
    db: Database,
) -> None:
    with db.transaction() as c:
        insert_rows(c, owners, [{"owner_id": "o1"}])
        insert_rows(c, items, [item("a")])
        assert ITEMS_OF.scalars(c, {}) == ["a"]  # straight to psycopg: sent first
        assert held(c) == 0
        insert_rows(c, items, [item("b")])
        assert list(c.execute(select(items.c.item_id).order_by(items.c.item_id)).scalars()) == ["a", "b"]
        assert held(c) == 0
        insert_rows(c, items, [item("c")])
    assert stored(db) == ["a", "b", "c"]  # each sent once: no duplicate key


def test_held_writes_go_in_the_order_they_were_made(db: Database) -> None:
    with db.transaction() as c:  # the items reference the owner: the owner's row must go first
        insert_rows(c, owners, [{"owner_id": "o2"}])
        insert_rows(c, items, [item("x", "o2")])
    assert stored(db) == ["x"]


def test_a_rollback_drops_them(db: Database) -> None:
    def failing_command() -> None:
        with db.transaction() as c:
            insert_rows(c, owners, [{"owner_id": "o1"}])
            raise RuntimeError("the command failed")

    with pytest.raises(RuntimeError):
        failing_command()
    with db.transaction() as c:
        assert held(c) == 0
        assert c.execute(select(owners.c.owner_id)).all() == []


def test_a_held_write_that_fails_at_commit_raises_and_commits_nothing(db: Database) -> None:
    with db.transaction() as c:
        insert_rows(c, owners, [{"owner_id": "o1"}])

    def command() -> None:
        with db.transaction() as c:
            c.execute(owners.insert().values(owner_id="o3"))
            insert_rows(c, items, [item("a")])
            insert_rows(c, owners, [{"owner_id": "o1"}])  # a duplicate: fails, on PostgreSQL at the commit

    with pytest.raises(IntegrityError):
        command()
    with db.transaction() as c:
        assert list(c.execute(select(owners.c.owner_id)).scalars()) == ["o1"]
    assert stored(db) == []
    with db.transaction() as c:  # the pooled connection is clean for the next transaction
        insert_rows(c, items, [item("b")])
    assert stored(db) == ["b"]


def test_an_engine_that_does_not_hold_writes_runs_them_at_once(postgres_url: str) -> None:
    from tests.databases import postgres_schema

    with postgres_schema(postgres_url) as schema:
        engine = create_engine(postgres_url, connect_args={"options": f"-csearch_path={schema}"})
        try:
            with engine.begin() as c:
                metadata.create_all(c)
                insert_rows(c, owners, [{"owner_id": "o1"}])
                assert held(c) == 0
                assert c.execute(text("SELECT count(*) FROM held_owners")).scalar() == 1
        finally:
            engine.dispose()
