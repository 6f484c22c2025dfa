"""PreparedSelect: the same rows through psycopg on PostgreSQL as through SQLAlchemy on SQLite."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import Column, Date, Integer, MetaData, String, Table, bindparam, insert, select
from sqlalchemy.exc import DBAPIError

from gsi_kernel.store.database import Database
from gsi_kernel.store.prepared import PreparedSelect, prefetch

metadata = MetaData()
items = Table(
    "prepared_items",
    metadata,
    Column("item_id", String(10), primary_key=True),
    Column("owner", String(10), nullable=False),
    Column("status", String(10), nullable=False),
    Column("due_on", Date),
    Column("amount", Integer, nullable=False),
)

# A literal ("active") and a parameter the caller binds.
ACTIVE_OF = PreparedSelect(
    select(items.c.item_id, items.c.due_on, items.c.amount)
    .where(items.c.status == "active", items.c.owner == bindparam("owner"))
    .order_by(items.c.item_id)
)


@pytest.fixture
def filled(database: Database) -> Database:
    with database.transaction() as c:
        metadata.create_all(c)
        c.execute(
            insert(items),
            [
                {"item_id": "a", "owner": "o1", "status": "active", "due_on": date(2026, 12, 1), "amount": 3},
                {"item_id": "b", "owner": "o1", "status": "closed", "due_on": None, "amount": 4},
                {"item_id": "c", "owner": "o1", "status": "active", "due_on": None, "amount": 5},
                {"item_id": "d", "owner": "o2", "status": "active", "due_on": None, "amount": 6},
            ],
        )
    return database


def test_rows_come_with_their_columns_by_name_and_the_statements_literals_apply(filled: Database) -> None:
    for _ in range(7):  # past psycopg's threshold: the server-side prepared form answers the same
        with filled.transaction() as c:
            rows = ACTIVE_OF.all(c, {"owner": "o1"})
        assert [(r.item_id, r.due_on, r.amount) for r in rows] == [
            ("a", date(2026, 12, 1), 3),
            ("c", None, 5),
        ]
    with filled.transaction() as c:
        assert ACTIVE_OF.scalars(c, {"owner": "o2"}) == ["d"]
        assert ACTIVE_OF.all(c, {"owner": "nobody"}) == []


def test_a_database_error_comes_as_sqlalchemys(database: Database) -> None:
    missing = PreparedSelect(select(items.c.item_id).where(items.c.owner == bindparam("owner")))
    with pytest.raises(DBAPIError), database.transaction() as c:
        missing.all(c, {"owner": "o1"})  # the table was never created


def test_prefetched_reads_are_answered_once_from_one_round_trip(
    filled: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    import gsi_kernel.store._pg_prepared as prepared

    trips: list[str] = []
    real = prepared.driver
    monkeypatch.setattr(prepared, "driver", lambda c: trips.append("trip") or real(c))
    on_postgres = filled.dialect == "postgresql"
    with filled.transaction() as c:
        prefetch(c, [(ACTIVE_OF, {"owner": "o1"}), (ACTIVE_OF, {"owner": "o2"})])
        if on_postgres:  # another transaction reads for itself (SQLite has one writer at a time)
            with filled.transaction() as other:
                assert ACTIVE_OF.scalars(other, {"owner": "o2"}) == ["d"]
        c.execute(insert(items).values(item_id="e", owner="o2", status="active", amount=1))
        assert ACTIVE_OF.scalars(c, {"owner": "o1"}) == ["a", "c"]
        ahead = ["d"] if on_postgres else ["d", "e"]  # SQLite reads when asked, not ahead
        assert ACTIVE_OF.scalars(c, {"owner": "o2"}) == ahead  # as read ahead
        assert ACTIVE_OF.scalars(c, {"owner": "o2"}) == ["d", "e"]  # asked again: read again
    assert trips == (["trip", "trip", "trip"] if on_postgres else [])  # ahead, the other, again


def test_a_failing_prefetch_comes_as_sqlalchemys_error(database: Database) -> None:
    missing = PreparedSelect(select(items.c.item_id).where(items.c.owner == bindparam("owner")))
    if database.dialect != "postgresql":
        with database.transaction() as c:
            prefetch(c, [(missing, {"owner": "o1"})])  # elsewhere: read when asked, not before
        return
    with pytest.raises(DBAPIError), database.transaction() as c:
        prefetch(c, [(ACTIVE_OF, {"owner": "o1"}), (missing, {"owner": "o1"})])
