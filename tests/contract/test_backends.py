"""The storage backends' named operations (gsi_kernel.store.ports.Backend), run on each database:
the same answers where the databases agree, and PostgreSQL's locks where it has them."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from sqlalchemy import (
    JSON,
    Column,
    Connection,
    Integer,
    MetaData,
    Sequence,
    String,
    Table,
    select,
    text,
)
from sqlalchemy.exc import IntegrityError, OperationalError

from gsi_kernel.events import DomainEvent
from gsi_kernel.store.backend import backend_for_url, backend_of
from gsi_kernel.store.database import Database
from gsi_kernel.store.event_store import EventStore
from gsi_kernel.store.postgres import COPY_FROM, POSTGRES
from gsi_kernel.store.sqlite import SQLITE
from gsi_kernel.store.tracking import ensure_checkpoint, read_cursor, write_cursor
from tests.integration.support import CLOCK, CONTEXT

metadata = MetaData()
things = Table(
    "backend_things",
    metadata,
    Column("thing_id", String(20), primary_key=True),
    Column("owner", String(20), nullable=False),
    Column("doc", JSON, nullable=False),
    Column("amount", Integer, nullable=False),
)
counter = Table(
    "backend_counter",
    metadata,
    Column("name", String(20), primary_key=True),
    Column("last_number", Integer, nullable=False),
)
numbers = Sequence("backend_numbers", metadata=metadata)


class Happened(DomainEvent):
    event_type = "test.Happened"
    n: int


@pytest.fixture
def db(database: Database) -> Database:
    with database.transaction() as c:
        metadata.create_all(c)
    return database


def thing(thing_id: str, owner: str = "o1", amount: int = 1) -> dict[str, Any]:
    return {"thing_id": thing_id, "owner": owner, "doc": {"k": [thing_id]}, "amount": amount}


def rows_of(db: Database) -> list[tuple[str, str, Any, int]]:
    with db.transaction() as c:
        return [tuple(r) for r in c.execute(select(things).order_by(things.c.thing_id))]  # type: ignore[misc]


def test_the_backend_is_chosen_by_url_and_found_from_a_connection(db: Database, tmp_path: Any) -> None:
    assert backend_for_url(f"sqlite:///{tmp_path}/x.db") is SQLITE
    assert backend_for_url("postgresql+psycopg://u@h/d") is POSTGRES
    with pytest.raises(ValueError, match="no storage backend"):
        backend_for_url("mysql://u@h/d")
    with db.transaction() as c:
        assert backend_of(c) is db.backend
    assert db.dialect == db.backend.name


def test_insert_or_ignore_says_with_returning_whether_it_inserted(db: Database) -> None:
    def claim(c: Connection, thing_id: str, owner: str) -> bool:
        inserted = c.execute(
            backend_of(c)
            .insert(things)
            .values(thing(thing_id, owner))
            .on_conflict_do_nothing()
            .returning(things.c.thing_id)
        ).first()
        return inserted is not None

    with db.transaction() as c:
        assert claim(c, "a", "o1")
        assert not claim(c, "a", "o2")  # already there: nothing, no error
    assert [r[1] for r in rows_of(db)] == ["o1"]


def test_an_upsert_adds_to_what_is_there_and_returns_the_rows(db: Database) -> None:
    def add(c: Connection, thing_id: str, amount: int) -> int:
        upsert = backend_of(c).insert(things).values(thing(thing_id, amount=amount))
        statement = upsert.on_conflict_do_update(
            index_elements=["thing_id"], set_={"amount": things.c.amount + upsert.excluded.amount}
        ).returning(things.c.amount)
        return int(c.execute(statement).scalar_one())

    with db.transaction() as c:
        assert add(c, "a", 2) == 2
        assert add(c, "a", 5) == 7


@pytest.mark.parametrize("how", ["insert_rows", "copy_rows"])
@pytest.mark.parametrize("size", [3, COPY_FROM + 5])
def test_many_rows_go_in_as_given(db: Database, how: str, size: int) -> None:
    given = [thing(f"t{i:05}", amount=i) for i in range(size)]
    with db.transaction() as c:
        getattr(backend_of(c), how)(c, things, given)
        # the transaction reads its own rows
        assert c.execute(select(things.c.thing_id).where(things.c.amount == size - 1)).scalar_one()
    assert rows_of(db) == [(t["thing_id"], "o1", t["doc"], t["amount"]) for t in given]


def test_rows_go_in_when_written_and_a_failing_one_raises_there(db: Database) -> None:
    """No write waits for the commit (ADR 25): a clash raises at the call, the transaction's
    earlier rows still there for a savepoint to keep."""
    with db.transaction() as c:
        backend = backend_of(c)
        backend.insert_rows(c, things, [thing("a")])
        savepoint = c.begin_nested()
        with pytest.raises(IntegrityError):
            backend.insert_rows(c, things, [thing("a")])  # at the call, not at the commit
        savepoint.rollback()
        backend.insert_rows(c, things, [thing("b")])
    assert [r[0] for r in rows_of(db)] == ["a", "b"]


def test_a_counter_never_hands_out_a_number_twice(db: Database) -> None:
    got = []
    for _ in range(3):
        with db.transaction() as c:
            got.append(backend_of(c).next_number(c, numbers, counter, "things"))
    assert [n - got[0] for n in got] == [0, 1, 2]


def test_locked_rows_read_the_same_and_claimed_rows_skip_what_another_transaction_holds(
    db: Database,
) -> None:
    with db.transaction() as c:
        backend_of(c).insert_rows(c, things, [thing("a"), thing("b")])
    every = select(things.c.thing_id).order_by(things.c.thing_id)
    with db.transaction() as c:
        backend = backend_of(c)
        assert list(c.execute(backend.lock_rows(every.where(things.c.thing_id == "a"))).scalars()) == ["a"]
        if backend.serialises_writers:  # one writer at a time: nobody else holds a row
            assert list(c.execute(backend.claim_rows(every)).scalars()) == ["a", "b"]
            return
        with db.transaction() as other:
            assert list(other.execute(backend.claim_rows(every)).scalars()) == ["b"]


def test_a_key_is_held_until_the_transaction_ends(db: Database) -> None:
    with db.transaction() as c:
        backend = backend_of(c)
        backend.lock_key(c, "reporting.person.p1")
        if backend.serialises_writers:  # BEGIN IMMEDIATE: this transaction is the only writer
            return
        with db.transaction() as other:
            backend.lock_key(other, "reporting.person.p2")  # another key: no wait
        with db.transaction() as other:
            other.exec_driver_sql("SET LOCAL lock_timeout = '100ms'")
            with pytest.raises(OperationalError, match="lock timeout"):
                backend.lock_key(other, "reporting.person.p1")
            other.rollback()
    with db.transaction() as c:  # released with the transaction
        backend_of(c).lock_key(c, "reporting.person.p1")


def test_appends_are_held_off_until_the_transaction_ends(db: Database) -> None:
    store = EventStore(source="test", clock=CLOCK)
    with db.transaction() as c:
        backend = backend_of(c)
        backend.hold_appends(c)
        assert store.read_all(c, settled=True) == []
        if backend.serialises_writers:  # BEGIN IMMEDIATE: this transaction is the only writer
            return
        with db.transaction() as other:
            other.exec_driver_sql("SET LOCAL lock_timeout = '100ms'")
            with pytest.raises(OperationalError, match="lock timeout"):
                store.append(other, "s-1", 0, [Happened(n=1)], CONTEXT)
            other.rollback()
    with db.transaction() as c:
        store.append(c, "s-1", 0, [Happened(n=1)], CONTEXT)
        assert [e.stream_id for e in store.read_all(c, settled=True)] == ["s-1"]


def test_dates_bucketed_by_an_array_where_the_backend_says_it_can(db: Database) -> None:
    with db.transaction() as c:
        if not backend_of(c).date_arrays:
            return
        bucket = c.execute(
            text("SELECT width_bucket(CAST(:d AS date), CAST(:t AS date[]))"),
            {"d": date(2026, 5, 2), "t": [date(2026, 1, 1), date(2026, 5, 1), date(2026, 6, 1)]},
        ).scalar_one()
    assert bucket == 2


def test_a_checkpoint_ensured_again_keeps_where_it_stands(database: Database) -> None:
    """Replicas starting together each ensure their checkpoints: the first makes the row at
    zero, the others leave it as it is — moved or not — and none fails."""
    now = CLOCK.now()
    with database.transaction() as c:
        ensure_checkpoint(c, "test.ensured", now)
        write_cursor(c, "test.ensured", (7, 42), now)
    with database.transaction() as c:
        ensure_checkpoint(c, "test.ensured", now)
        ensure_checkpoint(c, "test.ensured", now)
        assert read_cursor(c, "test.ensured") == (7, 42)
