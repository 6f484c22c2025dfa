"""The purge of deleted rows' bytes (ADR 19), on both databases: what a delete or an update
removed is no longer anywhere in the database's files once the purge it owes is paid — and a
purge that cannot run yet stays owed rather than pretending."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import Column, Integer, MetaData, String, Table, create_engine, delete, insert, text, update
from sqlalchemy.engine import make_url

from gsi_kernel.clock import FixedClock
from gsi_kernel.store.database import Database, connect
from gsi_kernel.store.purge import Purge, owe
from tests.databases import postgres_database
from tests.disk import found_on_disk

CLOCK = FixedClock(datetime(2026, 11, 20, 15, tzinfo=UTC))
metadata = MetaData()
people = Table(
    "purge_people",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(200), index=True),
)


def _fill(db: Database) -> Table:
    with db.transaction() as connection:
        metadata.create_all(connection)
        connection.execute(insert(people), [{"id": i, "name": f"filler {i:04d}"} for i in range(300)])
    return people


@pytest.fixture
def table(database: Database) -> Table:
    return _fill(database)


@pytest.fixture
def pg(postgres_url: str) -> Iterator[Database]:
    with postgres_database(postgres_url) as db:
        _fill(db)
        yield db


def _marker() -> str:
    return f"Zqxpurge{uuid.uuid4().hex}"


def _remove(db: Database, marker: str, *, analyze: bool = True) -> None:
    """A row with the marker, updated (old versions with it), then its name removed and the
    purge owed — as an erasure does."""
    with db.transaction() as connection:
        connection.execute(insert(people).values(id=1000, name=marker))
    if analyze and db.dialect == "postgresql":  # statistics: the marker is a histogram bound
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.exec_driver_sql("ANALYZE purge_people")
            bounds = connection.execute(
                text("SELECT histogram_bounds::text FROM pg_stats WHERE tablename = 'purge_people'")
            ).scalars()
            assert any(marker in (b or "") for b in bounds)
    with db.transaction() as connection:
        connection.execute(update(people).where(people.c.id == 1000).values(name=marker + " bis"))
    with db.transaction() as connection:
        connection.execute(update(people).where(people.c.id == 1000).values(name=None))
        connection.execute(delete(people).where(people.c.id < 10))
        owe(connection, "test", CLOCK.now())


def test_a_paid_purge_leaves_no_byte_of_the_removed_data(database: Database, table: Table) -> None:
    marker = _marker()
    purge = Purge(database, "test", [table], CLOCK)
    assert purge.pay()  # nothing owed: nothing to do
    assert not purge.owed()
    _remove(database, marker)
    assert purge.owed()
    assert marker.lower() in found_on_disk(database, [marker.encode()])  # still on disk
    assert purge.pay()
    assert not purge.owed()
    assert found_on_disk(database, [marker.encode(), b"filler 0003"]) == {}
    with database.transaction() as connection:  # the live rows are all there
        assert connection.execute(text("SELECT count(*) FROM purge_people")).scalar_one() == 291


@pytest.mark.postgres
def test_a_purge_waits_for_older_snapshots_and_stays_owed_until_they_end(
    postgres_url: str, pg: Database
) -> None:
    """PostgreSQL's MVCC horizon (SQLite's checkpoint waits for its readers by itself)."""
    marker = _marker()
    reader = create_engine(postgres_url).connect()
    try:
        # A long transaction in another schema: its snapshot still sees the old versions, and a
        # rewrite would copy them (VACUUM FULL keeps what is "recently dead").
        reader.exec_driver_sql("BEGIN ISOLATION LEVEL REPEATABLE READ")
        reader.exec_driver_sql("SELECT count(*) FROM pg_class")
        _remove(pg, marker)
        purge = Purge(pg, "test", [people], CLOCK, horizon_wait_s=0.3)
        assert not purge.pay()
        assert purge.owed()
    finally:
        reader.rollback()
        reader.close()
    assert marker.lower() in found_on_disk(pg, [marker.encode()])
    assert purge.pay()
    assert not purge.owed()
    assert found_on_disk(pg, [marker.encode()]) == {}


@pytest.mark.postgres
def test_a_role_that_may_not_rewrite_the_tables_leaves_the_purge_owed(
    postgres_url: str, pg: Database
) -> None:
    """VACUUM skips a table its role does not own with a mere warning: the purge must not take
    that for done."""
    role = f"purge_{uuid.uuid4().hex[:8]}"
    admin = create_engine(postgres_url)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE ROLE "{role}" LOGIN'))
        connection.execute(text(f'GRANT USAGE ON SCHEMA "{pg.schema}" TO "{role}"'))
        connection.execute(text(f'GRANT ALL ON ALL TABLES IN SCHEMA "{pg.schema}" TO "{role}"'))
    runtime = connect(make_url(postgres_url).set(username=role).render_as_string(False), schema=pg.schema)
    try:
        _remove(runtime, _marker(), analyze=False)  # it may not analyse either
        purge = Purge(runtime, "test", [people], CLOCK)
        assert not purge.pay()
        assert purge.owed()
    finally:
        runtime.dispose()
        with admin.begin() as connection:
            connection.execute(text(f'DROP OWNED BY "{role}"'))
            connection.execute(text(f'DROP ROLE "{role}"'))
        admin.dispose()
