"""The event-store contract, run against SQLite and PostgreSQL alike."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from gsi_kernel.clock import FixedClock
from gsi_kernel.envelope import CommandContext
from gsi_kernel.errors import ConcurrencyConflict
from gsi_kernel.events import DomainEvent
from gsi_kernel.store.database import Database
from gsi_kernel.store.event_store import EventStore

CONTEXT = CommandContext(
    actor="karine",
    organization="org-sherbrooke",
    correlation_id="6f1c9a2e-0000-4000-8000-000000000001",
    traceparent="00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
)


class Noted(DomainEvent):
    event_type = "Noted"
    text: str


def store() -> EventStore:
    return EventStore(source="gsi/test", clock=FixedClock(datetime(2026, 11, 20, 15, tzinfo=UTC)))


def test_append_then_load_keeps_order_versions_and_envelope(database: Database) -> None:
    s = store()
    with database.transaction() as c:
        recorded = s.append(c, "stream-a", 0, [Noted(text="one"), Noted(text="two")], CONTEXT)
    with database.transaction() as c:
        loaded = s.load(c, "stream-a")
    assert [e.payload["text"] for e in loaded] == ["one", "two"]
    assert [e.stream_version for e in loaded] == [1, 2]
    assert [e.event_id for e in loaded] == [e.event_id for e in recorded]
    first = loaded[0]
    assert first.type == "Noted"
    assert first.schema_version == 1
    assert first.actor == "karine"
    assert first.organization == "org-sherbrooke"
    assert first.correlation_id == CONTEXT.correlation_id
    assert first.traceparent == CONTEXT.traceparent
    assert first.occurred_at == datetime(2026, 11, 20, 15, tzinfo=UTC)
    assert first.position is not None
    assert loaded[1].position is not None
    assert loaded[1].position > first.position


def test_stale_expected_version_is_a_conflict_and_writes_nothing(database: Database) -> None:
    s = store()
    with database.transaction() as c:
        s.append(c, "stream-b", 0, [Noted(text="first")], CONTEXT)
    with pytest.raises(ConcurrencyConflict) as raised, database.transaction() as c:
        s.append(c, "stream-b", 0, [Noted(text="lost update")], CONTEXT)
    assert raised.value.code == "concurrency_conflict"
    assert raised.value.status == 409
    with database.transaction() as c:
        assert [e.payload["text"] for e in s.load(c, "stream-b")] == ["first"]


def test_an_expected_version_ahead_of_the_stream_is_a_conflict(database: Database) -> None:
    with pytest.raises(ConcurrencyConflict), database.transaction() as c:
        store().append(c, "stream-c", 3, [Noted(text="gap")], CONTEXT)


def test_concurrent_appends_at_the_same_version_have_exactly_one_winner(database: Database) -> None:
    s = store()
    writers = 8
    barrier = threading.Barrier(writers)
    outcomes: list[str] = []
    lock = threading.Lock()

    def write(n: int) -> None:
        barrier.wait()
        try:
            with database.transaction() as c:
                s.append(c, "contested", 0, [Noted(text=f"writer {n}")], CONTEXT)
            outcome = "won"
        except ConcurrencyConflict:
            outcome = "conflict"
        with lock:
            outcomes.append(outcome)

    threads = [threading.Thread(target=write, args=(n,)) for n in range(writers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["conflict"] * (writers - 1) + ["won"]
    with database.transaction() as c:
        assert len(s.load(c, "contested")) == 1


def test_read_all_follows_commit_order_without_skipping_under_concurrent_writers(database: Database) -> None:
    """A reader that follows the store's cursor while writers commit must end up having seen
    every event exactly once, in cursor order — with no lock taken by the writers."""
    s = store()
    per_writer, writers = 25, 4
    done = threading.Event()
    seen: list[tuple[int, int]] = []

    def write(n: int) -> None:
        for i in range(per_writer):
            with database.transaction() as c:
                s.append(c, f"w{n}-{i}", 0, [Noted(text=f"{n}/{i}")], CONTEXT)

    def follow() -> None:
        cursor = (0, 0)
        while True:
            finished = done.is_set()
            with database.transaction() as c:
                batch = s.read_all(c, after=cursor, limit=7)
            for event in batch:
                seen.append(event.cursor)
                cursor = event.cursor
            if finished and not batch:
                return

    reader = threading.Thread(target=follow)
    reader.start()
    threads = [threading.Thread(target=write, args=(n,)) for n in range(writers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    done.set()
    reader.join()
    assert len(seen) == per_writer * writers
    assert len(set(seen)) == len(seen)
    assert seen == sorted(seen)


def test_stored_events_cannot_be_updated_or_deleted(database: Database) -> None:
    with database.transaction() as c:
        store().append(c, "immutable", 0, [Noted(text="kept")], CONTEXT)
    for statement in ("UPDATE events SET type = 'Tampered'", "DELETE FROM events"):
        with pytest.raises(DBAPIError, match="immutable"), database.transaction() as c:
            c.execute(text(statement))
    with database.transaction() as c:
        [event] = store().load(c, "immutable")
    assert event.type == "Noted"


@pytest.mark.postgres
def test_postgres_refuses_truncate_of_events(postgres_url: str) -> None:
    from tests.databases import postgres_database

    with (
        postgres_database(postgres_url) as db,
        pytest.raises(DBAPIError, match="immutable"),
        db.transaction() as c,
    ):
        c.execute(text("TRUNCATE events"))


@pytest.mark.postgres
def test_postgres_holds_back_events_behind_an_older_open_transaction(postgres_url: str) -> None:
    """The case a position-ordered reader gets wrong: an older transaction takes a smaller
    position but commits later. The reader must not pass it by."""
    from tests.databases import postgres_database

    s = store()
    with postgres_database(postgres_url) as db:
        older = db.engine.connect()
        older_tx = older.begin()
        s.append(older, "slow", 0, [Noted(text="older, committed last")], CONTEXT)  # smaller position
        with db.transaction() as c:
            s.append(c, "fast", 0, [Noted(text="younger, committed first")], CONTEXT)
        with db.transaction() as c:
            assert s.read_all(c) == []  # "fast" waits behind the open, older transaction
        older_tx.commit()
        older.close()
        with db.transaction() as c:
            texts = [e.payload["text"] for e in s.read_all(c)]
        assert texts == ["older, committed last", "younger, committed first"]
